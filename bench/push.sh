#!/usr/bin/env bash
# Push benchmark: wall time from `rav push` to the first 200 through the router for the sample app of every built-in
# buildpack (samples/), first push and re-push (unchanged), with the platform's steps (upload, staging, start,
# routable) from rav's output as it arrives and the process stats API. Reference in the same run: the raw path —
# copy the directory, run the build command the buildpack runs, start the app, first 200 directly. Prints a table;
# writes bench/results/push.json.
#   bench/push.sh [--smoke]      (--smoke: samples/node, first push only)
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
ensure_packages iproute2

samples=(node python go static binary dotnet java); kinds=(first again)
if [ "${1:-}" = "--smoke" ]; then samples=(node); kinds=(first); fi

work="$(mktemp -d /tmp/ravioli-bench-push.XXXXXX)"
trap 'bench_platform_down; rm -rf "$work"' EXIT
bench_platform_up
runs="$BENCH_DATA/runs.jsonl"
for sample in "${samples[@]}"; do
  # As tests/Ravioli.EndToEnd.Tests/PushTests.cs CopySampleAsync: a copy without build output; java's jar built first.
  app="$work/$sample"; mkdir -p "$app"
  tar -C "$RAVIOLI_ROOT/samples/$sample" --exclude=./bin --exclude=./obj --exclude=./build --exclude=./classes -cf - . | tar -C "$app" -xf -
  raw="$app"
  if [ "$sample" = "java" ]; then
    (cd "$app" && mkdir -p classes build && javac -d classes Main.java && jar --create --file build/hello-java.jar --main-class Main -C classes .)
    raw="$app/build"  # what the manifest pushes
  fi
  for kind in "${kinds[@]}"; do
    # The raw path gets a build cache of its own, empty on the first push and kept for the re-push, as the platform's.
    python3 "$BENCH_DIR/lifecycle.py" raw "$sample" "$raw" "$work/cache-$sample" "$kind" >>"$runs"
    python3 "$BENCH_DIR/lifecycle.py" push "$app" "$sample" "$kind" >>"$runs"
  done
  "$RAVIOLI_ROOT/rav" delete "$(sed -n 's/^- name: *//p' "$app/manifest.yml")" -f -r >/dev/null
done

python3 "$BENCH_DIR/report.py" push "$(nproc)" <"$runs" >"$BENCH_RESULTS/push.json"
python3 "$BENCH_DIR/report.py" --table "$BENCH_RESULTS/push.json"
