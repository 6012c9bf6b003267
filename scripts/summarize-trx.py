"""Prints each test run's counts and failures from its TRX file, then one closing 'N passed, N failed' line.
Exits non-zero when anything failed or a run produced no results (it crashed or did not build)."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
results_dir = sys.argv[1]
total_passed = total_failed = total_skipped = 0
broken = []
for log in sorted(glob.glob(os.path.join(results_dir, "*.log"))):
    name = os.path.basename(log)[:-4]
    trx = os.path.join(results_dir, name + ".trx")
    if not os.path.exists(trx):
        broken.append(name)
        print(f"{name}: no results; its log follows")
        with open(log, encoding="utf-8", errors="replace") as f:
            print(f.read()[-4000:])
        continue
    root = ET.parse(trx).getroot()
    counters = root.find("t:ResultSummary/t:Counters", NS)
    passed = int(counters.get("passed"))
    failed = int(counters.get("failed")) + int(counters.get("error")) + int(counters.get("timeout")) + int(counters.get("aborted"))
    skipped = int(counters.get("notExecuted"))
    total_passed, total_failed, total_skipped = total_passed + passed, total_failed + failed, total_skipped + skipped
    print(f"{name}: {passed} passed, {failed} failed, {skipped} skipped")
    for result in root.iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") not in ("Passed", "NotExecuted"):
            message = result.find("t:Output/t:ErrorInfo/t:Message", NS)
            print(f"  FAILED {result.get('testName')}\n    {(message.text or '').strip()[:1500] if message is not None else ''}")
    if failed == 0 and root.find("t:ResultSummary", NS).get("outcome") not in ("Completed", "Passed", "Warning"):
        broken.append(name)
if broken:
    print("runs without results: " + ", ".join(broken))
    total_failed += len(broken)
print(f"Total: {total_passed} passed, {total_failed} failed, {total_skipped} skipped")
sys.exit(1 if total_failed else 0)
