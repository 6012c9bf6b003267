"""Turns api.sh's runs (JSON lines on stdin) into its results document: each case with its cost relative to the
references measured in the same run (GET /, an empty authenticated list, the SQL alone), and the Markdown table.
  report_api.py CORES APPS SPACES < runs"""
import datetime
import json
import sys

CASES = {
    "root": "GET / (reference: no auth, no database)",
    "empty": "GET /v3/apps?guids=X, no match (reference: auth + one indexed count)",
    "page50": "GET /v3/apps?per_page=50&page=K, every K",
    "space": "GET /v3/apps?space_guids=X, every space",
    "page5000": "GET /v3/apps?per_page=5000&page=K",
    "password": "POST /oauth/token, password grant",
    "refresh": "POST /oauth/token, refresh_token grant",
}


def ratio(a, b):
    return round(a / b, 1) if a and b else None


def document(runs, cores, apps, spaces):
    rows = []
    for run in (r for r in runs if r["kind"] == "create"):
        what = f"the other {run['apps']:,} apps" if run.get("bulk") else f"apps {run['first'] + 1:,}–{run['first'] + run['apps']:,}"
        rows.append({"case": f"POST /v3/apps: {what}", "connections": run["concurrency"], "rate": run["apps_per_s"], "unit": "apps/s",
                     "p50_ms": run["p50_ms"], "p99_ms": run["p99_ms"], "errors": run["errors"], "seconds": run["seconds"]})
    sql = next((r for r in runs if r["kind"] == "sql"), {})
    gets = {(r["target"], r["connections"]): r for r in runs if r["kind"] in ("get", "token")}
    for (target, connections), run in sorted(gets.items(), key=lambda kv: (list(CASES).index(kv[0][0]), kv[0][1])):
        root, empty = gets.get(("root", connections)), gets.get(("empty", connections))
        # wrk reports 0 latencies when no request completed within the run (a password grant on a loaded machine).
        done = run["rps"] > 0
        row = {"case": CASES[target], "target": target, "connections": connections, "rate": run["rps"], "unit": "req/s",
               "p50_ms": run["p50_ms"] if done else None, "p99_ms": run["p99_ms"] if done else None, "errors": run["errors"]}
        if run["kind"] == "get" and target != "root":
            row["root_rps_over_this"] = ratio(root and root["rps"], run["rps"])
            if target != "empty":
                row["empty_rps_over_this"] = ratio(empty and empty["rps"], run["rps"])
        if target in sql:
            row["sql_p50_ms"], row["sql_p99_ms"] = sql[target]["p50_ms"], sql[target]["p99_ms"]
        if "control_plane_rss_kib" in run:
            row["control_plane_rss_mb"] = round(run["control_plane_rss_kib"] / 1024)
        rows.append(row)
    result = {"benchmark": "api", "date": datetime.date.today().isoformat(), "cores": cores, "targets": {},
              "seed": {"apps": apps, "spaces": spaces}, "rows": rows, "runs": runs}
    # Ends with a newline: run-all.sh joins the tables with one, and each needs a blank line after it.
    result["markdown"] = table(result) + "\n"
    return result


def cell(value):
    return "—" if value is None else str(value)


def table(document):
    seed = document["seed"]
    lines = [f"API, {document['date']}, {document['cores']} cores ({seed['apps']:,} apps in {seed['spaces']} spaces, as admin; wrk with "
             "keep-alive on the same machine; references in the same run: GET / and an empty authenticated list on the same "
             "server, and the same queries' CPU time in the sqlite3 CLI on the same file)", "",
             "| case | connections | rate | p50 / p99 ms | GET / is × faster | empty list is × faster | SQL p50 / p99 ms | control plane RSS after MB | errors |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in document["rows"]:
        sql = f"{r['sql_p50_ms']} / {r['sql_p99_ms']}" if "sql_p50_ms" in r else "—"
        lines.append(f"| {r['case']} | {r['connections']} | {r['rate']} {r['unit']} | {cell(r['p50_ms'])} / {cell(r['p99_ms'])} | "
                     f"{cell(r.get('root_rps_over_this'))} | {cell(r.get('empty_rps_over_this'))} | {sql} | "
                     f"{cell(r.get('control_plane_rss_mb'))} | {r['errors']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(json.dumps(document([json.loads(line) for line in sys.stdin if line.strip()], int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])),
                     indent=2))
