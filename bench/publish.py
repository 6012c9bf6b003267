"""Writes bench/results/latest.json and the results block of bench/README.md from the benchmarks' result documents.
bench/run-all.sh calls it after a full run; `python3 bench/publish.py NAME...` republishes documents already measured."""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
names = sys.argv[1:]
documents = {n: json.load(open(os.path.join(here, "results", f"{n}.json"))) for n in names}
json.dump(documents, open(os.path.join(here, "results", "latest.json"), "w"), indent=2, ensure_ascii=False)
tables = [documents[n]["markdown"] if "markdown" in documents[n] else
          subprocess.run(["python3", os.path.join(here, "report.py"), "--table", os.path.join(here, "results", f"{n}.json")],
                         capture_output=True, text=True, check=True).stdout for n in names]
readme = open(os.path.join(here, "README.md")).read()
start, end = readme.index("<!-- results -->"), readme.index("<!-- /results -->")
readme = readme[:start] + "<!-- results -->\n" + "\n\n".join(t.strip() for t in tables) + "\n\n" + readme[end:]
open(os.path.join(here, "README.md"), "w").write(readme)
print("Wrote bench/results/latest.json and bench/README.md")
