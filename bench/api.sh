#!/usr/bin/env bash
# API benchmark: seeds 10,000 apps across 100 spaces through the API (first at 1, 2, 4, 8 and 16 requests at a time, to
# find the fastest, then the rest at that), then measures with wrk, at 1 and 16 connections: GET /v3/apps a page of 50
# at a time over every page, per_page=5000, space_guids=X over every space, and token grants (password, refresh_token).
# References in the same run: GET / (no auth, no database) and an empty authenticated list on the same server, and the
# list queries' own time in the sqlite3 CLI on the same database file. Prints a table; writes bench/results/api.json.
#   bench/api.sh [--smoke]     (--smoke: 200 apps in 4 spaces, 1 s runs at 4 connections, to keep the script working)
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
ensure_packages wrk sqlite3

apps=10000; spaces=100; probe=250; seconds=10; token_seconds=20; sweep=(1 16); sql_samples=200
if [ "${1:-}" = "--smoke" ]; then apps=200; spaces=4; probe=20; seconds=1; token_seconds=4; sweep=(4); sql_samples=5; fi
client="$BENCH_DIR/api_client.py"

trap 'bench_platform_down' EXIT
bench_platform_up
api="http://127.0.0.1:$BENCH_API_PORT"
runs=()

# tagged KIND JSON [FIELD=JSON...]: JSON with "kind" and the fields added, as one line.
tagged() {
  python3 - "$@" <<'PY'
import json, sys
record = {"kind": sys.argv[1], **json.loads(sys.argv[2])}
for field in sys.argv[3:]:
    name, value = field.split("=", 1)
    record[name] = json.loads(value)
print(json.dumps(record))
PY
}

export BENCH_TOKEN; BENCH_TOKEN="$(bench_admin_token)"
python3 "$client" spaces "$api" "$(bench_org_guid bench)" "$spaces" api \
  | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["guids"]))' > "$BENCH_DATA/spaces"

# Seeding: a probe of each concurrency on the first apps, then the rest at the fastest one.
first=0; probes=()
for c in 1 2 4 8 16; do
  probes+=("$(python3 "$client" apps "$api" "$BENCH_DATA/spaces" "$first" "$probe" "$c")")
  runs+=("$(tagged create "${probes[-1]}" "first=$first")")
  first=$((first + probe))
done
best="$(printf '%s\n' "${probes[@]}" | python3 -c 'import json,sys; print(max((json.loads(l) for l in sys.stdin), key=lambda r: r["apps_per_s"])["concurrency"])')"
runs+=("$(tagged create "$(python3 "$client" apps "$api" "$BENCH_DATA/spaces" "$first" $((apps - first)) "$best")" "first=$first" "bulk=true")")

seq 1 $(((apps + 49) / 50)) > "$BENCH_DATA/pages"
seq 1 $(((apps + 4999) / 5000)) > "$BENCH_DATA/pages-5000"
BENCH_TOKEN="$(bench_admin_token)"  # a fresh one: access tokens live 20 minutes
auth=(-H "Authorization: Bearer $BENCH_TOKEN" --timeout 60s)
rss() { python3 "$client" platform "$BENCH_DATA" | python3 -c 'import json,sys; print(json.load(sys.stdin)["control_plane"]["rss_kib"])'; }

for c in "${sweep[@]}"; do
  runs+=("$(tagged get "$(wrk_json root "$c" "$seconds" "$api/" "" --timeout 60s)" "control_plane_rss_kib=$(rss)")")
  runs+=("$(tagged get "$(wrk_json empty "$c" "$seconds" "$api/v3/apps?guids=00000000-0000-0000-0000-000000000000" "" "${auth[@]}")" \
    "control_plane_rss_kib=$(rss)")")
  runs+=("$(tagged get "$(BENCH_PATH='/v3/apps?per_page=50&page=%s' BENCH_VALUES="$BENCH_DATA/pages" \
    wrk_json page50 "$c" "$seconds" "$api/v3/apps" "" -s "$BENCH_DIR/wrk/rotate.lua" "${auth[@]}")" "control_plane_rss_kib=$(rss)")")
  runs+=("$(tagged get "$(BENCH_PATH='/v3/apps?space_guids=%s' BENCH_VALUES="$BENCH_DATA/spaces" \
    wrk_json space "$c" "$seconds" "$api/v3/apps" "" -s "$BENCH_DIR/wrk/rotate.lua" "${auth[@]}")" "control_plane_rss_kib=$(rss)")")
  runs+=("$(tagged get "$(BENCH_PATH='/v3/apps?per_page=5000&page=%s' BENCH_VALUES="$BENCH_DATA/pages-5000" \
    wrk_json page5000 "$c" "$seconds" "$api/v3/apps" "" -s "$BENCH_DIR/wrk/rotate.lua" "${auth[@]}")" "control_plane_rss_kib=$(rss)")")
done

# Tokens: password grants (PBKDF2, 600,000 iterations, by design slow), then refresh_token grants; at 1 and 2
# connections, one per wrk thread so that each refresh chain is sequential.
form="grant_type=password&username=admin&password=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$(cat "$BENCH_DATA/admin-password")")"
for c in 1 2; do
  runs+=("$(tagged token "$(BENCH_GRANT=password BENCH_FORM="$form" wrk_json password "$c" "$token_seconds" "$api/oauth/token" "" \
    -s "$BENCH_DIR/wrk/token.lua" --timeout 60s)")")
  refresh=()
  for _ in $(seq 1 "$c"); do
    refresh+=("$(python3 "$client" token "$api" admin "$(cat "$BENCH_DATA/admin-password")" | python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])')")
  done
  runs+=("$(tagged token "$(BENCH_GRANT=refresh_token BENCH_REFRESH_TOKENS="$(IFS=,; echo "${refresh[*]}")" \
    wrk_json refresh "$c" "$seconds" "$api/oauth/token" "" -s "$BENCH_DIR/wrk/token.lua" --timeout 60s)")")
done

runs+=("$(tagged sql "$(python3 "$client" sql "$BENCH_DATA/ravioli.db" "$BENCH_DATA/pages" "$BENCH_DATA/spaces" "$sql_samples")")")

printf '%s\n' "${runs[@]}" | python3 "$BENCH_DIR/report_api.py" "$(nproc)" "$apps" "$spaces" > "$BENCH_RESULTS/api.json"
python3 "$BENCH_DIR/report.py" --table "$BENCH_RESULTS/api.json"
