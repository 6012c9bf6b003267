#!/usr/bin/env bash
# Recovery benchmark: kill -9 the app process of a one-instance Node.js app (bench/apps/instance-id) and time until a
# replacement is RUNNING (API) and answers through the router, over 20 kills; reference in the same run: a shell loop
# that restarts the same process (`while true; do node server.js; done`). Then 10 kills, one instance at a time, of a
# 2-instance app under constant load through the router, counting failed requests. Prints a table; writes
# bench/results/recovery.json.
#   bench/recovery.sh [--smoke]      (--smoke: 2 kills, then 1 under load)
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
ensure_packages iproute2

kills=20; load_kills=10
if [ "${1:-}" = "--smoke" ]; then kills=2; load_kills=1; fi

trap bench_platform_down EXIT
bench_platform_up
app="$BENCH_DIR/apps/instance-id"
"$RAVIOLI_ROOT/rav" push instance-id -p "$app" -m 128M --no-manifest >"$BENCH_DATA/push.log" 2>&1 \
  || { cat "$BENCH_DATA/push.log" >&2; exit 1; }

runs="$BENCH_DATA/runs.jsonl"
python3 "$BENCH_DIR/lifecycle.py" naive "$app" "$kills" >>"$runs"
python3 "$BENCH_DIR/lifecycle.py" recovery instance-id "$kills" >>"$runs"
"$RAVIOLI_ROOT/rav" scale instance-id -i 2 >/dev/null
python3 "$BENCH_DIR/lifecycle.py" load instance-id "$load_kills" >>"$runs"

python3 "$BENCH_DIR/report.py" recovery "$(nproc)" <"$runs" >"$BENCH_RESULTS/recovery.json"
python3 "$BENCH_DIR/report.py" --table "$BENCH_RESULTS/recovery.json"
