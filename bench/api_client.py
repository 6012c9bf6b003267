"""A small keep-alive HTTP client for the bench scripts that drive the API itself rather than one URL (wrk's job),
and the /proc readings they report. Prints one JSON object per command.

  api_client.py token URL USERNAME PASSWORD                  an access and a refresh token (password grant)
  api_client.py spaces URL ORG_GUID COUNT PREFIX             creates spaces PREFIX-0..COUNT-1; prints their guids
  api_client.py apps URL SPACE_GUIDS_FILE FIRST COUNT CONCURRENCY
                                                             creates apps app-FIRST.. round-robin across the spaces
  api_client.py memory PID...                                VmRSS, Pss, private (USS) KiB and CPU ticks of each pid
  api_client.py platform DATA_DIR                            that, for the control plane and the node agent; MemAvailable
  api_client.py instances DATA_DIR                           the running instances' memory (each: all its processes) and
                                                             cgroup usage: mean, min, max
  api_client.py running DATA_DIR                             how many instances the node runs
  api_client.py sql DB_FILE PAGES_FILE SPACES_FILE SAMPLES   the list queries' own time in the sqlite3 CLI: p50/p99 ms
  api_client.py plain APP_DIR COUNT SETTLE_SECONDS           the reference: COUNT plain `node server.js` processes (no
                                                             platform), their memory (mean, min, max) once all listen and
                                                             SETTLE_SECONDS passed; then they are stopped

spaces and apps take a bearer access token from BENCH_TOKEN."""
import concurrent.futures
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse


class Api:
    """One keep-alive connection per thread, reopened after the server closes it."""

    def __init__(self, url, token=None):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port, self.token = parsed.hostname, parsed.port or 80, token
        self._local = threading.local()

    def _connection(self):
        if getattr(self._local, "connection", None) is None:
            self._local.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        return self._local.connection

    def call(self, method, path, body=None, form=None):
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif form is not None:
            data, headers["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                text = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    self._local.connection = None
                return response.status, json.loads(text) if text else None
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise


def parallel(api, concurrency, calls):
    """Runs (method, path, body) calls on CONCURRENCY threads; returns (seconds, statuses, bodies, latencies in ms)."""
    def timed(call):
        started = time.monotonic()
        status, body = api.call(*call)
        return status, body, (time.monotonic() - started) * 1000

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(timed, calls))
    return time.monotonic() - started, [r[0] for r in results], [r[1] for r in results], [r[2] for r in results]


def create_spaces(url, org, count, prefix):
    calls = [("POST", "/v3/spaces", {"name": f"{prefix}-{i}", "relationships": {"organization": {"data": {"guid": org}}}})
             for i in range(count)]
    seconds, statuses, bodies, _ = parallel(Api(url, os.environ["BENCH_TOKEN"]), 4, calls)
    if any(s != 201 for s in statuses):
        raise SystemExit(f"creating spaces failed: statuses {sorted(set(statuses))}")
    return {"spaces": count, "seconds": round(seconds, 2), "guids": [b["guid"] for b in bodies]}


def create_apps(url, space_guids, first, count, concurrency):
    calls = [("POST", "/v3/apps", {"name": f"app-{i}", "relationships": {"space": {"data": {"guid": space_guids[i % len(space_guids)]}}}})
             for i in range(first, first + count)]
    seconds, statuses, _, latencies = parallel(Api(url, os.environ["BENCH_TOKEN"]), concurrency, calls)
    return {"apps": count, "seconds": round(seconds, 3), "apps_per_s": round(count / seconds, 1), "concurrency": concurrency,
            "p50_ms": round(percentile(latencies, 50), 3), "p99_ms": round(percentile(latencies, 99), 3),
            "errors": sum(1 for s in statuses if s != 201)}


def token(url, username, password):
    status, body = Api(url).call("POST", "/oauth/token", form={"grant_type": "password", "username": username, "password": password})
    if status != 200:
        raise SystemExit(f"password grant failed: {status} {body}")
    return {"access_token": body["access_token"], "refresh_token": body["refresh_token"]}


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def smaps_kib(pid):
    """Pss (shared pages divided among the processes that map them, such as the node binary) and private pages (USS:
    what the process alone costs, so what one more instance adds), from /proc/PID/smaps_rollup."""
    values = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB":
                    values[parts[0].rstrip(":")] = int(parts[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return values.get("Pss", 0), values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    except (FileNotFoundError, ProcessLookupError):
        return 0


def memory(pids):
    result = {}
    for p in pids:
        pss, uss = smaps_kib(p)
        result[str(p)] = {"rss_kib": status_kib(p, "VmRSS"), "pss_kib": pss, "uss_kib": uss, "cpu_ticks": cpu_ticks(p)}
    return result


def mem_available_kib():
    with open("/proc/meminfo") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("MemAvailable:"))


def platform(data_dir):
    """The control plane's and the node agent's memory and CPU ticks (pids from DATA_DIR/*.pid), and MemAvailable."""
    pids = {}
    for name, file in (("control_plane", "control-plane.pid"), ("node", "node.pid")):
        with open(os.path.join(data_dir, file)) as f:
            pids[name] = int(f.read().strip())
    readings = memory(pids.values())
    return {**{name: readings[str(pid)] for name, pid in pids.items()}, "mem_available_kib": mem_available_kib()}


def children_by_parent():
    tree = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ppid = status_kib(entry, "PPid")  # the same "Name:\tvalue" shape, read as a number
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid, tree):
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(tree.get(current, []))
    return found


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except FileNotFoundError:
        return "?"


def cgroup_memory(dirs):
    """What the platform charges the instance: the memory cgroup's usage (v2 memory.current, v1 usage_in_bytes), in KiB."""
    for d in dirs:
        for name in ("memory.current", "memory.usage_in_bytes"):
            try:
                with open(os.path.join(d, name)) as f:
                    return int(f.read()) // 1024
            except (FileNotFoundError, ValueError):
                continue
    return None


def summary(readings):
    """Mean, min and max of each numeric field over the processes or instances read; dict fields are averaged per key."""
    result = {"count": len(readings)}
    for key in (readings[0] if readings else {}):
        if isinstance(readings[0][key], dict):
            names = {name for r in readings for name in r[key]}
            result[key + "_mean"] = {n: round(sum(r[key].get(n, 0) for r in readings) / len(readings)) for n in sorted(names)}
        elif isinstance(readings[0][key], (int, float)) and not isinstance(readings[0][key], bool):
            values = [r[key] for r in readings if r[key] is not None]
            result[key + "_mean"] = round(sum(values) / len(values)) if values else None
            result[key + "_min"], result[key + "_max"] = (min(values), max(values)) if values else (None, None)
    return result


def running(data_dir):
    """How many instances the node's executor has RUNNING, from the state it persists."""
    try:
        with open(os.path.join(data_dir, "executor", "state.json")) as f:
            return sum(1 for r in json.load(f).get("instances", []) if r.get("state") == "RUNNING")
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def instances(data_dir):
    """Every running instance as the node's executor persisted it (the wrapper pid and all its descendants), summarised."""
    with open(os.path.join(data_dir, "executor", "state.json")) as f:
        state = json.load(f)
    tree = children_by_parent()
    readings = []
    for record in state.get("instances", []):
        if record.get("state") != "RUNNING" or not record.get("wrapperPid"):
            continue
        pids = descendants(record["wrapperPid"], tree)
        smaps, rss, by_command = {p: smaps_kib(p) for p in pids}, {p: status_kib(p, "VmRSS") for p in pids}, {}
        for p in pids:
            by_command[comm(p)] = by_command.get(comm(p), 0) + rss[p]
        readings.append({"processes": len(pids), "rss_kib": sum(rss.values()), "pss_kib": sum(smaps[p][0] for p in pids),
                         "uss_kib": sum(smaps[p][1] for p in pids), "cgroup_kib": cgroup_memory(record.get("cgroupDirectories", [])),
                         "rss_kib_by_command": by_command})
    return summary(readings)


def sql_times(database, cases, samples):
    """The reference for the lists: the queries the API runs for one request (the caller's user and roles, the count,
    the page), run by the sqlite3 CLI on the same file; .timer's user+sys CPU time per request, in ms (its wall time
    has a 1 ms resolution). CASES: {name: [[statement, ...] per request]}; SAMPLES requests per name, spread over its list."""
    script, order = [".timer on", ".output /dev/null"], []
    for name, requests in cases.items():
        for i in range(samples):
            statements = requests[i * len(requests) // samples]  # spread over every page, not the first few
            script.extend(statements)
            order.append((name, len(statements)))
    out = subprocess.run(["sqlite3", "-readonly", database], input="\n".join(script) + "\n", capture_output=True, text=True, check=True).stdout
    times = [float(line.split()[5]) + float(line.split()[7]) for line in out.splitlines() if line.startswith("Run Time:")]
    if len(times) != sum(n for _, n in order):
        raise SystemExit(f"sqlite3 printed {len(times)} timings for {sum(n for _, n in order)} statements:\n{out[:2000]}")
    per_case, position = {}, 0
    for name, n in order:
        per_case.setdefault(name, []).append(sum(times[position:position + n]) * 1000)
        position += n
    return {name: {"requests": len(values), "p50_ms": round(percentile(values, 50), 3), "p99_ms": round(percentile(values, 99), 3)}
            for name, values in per_case.items()}


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def list_sql(database, pages_file, spaces_file, samples):
    """The SQL of the list cases api.sh measures, as EF Core sends it for an admin (who sees every app)."""
    with open(pages_file) as f:
        pages = [int(p) for p in f.read().split()]
    with open(spaces_file) as f:
        spaces = f.read().split()
    admin = subprocess.run(["sqlite3", "-readonly", database, "SELECT guid FROM users WHERE username_key = 'admin';"],
                           capture_output=True, text=True, check=True).stdout.strip()
    caller = [f"SELECT * FROM users WHERE guid = '{admin}' LIMIT 1;",
              f"SELECT type, organization_guid, space_guid FROM roles WHERE user_guid = '{admin}';"]
    order = "ORDER BY created_at, guid"
    total = int(subprocess.run(["sqlite3", "-readonly", database, "SELECT COUNT(*) FROM apps;"], capture_output=True, text=True, check=True).stdout)
    cases = {
        "empty": [caller + ["SELECT COUNT(*) FROM apps WHERE guid IN ('00000000-0000-0000-0000-000000000000');"]],
        "page50": [caller + ["SELECT COUNT(*) FROM apps;", f"SELECT * FROM apps {order} LIMIT 50 OFFSET {(p - 1) * 50};"] for p in pages],
        "page5000": [caller + ["SELECT COUNT(*) FROM apps;", f"SELECT * FROM apps {order} LIMIT 5000 OFFSET {(p - 1) * 5000};"]
                     for p in range(1, (total + 4999) // 5000 + 1)],
        "space": [caller + [f"SELECT COUNT(*) FROM apps WHERE space_guid IN ('{g}');",
                            f"SELECT * FROM apps WHERE space_guid IN ('{g}') {order} LIMIT 50 OFFSET 0;"] for g in spaces],
    }
    return sql_times(database, cases, samples)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plain(app_dir, count, settle):
    # A TERM from the bench script's trap must still stop the node processes: run the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    processes = []
    try:
        started = time.monotonic()
        for _ in range(count):
            port = free_port()
            processes.append((port, subprocess.Popen(["node", "server.js"], cwd=app_dir, env={**os.environ, "PORT": str(port)},
                                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
        for port, process in processes:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() - started > 120:
                        raise SystemExit(f"plain node on port {port} did not start")
                    time.sleep(0.05)
        seconds = time.monotonic() - started
        time.sleep(settle)
        readings = [{k: v for k, v in r.items() if k != "cpu_ticks"} for r in memory([p.pid for _, p in processes]).values()]
        return {"start_seconds": round(seconds, 2), **summary(readings)}
    finally:
        for _, process in processes:
            process.terminate()
        for _, process in processes:
            process.wait()


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "spaces":
        print(json.dumps(create_spaces(args[0], args[1], int(args[2]), args[3])))
    elif command == "apps":
        with open(args[1]) as f:
            guids = f.read().split()
        print(json.dumps(create_apps(args[0], guids, int(args[2]), int(args[3]), int(args[4]))))
    elif command == "token":
        print(json.dumps(token(*args)))
    elif command == "memory":
        print(json.dumps(memory([int(p) for p in args])))
    elif command == "instances":
        print(json.dumps(instances(args[0])))
    elif command == "platform":
        print(json.dumps(platform(args[0])))
    elif command == "sql":
        print(json.dumps(list_sql(args[0], args[1], args[2], int(args[3]))))
    elif command == "running":
        print(running(args[0]))
    elif command == "plain":
        print(json.dumps(plain(args[0], int(args[1]), float(args[2]))))
    else:
        raise SystemExit(f"unknown command {command}")
