#!/usr/bin/env bash
# Scale benchmark: a one-instance Node.js app (bench/apps/instance-id, 128M) scaled to 50 instances with `rav scale -i`,
# timed until all 50 are RUNNING (process stats API) and the router has answered from each of them; then back to 1,
# timed until the router sends to one instance only and the node has stopped the other 49. Reference in the same run:
# 50 of the same node processes started directly on free ports (no sandbox, no router) until all answer, then stopped.
# Prints a table; writes bench/results/scale.json.
#   bench/scale.sh [--smoke]      (--smoke: 1 → 3 → 1)
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"

count=50
if [ "${1:-}" = "--smoke" ]; then count=3; fi
memory_mb=128

trap bench_platform_down EXIT
bench_platform_up
# The org's quota must hold COUNT instances of the app: a quota of our own says so instead of trusting the default's.
"$RAVIOLI_ROOT/rav" create-quota bench-scale -m "$((count * memory_mb + 1024))M" --instances "$((count + 10))" >/dev/null
"$RAVIOLI_ROOT/rav" set-quota bench bench-scale >/dev/null
app="$BENCH_DIR/apps/instance-id"
"$RAVIOLI_ROOT/rav" push instance-id -p "$app" -m "${memory_mb}M" --no-manifest >"$BENCH_DATA/push.log" 2>&1 \
  || { cat "$BENCH_DATA/push.log" >&2; exit 1; }

runs="$BENCH_DATA/runs.jsonl"
python3 "$BENCH_DIR/lifecycle.py" direct-scale "$app" "$count" >>"$runs"
python3 "$BENCH_DIR/lifecycle.py" scale instance-id "$count" >>"$runs"

python3 "$BENCH_DIR/report.py" scale "$(nproc)" <"$runs" >"$BENCH_RESULTS/scale.json"
python3 "$BENCH_DIR/report.py" --table "$BENCH_RESULTS/scale.json"
