"""Turns density.sh's readings (JSON lines on stdin) into its results document: rows, the node agent's growth per
instance (a least-squares line), the largest instance count this machine holds, and the Markdown table.
  report_density.py CORES < runs"""
import datetime
import json
import sys

PORT_RANGE = 1000  # instance ports 61000-61999 by default (LocalExecutorOptions): a node's hard ceiling


def mb(kib):
    return None if kib is None else round(kib / 1024, 1)


def slope(points):
    """Least-squares slope of (x, y) points; None with fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def cpu_percent(before, after, seconds):
    return round((after["cpu_ticks"] - before["cpu_ticks"]) / (100 * seconds) * 100, 1)  # 100 ticks/s (USER_HZ)


def document(runs, cores):
    platform = {r["case"]: r for r in runs if r["kind"] == "platform"}
    steps = [r for r in runs if r["kind"] == "platform" and "requested" in r]
    plain = {r["requested"]: r for r in runs if r["kind"] == "plain"}
    npm = next((r for r in runs if r["kind"] == "npm"), None)
    idle, apps = platform["idle"], platform["apps"]
    seed = apps["seed"]
    rows = [{"case": "idle (no apps)", "control_plane_rss_mb": mb(idle["control_plane"]["rss_kib"]),
             "node_rss_mb": mb(idle["node"]["rss_kib"]), "mem_available_mb": mb(idle["mem_available_kib"])},
            {"case": f"{seed['apps']:,} apps in the database", "control_plane_rss_mb": mb(apps["control_plane"]["rss_kib"]),
             "node_rss_mb": mb(apps["node"]["rss_kib"]), "mem_available_mb": mb(apps["mem_available_kib"]),
             "notes": f"created through the API at {seed['apps_per_s']} apps/s, {seed['concurrency']} at a time; {seed['errors']} errors"}]
    if npm and npm["count"]:
        reference = plain.get(min(plain)) if plain else None
        by_command = npm["rss_kib_by_command_mean"]
        rows.append({"case": "1 instance started with `npm start` (the buildpack's default), 128 MB",
                     "instance_rss_mb": mb(npm["rss_kib_mean"]), "instance_app_rss_mb": mb(by_command.get("node")),
                     "instance_uss_mb": mb(npm["uss_kib_mean"]), "instance_cgroup_mb": mb(npm["cgroup_kib_mean"]),
                     "plain_rss_mb": mb(reference["rss_kib_mean"]) if reference else None,
                     "plain_uss_mb": mb(reference["uss_kib_mean"]) if reference else None,
                     "instance_vs_plain_rss": round(npm["rss_kib_mean"] / reference["rss_kib_mean"], 2) if reference else None,
                     "notes": f"npm itself: {mb(by_command.get('npm start', 0))} MB RSS; memory cgroup: {mb(npm['cgroup_kib_mean'])} MB"})
    for step in steps:
        inst, ref = step["instances"], plain.get(step["requested"])
        row = {"case": f"{step['requested']} instance{'s' if step['requested'] != 1 else ''}", "requested": step["requested"], "running": step["running"],
               "scale_seconds": step["scale_seconds"],
               "control_plane_rss_mb": mb(step["control_plane"]["rss_kib"]), "node_rss_mb": mb(step["node"]["rss_kib"]),
               "mem_available_mb": mb(step["mem_available_kib"]),
               "node_cpu_percent": cpu_percent(step["before"]["node"], step["node"], step["settle_seconds"]),
               "control_plane_cpu_percent": cpu_percent(step["before"]["control_plane"], step["control_plane"], step["settle_seconds"])}
        if inst["count"]:
            row.update({"instance_rss_mb": mb(inst["rss_kib_mean"]), "instance_app_rss_mb": mb(inst["rss_kib_by_command_mean"].get("node")),
                        "instance_pss_mb": mb(inst["pss_kib_mean"]), "instance_uss_mb": mb(inst["uss_kib_mean"]),
                        "instance_cgroup_mb": mb(inst["cgroup_kib_mean"]), "instance_processes": inst["processes_mean"]})
        if ref and ref["count"]:
            row.update({"plain_rss_mb": mb(ref["rss_kib_mean"]), "plain_pss_mb": mb(ref["pss_kib_mean"]), "plain_uss_mb": mb(ref["uss_kib_mean"])})
        if inst["count"] and ref and ref["count"]:
            row["instance_vs_plain_rss"] = round(inst["rss_kib_mean"] / ref["rss_kib_mean"], 2)
            row["instance_vs_plain_uss"] = round(inst["uss_kib_mean"] / ref["uss_kib_mean"], 2)
        row["notes"] = (f"{step['running']}/{step['requested']} running {step['scale_seconds']} s after `rav scale`; "
                        f"node agent CPU {row['node_cpu_percent']}%, control plane {row['control_plane_cpu_percent']}% of a core")
        rows.append(row)

    # What one more instance costs: its own processes plus what the node agent grows by to supervise it.
    measured = [s for s in steps if s["running"] and s["instances"]["count"]]
    node_kib = slope([(s["running"], s["node"]["rss_kib"]) for s in measured])
    drop_kib = slope([(s["running"], s["mem_available_kib"]) for s in measured])
    largest = measured[-1] if measured else None
    available = apps["mem_available_kib"]
    estimate = {"mem_available_mb": mb(available), "node_growth_mb_per_instance": None if node_kib is None else round(node_kib / 1024, 2),
                "port_range_limit": PORT_RANGE}
    if largest and node_kib is not None:
        per_rss = largest["instances"]["rss_kib_mean"] + max(node_kib, 0)
        per_uss = largest["instances"]["uss_kib_mean"] + max(node_kib, 0)
        estimate.update({"per_instance_rss_mb": mb(per_rss), "n_max_rss": int(available // per_rss),
                         "per_instance_uss_mb": mb(per_uss), "n_max_uss": int(available // per_uss)})
        rows.append({"case": "node agent growth per instance (linear fit over the steps)", "node_rss_mb": f"{estimate['node_growth_mb_per_instance']:+} / instance",
                     "notes": "the node agent's RSS against the number of running instances"})
        rows.append({"case": "N_max from RSS: MemAvailable ÷ (instance RSS + node agent growth)",
                     "notes": f"{mb(available):,} MB ÷ {mb(per_rss)} MB = **{estimate['n_max_rss']:,}** (conservative: RSS counts the node binary's shared pages in every instance)"})
        rows.append({"case": "N_max from private memory: MemAvailable ÷ (instance USS + node agent growth)",
                     "notes": f"{mb(available):,} MB ÷ {mb(per_uss)} MB = **{estimate['n_max_uss']:,}**"})
    if drop_kib is not None and drop_kib < 0:
        estimate.update({"measured_mb_per_instance": round(-drop_kib / 1024, 1), "n_max_measured": int(available // -drop_kib)})
        rows.append({"case": f"N_max from the measured MemAvailable drop, {measured[0]['running']} → {largest['running']} instances",
                     "notes": f"{estimate['measured_mb_per_instance']} MB per instance → **{estimate['n_max_measured']:,}**; "
                              f"a node hands out at most {PORT_RANGE:,} instance ports"})
    result = {"benchmark": "density", "date": datetime.date.today().isoformat(), "cores": cores,
              "targets": {}, "estimate": estimate, "rows": rows, "runs": runs}
    # Ends with a newline: run-all.sh joins the tables with one, and each needs a blank line after it.
    result["markdown"] = table(result) + "\n"
    return result


def cell(value, suffix=""):
    return "—" if value is None else f"{value}{suffix}"


def table(document):
    lines = [f"Density and footprint, {document['date']}, {document['cores']} cores (RSS from /proc; instances of bench/apps/hello-1k "
             f"as `node server.js`, 64 MB each; reference: the same app as plain `node` processes, measured in the same run)", "",
             "| case | control plane RSS MB | node agent RSS MB | instance RSS MB (node process) | plain node RSS MB | instance/plain RSS "
             "| instance / plain private MB | MemAvailable MB | notes |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in document["rows"]:
        instance = "—" if r.get("instance_rss_mb") is None else f"{r['instance_rss_mb']} ({cell(r.get('instance_app_rss_mb'))})"
        private = "—" if r.get("instance_uss_mb") is None else f"{r['instance_uss_mb']} / {cell(r.get('plain_uss_mb'))}"
        lines.append(f"| {r['case']} | {cell(r.get('control_plane_rss_mb'))} | {cell(r.get('node_rss_mb'))} | {instance} | "
                     f"{cell(r.get('plain_rss_mb'))} | {cell(r.get('instance_vs_plain_rss'))} | {private} | {cell(r.get('mem_available_mb'))} | "
                     f"{r.get('notes', '')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(json.dumps(document([json.loads(line) for line in sys.stdin if line.strip()], int(sys.argv[1])), indent=2))
