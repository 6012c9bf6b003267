# Shared by the bench scripts: a throwaway platform on free ports, wrk runs parsed into numbers.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

BENCH_DIR="$RAVIOLI_ROOT/bench"
# Where a benchmark writes its results document: bench/results, except that a --smoke run (tiny counts, as ./test.sh
# runs them) writes to a throwaway directory, so it never replaces measured figures. Sourced without arguments, this
# file sees the benchmark script's own.
BENCH_RESULTS="${BENCH_RESULTS:-$BENCH_DIR/results}"
case " $* " in
  *" --smoke "*) [ "$BENCH_RESULTS" = "$BENCH_DIR/results" ] && BENCH_RESULTS="$(mktemp -d /tmp/ravioli-bench-smoke.XXXXXX)" ;;
esac

# Starts './ravioli up' on a fresh data directory and free ports; logs in as admin into org/space bench/bench.
# Builds first (a cold build on a busy 2-core machine takes minutes), so the wait below is for the platform only.
bench_platform_up() {
  build_if_needed src/Ravioli.Server/Ravioli.Server.csproj
  build_if_needed src/Ravioli.Node/Ravioli.Node.csproj
  build_if_needed src/Ravioli.Cli/Ravioli.Cli.csproj
  BENCH_DATA="$(mktemp -d /tmp/ravioli-bench.XXXXXX)"
  export RAV_HOME="$BENCH_DATA/rav-home"
  BENCH_API_PORT="$(free_port)"; BENCH_ROUTER_PORT="$(free_port)"; BENCH_NODE_PORT="$(free_port)"
  "$RAVIOLI_ROOT/ravioli" up --data-dir "$BENCH_DATA" --api-port "$BENCH_API_PORT" --router-port "$BENCH_ROUTER_PORT" \
    --node-port "$BENCH_NODE_PORT" --services none >"$BENCH_DATA/up.log" 2>&1 &
  BENCH_UP_PID=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$BENCH_API_PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$BENCH_UP_PID" 2>/dev/null || { log "./ravioli up exited:"; tail -n 20 "$BENCH_DATA/up.log" >&2; return 1; }
    sleep 0.2
  done
  "$RAVIOLI_ROOT/rav" login -a "http://127.0.0.1:$BENCH_API_PORT" -u admin -p "$(cat "$BENCH_DATA/admin-password")" >/dev/null
  "$RAVIOLI_ROOT/rav" create-org bench >/dev/null && "$RAVIOLI_ROOT/rav" create-space bench -o bench >/dev/null
  "$RAVIOLI_ROOT/rav" target -o bench -s bench >/dev/null
  # For helpers in other languages (lifecycle.py) that the bench scripts start.
  export RAVIOLI_ROOT BENCH_DATA BENCH_API_PORT BENCH_ROUTER_PORT BENCH_NODE_PORT
}

bench_platform_down() {
  [ -n "${BENCH_DATA:-}" ] || return 0
  "$RAVIOLI_ROOT/ravioli" down --data-dir "$BENCH_DATA" >/dev/null 2>&1 || true
  # './ravioli up' that never got as far as writing its pid file (still building, or failed) is not stopped by 'down'.
  if [ -n "${BENCH_UP_PID:-}" ] && kill -0 "$BENCH_UP_PID" 2>/dev/null; then
    kill "$BENCH_UP_PID" 2>/dev/null || true
  fi
  rm -rf "$BENCH_DATA"
  BENCH_DATA=""
}

# An admin access token (password grant), for clients other than rav: api_client.py, wrk.
bench_admin_token() {
  python3 "$BENCH_DIR/api_client.py" token "http://127.0.0.1:$BENCH_API_PORT" admin "$(cat "$BENCH_DATA/admin-password")" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# The guid of the org named $1.
bench_org_guid() {
  "$RAVIOLI_ROOT/rav" curl "/v3/organizations?names=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["resources"][0]["guid"])'
}

# The ports the instances of APP listen on, from the stats API.
bench_instance_ports() {
  local guid
  guid="$("$RAVIOLI_ROOT/rav" curl "/v3/apps?names=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["resources"][0]["guid"])')"
  "$RAVIOLI_ROOT/rav" curl "/v3/processes/$guid/stats" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["resources"]:
    if r["state"] == "RUNNING": print(r["instance_ports"][0]["internal"])'
}

# wrk_json NAME CONNECTIONS SECONDS URL [HOST] [WRK_OPTION...]: one wrk run as a JSON object (requests/s, p50/p99 in
# ms, errors). HOST may be "" for none; further options (-s script.lua, -H header, --timeout) go to wrk as they are.
wrk_json() {
  local name="$1" connections="$2" seconds="$3" url="$4" host="${5:-}" threads=2 out
  local options=("${@:6}")
  [ "$connections" -lt 2 ] && threads=1
  [ -n "$host" ] && options+=(-H "Host: $host")
  out="$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "${options[@]}" "$url" 2>&1)"
  printf '%s' "$out" | python3 -c '
import json, re, sys
name, connections = sys.argv[1], int(sys.argv[2])
text = sys.stdin.read()
def ms(value):
    number, unit = float(re.match(r"[\d.]+", value).group()), re.sub(r"[\d.]", "", value)
    return number * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(json.dumps({"target": name, "connections": connections, "rps": round(rps) if rps >= 100 else round(rps, 2), "p50_ms": round(p50, 3), "p99_ms": round(p99, 3),
                  "errors": errors + (int(non2xx.group(1)) if non2xx else 0)}))' "$name" "$connections"
}
