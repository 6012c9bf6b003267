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
python3 - "$here" "${benchmarks[@]}" <<'PY'
import json, os, platform, sys, subprocess
here, names = sys.argv[1], sys.argv[2:]
documents = {n: json.load(open(os.path.join(here, "results", f"{n}.json"))) for n in names}
json.dump(documents, open(os.path.join(here, "results", "latest.json"), "w"), indent=2)
tables = [documents[n]["markdown"] if "markdown" in documents[n] else
          subprocess.run(["python3", os.path.join(here, "report.py"), "--table", os.path.join(here, "results", f"{n}.json")],
                         capture_output=True, text=True, check=True).stdout for n in names]
readme = open(os.path.join(here, "README.md")).read()
start, end = readme.index("<!-- results -->"), readme.index("<!-- /results -->")
readme = readme[:start] + "<!-- results -->\n" + "\n".join(tables) + "\n" + readme[end:]
open(os.path.join(here, "README.md"), "w").write(readme)
PY
echo "Wrote bench/results/latest.json and bench/README.md"
