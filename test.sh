#!/usr/bin/env bash
# Installs what the tests need, builds once, and runs every test project: the API and store suites
# twice (SQLite and a throwaway PostgreSQL cluster), the CLI against a real server.
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/scripts/lib.sh"
cd "$RAVIOLI_ROOT"

ensure_dotnet
# The servers behind the built-in service brokers, installed without starting them (scripts/lib.sh).
ensure_packages postgresql python3 bubblewrap golang-go python3-venv openjdk-17-jdk-headless wrk nginx-light \
  redis-server mariadb-server mariadb-client rabbitmq-server
echo "== npm (a third-party OSB broker and cfenv for the OSB client's tests)"
npm ci --no-audit --no-fund --silent --prefix tests/Ravioli.Services.Tests/sbf-broker >/dev/null

echo "== build"
dotnet build Ravioli.slnx -c Release --nologo -v q -clp:ErrorsOnly
mkdir -p .build && touch .build/Ravioli.Server.stamp .build/Ravioli.Cli.stamp .build/Ravioli.Node.stamp

results="$(mktemp -d /tmp/ravioli-results.XXXXXX)"
pg_dir="$(mktemp -u /tmp/ravioli-pg.XXXXXX)"
cleanup() { pg_stop "$pg_dir"; }
trap cleanup EXIT

echo "== throwaway PostgreSQL"
pg_port="$(free_port)"
pg_start "$pg_dir" "$pg_port"
postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"

# run NAME PROJECT [ENV=VALUE...]: one test run, its TRX and console log kept under $results.
run() {
  local name="$1" project="$2"
  shift 2
  env "$@" dotnet test "tests/$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$results/$name.trx" >"$results/$name.log" 2>&1
}

echo "== tests"
pids=()
run api-sqlite Ravioli.Api.Tests RAVIOLI_TEST_POSTGRES= & pids+=($!)
run api-postgres Ravioli.Api.Tests RAVIOLI_TEST_POSTGRES="$postgres" & pids+=($!)
for pid in "${pids[@]}"; do wait "$pid" || true; done
pids=()
run store-sqlite Ravioli.Store.Tests RAVIOLI_TEST_POSTGRES= & pids+=($!)
run store-postgres Ravioli.Store.Tests RAVIOLI_TEST_POSTGRES="$postgres" & pids+=($!)
run cli Ravioli.Cli.Tests RAVIOLI_TEST_POSTGRES= & pids+=($!)
run services Ravioli.Services.Tests RAVIOLI_TEST_POSTGRES= & pids+=($!)
for pid in "${pids[@]}"; do wait "$pid" || true; done
# Runtime, router, staging and node tests start real processes and sandboxes: one project at a time.
for project in Runtime.Local Router Staging Node Brokers EndToEnd; do
  if [ -d "tests/Ravioli.$project.Tests" ]; then run "$(echo "$project" | tr 'A-Z.' 'a-z-')" "Ravioli.$project.Tests" RAVIOLI_TEST_POSTGRES= || true; fi
done

echo "== benchmark smoke run"
# Seconds-long runs so the bench scripts keep working; a failure shows in the summary as a run without results.
if ! bench/run-all.sh --smoke >"$results/bench-smoke.out" 2>&1; then
  cp "$results/bench-smoke.out" "$results/bench-smoke.log"
fi

python3 scripts/summarize-trx.py "$results"
