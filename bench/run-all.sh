#!/usr/bin/env bash
# Runs every benchmark against platforms it starts itself, prints their tables, and writes
# bench/results/latest.json and bench/README.md.   bench/run-all.sh [--smoke]
set -euo pipefail
here="$(dirname "$(readlink -f "$0")")"
# Each benchmark is bench/NAME.sh [--smoke] and writes bench/results/NAME.json; a document with a "markdown"
# field brings its own table, otherwise report.py renders it.
benchmarks=()
for name in router push recovery scale density api; do
  [ -x "$here/$name.sh" ] || continue
  benchmarks+=("$name")
  echo "== $name"
  "$here/$name.sh" "$@"
done
[ "${1:-}" = "--smoke" ] && exit 0
python3 "$here/publish.py" "${benchmarks[@]}"
