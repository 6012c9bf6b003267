#!/usr/bin/env bash
# Density and footprint: the memory of the control plane and the node agent idle, with 1,000 apps in the database, and
# with 1, 10, 25, 50 and 100 running instances of a small Node.js app (bench/apps/hello-1k, 64 MB each); beside each
# step, the same app run as many times as plain `node` processes (the reference). From the per-instance cost it
# estimates how many instances this machine holds; the 100-instance step checks the estimate's slope.
# Prints a table; writes bench/results/density.json.
#   bench/density.sh [--smoke]     (--smoke: 50 apps, 1 and 3 instances, short waits, to keep the script working)
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
ensure_packages nodejs

apps=1000; steps=(1 10 25 50 100); settle=10; scale_timeout=300
if [ "${1:-}" = "--smoke" ]; then apps=50; steps=(1 3); settle=1; scale_timeout=60; fi
client="$BENCH_DIR/api_client.py"

trap 'bench_platform_down' EXIT
bench_platform_up
api="http://127.0.0.1:$BENCH_API_PORT"
runs=()

# platform_json CASE [FIELD=JSON...]: the control plane's and node agent's memory, MemAvailable, and extra fields.
platform_json() {
  python3 - "$1" "$(python3 "$client" platform "$BENCH_DATA")" "${@:2}" <<'PY'
import json, sys
record = {"kind": "platform", "case": sys.argv[1], **json.loads(sys.argv[2])}
for field in sys.argv[3:]:
    name, value = field.split("=", 1)
    record[name] = json.loads(value)
print(json.dumps(record))
PY
}

# wait_running COUNT: until the node runs COUNT instances or scale_timeout passes; prints the seconds it took.
wait_running() {
  local started=$SECONDS
  while [ "$(python3 "$client" running "$BENCH_DATA")" -lt "$1" ] && [ $((SECONDS - started)) -lt "$scale_timeout" ]; do
    sleep 0.5
  done
  echo $((SECONDS - started))
}

sleep "$settle"
runs+=("$(platform_json idle)")

# 1,000 apps in the database: created through the API (10 spaces, 4 at a time); they are never staged or started.
export BENCH_TOKEN; BENCH_TOKEN="$(bench_admin_token)"
python3 "$client" spaces "$api" "$(bench_org_guid bench)" 10 density | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["guids"]))' \
  > "$BENCH_DATA/spaces"
seed="$(python3 "$client" apps "$api" "$BENCH_DATA/spaces" 0 "$apps" 4)"
sleep "$settle"
runs+=("$(platform_json apps "seed=$seed")")

# The org may hold every instance asked for: a quota with no limits, explicitly, whatever the default becomes.
"$RAVIOLI_ROOT/rav" create-quota density --total-memory unlimited --instance-memory unlimited --instances unlimited \
  --apps unlimited --routes unlimited >/dev/null
"$RAVIOLI_ROOT/rav" set-quota bench density >/dev/null

# The buildpack's default start command is `npm start`: one instance of that, for its cost (npm stays resident as the
# app's parent). 128 MB, because npm and node together come close to 64 MB.
"$RAVIOLI_ROOT/rav" push hello-npm -p "$BENCH_DIR/apps/hello-1k" -m 128M --no-manifest >"$BENCH_DATA/push.log" 2>&1 \
  || { cat "$BENCH_DATA/push.log" >&2; exit 1; }
sleep "$settle"
runs+=("$(python3 -c 'import json,sys; print(json.dumps({"kind": "npm", **json.loads(sys.argv[1])}))' "$(python3 "$client" instances "$BENCH_DATA")")")
"$RAVIOLI_ROOT/rav" delete hello-npm -f -r >/dev/null
for _ in $(seq 1 120); do [ "$(python3 "$client" running "$BENCH_DATA")" -eq 0 ] && break; sleep 0.5; done

# The sweep: the app started as `node server.js`, as the plain reference runs it.
"$RAVIOLI_ROOT/rav" push hello-1k -p "$BENCH_DIR/apps/hello-1k" -m 64M -c "node server.js" --no-manifest >"$BENCH_DATA/push.log" 2>&1 \
  || { cat "$BENCH_DATA/push.log" >&2; exit 1; }
for n in "${steps[@]}"; do
  "$RAVIOLI_ROOT/rav" scale hello-1k -i "$n" >/dev/null
  seconds="$(wait_running "$n")"
  sleep "$settle"
  before="$(python3 "$client" platform "$BENCH_DATA")"
  sleep "$settle"
  runs+=("$(platform_json "$n instances" "requested=$n" "running=$(python3 "$client" running "$BENCH_DATA")" "scale_seconds=$seconds" \
    "settle_seconds=$settle" "before=$before" "instances=$(python3 "$client" instances "$BENCH_DATA")")")
  runs+=("$(python3 -c 'import json,sys; print(json.dumps({"kind": "plain", "requested": int(sys.argv[1]), **json.loads(sys.argv[2])}))' \
    "$n" "$(python3 "$client" plain "$BENCH_DIR/apps/hello-1k" "$n" "$settle")")")
done

printf '%s\n' "${runs[@]}" | python3 "$BENCH_DIR/report_density.py" "$(nproc)" > "$BENCH_RESULTS/density.json"
python3 "$BENCH_DIR/report.py" --table "$BENCH_RESULTS/density.json"
