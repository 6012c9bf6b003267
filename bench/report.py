"""Turns benchmark runs (JSON lines on stdin) into a results document with ratios against the references measured in
the same run, and the targets marked met or missed; `--table FILE` prints a document as a Markdown table."""
import datetime
import json
import statistics
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


def document(name, cores, targets, rows, runs, table):
    """A results document that brings its own Markdown table (run-all.sh pastes it into bench/README.md)."""
    doc = {"benchmark": name, "date": datetime.date.today().isoformat(), "cores": cores, "targets": targets, "rows": rows, "runs": runs}
    doc["markdown"] = table(doc)
    return doc


def cell(value, digits=2):
    return "—" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def met(condition):
    return "—" if condition is None else "met" if condition else "missed"


PUSH_ORDER = ["node", "python", "go", "static", "binary", "dotnet", "java"]


def push(runs, cores):
    rows = []
    for case in sorted({r["case"] for r in runs}, key=lambda c: PUSH_ORDER.index(c) if c in PUSH_ORDER else len(PUSH_ORDER)):
        for kind in ("first", "again"):
            ravioli = next((r for r in runs if r["case"] == case and r["push"] == kind and r["target"] == "ravioli"), None)
            reference = next((r for r in runs if r["case"] == case and r["push"] == kind and r["target"] == "raw"), None)
            if ravioli is None:
                continue
            row = {"app": case, "push": kind, **{k: ravioli[k] for k in ("upload_s", "staging_s", "start_s", "routable_s", "total_s", "rav_exit_s")},
                   "raw_build_s": reference and reference["build_s"], "raw_start_s": reference and reference["start_s"],
                   "raw_total_s": reference and reference["total_s"]}
            row["vs_raw"] = round(ravioli["total_s"] / reference["total_s"], 2) if reference else None
            row["overhead_target"] = met(row["vs_raw"] <= 1.5) if reference else "—"
            row["node_target"] = met(ravioli["total_s"] <= 2.0) if case == "node" and kind == "first" else "—"
            rows.append(row)
    return document("push", cores, {"node_first_push_routable_s": "<= 2", "ravioli_vs_raw": "<= 1.5"}, rows, runs, push_table)


def push_table(doc):
    lines = [f"Push, {doc['date']}, {doc['cores']} cores (wall time from `rav push` to the first 200 through the router; reference: the raw path "
             "— copy, the buildpack's build command, start, first 200 directly — measured in the same run)", "",
             "| app | push | upload s | staging s | start s | routable s | total s | rav exits s | raw build / start s | raw total s | ravioli/raw | ≤ 1.5× raw | ≤ 2 s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in doc["rows"]:
        lines.append(f"| {r['app']} | {'first' if r['push'] == 'first' else 're-push'} | {cell(r['upload_s'])} | {cell(r['staging_s'])} | "
                     f"{cell(r['start_s'])} | {cell(r['routable_s'])} | {cell(r['total_s'])} | {cell(r['rav_exit_s'])} | "
                     f"{cell(r['raw_build_s'])} / {cell(r['raw_start_s'])} | {cell(r['raw_total_s'])} | {cell(r['vs_raw'])} | "
                     f"{r['overhead_target']} | {r['node_target']} |")
    return "\n".join(lines)


def recovery(runs, cores):
    rows = []
    kills = [r for r in runs if r["target"] == "ravioli" and "recovered_s" in r]
    naive = [r for r in runs if r["target"] == "naive"]
    if kills:
        recovered = [r["recovered_s"] for r in kills]
        row = {"case": kills[0]["case"], "kills": len(kills), "median_s": round(statistics.median(recovered), 3), "max_s": max(recovered),
               "running_median_s": round(statistics.median(r["running_s"] for r in kills), 3),
               "routed_median_s": round(statistics.median(r["routed_s"] for r in kills), 3),
               "naive_median_s": round(statistics.median(r["recovered_s"] for r in naive), 3) if naive else None,
               "naive_max_s": max(r["recovered_s"] for r in naive) if naive else None}
        row["vs_naive"] = round(row["median_s"] / row["naive_median_s"], 1) if naive and row["naive_median_s"] > 0 else None
        row["median_target"] = met(row["median_s"] <= 1.0)
        rows.append(row)
    for r in runs:
        if r["target"] == "ravioli" and "requests" in r:
            rows.append({"case": r["case"], "kills": r["kills"], "requests": r["requests"], "failed": r["failed"],
                         "failed_during_restarts": r["failed_during_restarts"], "restarts": r["restarts"], "rps": r["rps"],
                         "failure_kinds": r["failure_kinds"], "failed_target": met(r["failed"] == 0)})
    return document("recovery", cores, {"median_recovery_s": "<= 1", "failed_requests_with_2_instances": "0"}, rows, runs, recovery_table)


def recovery_table(doc):
    lines = [f"Recovery, {doc['date']}, {doc['cores']} cores (kill -9 of an instance's app process until a replacement is RUNNING and answers "
             "through the router; reference: a shell loop restarting the same process, measured in the same run)", "",
             "| case | kills | ravioli median / max s | API RUNNING / router 200, median s | naive loop median / max s | ravioli/naive "
             "| failed / requests | median ≤ 1 s | no failed request |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in doc["rows"]:
        if "median_s" in r:
            lines.append(f"| {r['case']} | {r['kills']} | {cell(r['median_s'], 3)} / {cell(r['max_s'], 3)} | "
                         f"{cell(r['running_median_s'], 3)} / {cell(r['routed_median_s'], 3)} | {cell(r['naive_median_s'], 3)} / "
                         f"{cell(r['naive_max_s'], 3)} | {cell(r['vs_naive'], 1)} | — | {r['median_target']} | — |")
        else:
            restarts = f" ({r['failed_during_restarts']} during the {r['restarts']} rolling restarts between kills)" if r["restarts"] else ""
            lines.append(f"| {r['case']} ({r['rps']} req/s) | {r['kills']} | — | — | — | — | {r['failed']} / {r['requests']}{restarts} | — | "
                         f"{r['failed_target']} |")
    return "\n".join(lines)


def scale(runs, cores):
    rows = []
    for case in dict.fromkeys(r["case"] for r in runs):
        ravioli = next((r for r in runs if r["case"] == case and r["target"] == "ravioli"), None)
        direct = next((r for r in runs if r["case"] == case and r["target"] == "direct"), None)
        if ravioli is None:
            continue
        row = {"case": case, **{k: v for k, v in ravioli.items() if k not in ("case", "target")},
               "direct_s": direct and direct["done_s"], "direct_per_instance_ms": direct and direct["per_instance_ms"]}
        row["vs_direct"] = round(ravioli["done_s"] / direct["done_s"], 1) if direct and direct["done_s"] > 0 else None
        rows.append(row)
    return document("scale", cores, {}, rows, runs, scale_table)


def scale_table(doc):
    lines = [f"Scale, {doc['date']}, {doc['cores']} cores (a Node.js app, `rav scale -i`, until every instance is RUNNING and the router has "
             "answered from each — or, going down, until one instance remains; reference: the same number of node processes started "
             "and stopped directly, in the same run)", "",
             "| case | ravioli s | all RUNNING / all routed s | routes to one / listed one s | rav exits s | ravioli per instance ms "
             "| direct s | direct per instance ms | ravioli/direct |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in doc["rows"]:
        up = "running_s" in r
        lines.append(f"| {r['case']} | {cell(r['done_s'])} | {cell(r['running_s']) + ' / ' + cell(r['routed_s']) if up else '—'} | "
                     f"{'—' if up else cell(r['routed_s']) + ' / ' + cell(r['listed_s'])} | {cell(r['rav_exit_s'])} | "
                     f"{cell(r['per_instance_ms'], 0)} | {cell(r['direct_s'])} | {cell(r['direct_per_instance_ms'], 0)} | {cell(r['vs_direct'], 1)} |")
    return "\n".join(lines)


if sys.argv[1] == "--table":
    with open(sys.argv[2]) as f:
        doc = json.load(f)
    print(doc["markdown"] if "markdown" in doc else table(doc))
else:
    runs = [json.loads(line) for line in sys.stdin if line.strip()]
    builders = {"router": router, "push": push, "recovery": recovery, "scale": scale}
    print(json.dumps(builders[sys.argv[1]](runs, int(sys.argv[2])), indent=2, ensure_ascii=False))
