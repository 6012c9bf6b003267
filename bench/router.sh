#!/usr/bin/env bash
# Router benchmark: a 1 KiB keep-alive app, measured in one run (a) directly, (b) through Ravioli's router,
# (c) through nginx as an equivalent reverse proxy — at 1, 16, 64 and 256 connections, then 4 instances
# behind the router vs nginx with an upstream of 4. Prints a table; writes bench/results/router.json.
#   bench/router.sh [--smoke]      (--smoke: 1 s runs at 16 connections, to keep the script working)
# For quicker iterations: BENCH_SECONDS (default 10), BENCH_SWEEP ("1 16 64 256"), BENCH_X4=0 skips the 4-instance case.
# BENCH_WARMUP (default 20 s) of unmeasured load through the router first, a few seconds through the others: .NET
# compiles the request path in tiers under load, which takes 15-30 s on 2 busy cores; the targets are about a
# router that has been up for a while, as nginx and the app's JIT are.
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/lib.sh"
ensure_packages wrk nginx-light

seconds="${BENCH_SECONDS:-10}"; read -r -a sweep <<<"${BENCH_SWEEP:-1 16 64 256}"; warmup="${BENCH_WARMUP:-20}"
if [ "${1:-}" = "--smoke" ]; then seconds=1; sweep=(16); warmup=1; fi

trap 'bench_platform_down; [ -n "${nginx_dir:-}" ] && { nginx -p "$nginx_dir" -c nginx.conf -s stop 2>/dev/null || true; rm -rf "$nginx_dir"; }' EXIT
bench_platform_up
"$RAVIOLI_ROOT/rav" push hello-1k -p "$BENCH_DIR/apps/hello-1k" -m 128M --no-manifest >"$BENCH_DATA/push.log" 2>&1 \
  || { cat "$BENCH_DATA/push.log" >&2; exit 1; }
host="hello-1k.apps.localhost"
router="http://127.0.0.1:$BENCH_ROUTER_PORT/"

start_nginx() {  # start_nginx PORT BACKEND_PORT...
  local port="$1"; shift
  nginx_dir="$(mktemp -d /tmp/ravioli-bench-nginx.XXXXXX)"
  mkdir -p "$nginx_dir/logs"
  {
    echo "worker_processes auto; pid $nginx_dir/nginx.pid; error_log $nginx_dir/logs/error.log;"
    echo "events { worker_connections 4096; }"
    echo "http { access_log off; upstream app { keepalive 256;"
    for backend in "$@"; do echo "server 127.0.0.1:$backend;"; done
    echo "} server { listen 127.0.0.1:$port; location / { proxy_pass http://app; proxy_http_version 1.1;"
    echo "proxy_set_header Connection \"\"; proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; } } }"
  } > "$nginx_dir/nginx.conf"
  nginx -p "$nginx_dir" -c nginx.conf
}

results=()
port="$(bench_instance_ports hello-1k | head -n 1)"
nginx_port="$(free_port)"
start_nginx "$nginx_port" "$port"
warm() {  # warm SECONDS URL [HOST]: load that is not measured
  if [ -n "${3:-}" ]; then wrk -t2 -c16 -d"$1s" -H "Host: $3" "$2" >/dev/null 2>&1 || true; else wrk -t2 -c16 -d"$1s" "$2" >/dev/null 2>&1 || true; fi
}
warm "$warmup" "$router" "$host"
warm $(( warmup < 3 ? warmup : 3 )) "http://127.0.0.1:$port/"
warm $(( warmup < 3 ? warmup : 3 )) "http://127.0.0.1:$nginx_port/"
for c in "${sweep[@]}"; do
  results+=("$(wrk_json direct "$c" "$seconds" "http://127.0.0.1:$port/")")
  results+=("$(wrk_json ravioli "$c" "$seconds" "$router" "$host")")
  results+=("$(wrk_json nginx "$c" "$seconds" "http://127.0.0.1:$nginx_port/")")
done
nginx -p "$nginx_dir" -c nginx.conf -s stop; rm -rf "$nginx_dir"; nginx_dir=""

if [ "${1:-}" != "--smoke" ] && [ "${BENCH_X4:-1}" != 0 ]; then
  "$RAVIOLI_ROOT/rav" scale hello-1k -i 4 >/dev/null
  for _ in $(seq 1 100); do [ "$(bench_instance_ports hello-1k | wc -l)" -eq 4 ] && break; sleep 0.3; done
  sleep 2
  mapfile -t ports < <(bench_instance_ports hello-1k)
  nginx_port="$(free_port)"
  start_nginx "$nginx_port" "${ports[@]}"
  warm 3 "$router" "$host"
  warm 3 "http://127.0.0.1:$nginx_port/"
  results+=("$(wrk_json ravioli-x4 64 "$seconds" "$router" "$host")")
  results+=("$(wrk_json nginx-x4 64 "$seconds" "http://127.0.0.1:$nginx_port/")")
fi

printf '%s\n' "${results[@]}" | python3 "$BENCH_DIR/report.py" router "$(nproc)" > "$BENCH_RESULTS/router.json"
python3 "$BENCH_DIR/report.py" --table "$BENCH_RESULTS/router.json"
