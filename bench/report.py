"""Turns benchmark runs (JSON lines on stdin) into a results document with ratios against the references measured in
the same run, and the targets marked met or missed; `--table FILE` prints a document as a Markdown table."""
import datetime
import json
import sys


def router(runs, cores):
    by = {(r["target"], r["connections"]): r for r in runs}
    rows = []
    for (target, connections), run in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if target != "ravioli" and target != "ravioli-x4":
            continue
        nginx = by.get(("nginx" if target == "ravioli" else "nginx-x4", connections))
        direct = by.get(("direct", connections)) if target == "ravioli" else None
        row = {"case": f"{'1 instance' if target == 'ravioli' else '4 instances'}, {connections} connections",
               "ravioli_rps": run["rps"], "nginx_rps": nginx["rps"] if nginx else None, "direct_rps": direct["rps"] if direct else None,
               "ravioli_p50_ms": run["p50_ms"], "ravioli_p99_ms": run["p99_ms"],
               "nginx_p99_ms": nginx["p99_ms"] if nginx else None, "direct_p99_ms": direct["p99_ms"] if direct else None,
               "errors": run["errors"]}
        if nginx:
            row["router_vs_nginx"] = round(run["rps"] / max(nginx["rps"], 1), 2)
            row["throughput_target"] = "met" if run["rps"] >= nginx["rps"] else "missed"
        if direct:
            row["router_vs_direct"] = round(run["rps"] / max(direct["rps"], 1), 2)
            row["p99_added_ms"] = round(run["p99_ms"] - direct["p99_ms"], 3)
            row["latency_target"] = "met" if row["p99_added_ms"] <= 1.0 else "missed"
        rows.append(row)
    return {"benchmark": "router", "date": datetime.date.today().isoformat(), "cores": cores,
            "targets": {"throughput": ">= nginx", "p99_added_over_direct_ms": "<= 1"}, "rows": rows, "runs": runs}


def table(document):
    lines = [f"Router, {document['date']}, {document['cores']} cores (wrk, 1 KiB keep-alive responses; references measured in the same run)", "",
             "| case | ravioli req/s | nginx req/s | direct req/s | router/nginx | router/direct | ravioli p50 / p99 ms | p99 added over direct ms | throughput ≥ nginx | p99 added ≤ 1 ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in document["rows"]:
        lines.append(f"| {r['case']} | {r['ravioli_rps']} | {r.get('nginx_rps') or '—'} | {r.get('direct_rps') or '—'} | {r.get('router_vs_nginx', '—')} | "
                     f"{r.get('router_vs_direct', '—')} | {r['ravioli_p50_ms']} / {r['ravioli_p99_ms']} | {r.get('p99_added_ms', '—')} | "
                     f"{r.get('throughput_target', '—')} | {r.get('latency_target', '—')} |")
    return "\n".join(lines)


if sys.argv[1] == "--table":
    with open(sys.argv[2]) as f:
        document = json.load(f)
    # A benchmark with its own report module stores its table in the document.
    print(document["markdown"] if "markdown" in document else table(document))
else:
    runs = [json.loads(line) for line in sys.stdin if line.strip()]
    print(json.dumps({"router": router}[sys.argv[1]](runs, int(sys.argv[2])), indent=2))
