"""Measurements for the lifecycle benchmarks (push.sh, recovery.sh, scale.sh): each subcommand times one thing on
the platform the calling script started, or its reference without the platform, and prints JSON lines (one per
measured case) for report.py. Polls are plain HTTP from this process; the API is called with a token from the
password grant, never through `rav` (a .NET start per call would be most of what is measured).

  lifecycle.py push DIR CASE KIND             time `rav push` in DIR to the first 200 through the router
  lifecycle.py raw SAMPLE DIR CACHE KIND      the raw path: copy, build as the buildpack does, start, first 200
  lifecycle.py recovery APP KILLS             kill -9 the app's only instance KILLS times; time to RUNNING + 200
  lifecycle.py naive DIR KILLS                the same against `while true; do node server.js; done`
  lifecycle.py load APP KILLS                 kill instances of a 2-instance app under load; count failed requests
  lifecycle.py scale APP N                    scale 1 -> N -> 1; time to RUNNING, routed, and back
  lifecycle.py direct-scale DIR N             start N node processes without the platform; time until all answer

Platform coordinates come from the environment the bench scripts export: BENCH_API_PORT, BENCH_ROUTER_PORT,
BENCH_DATA, RAVIOLI_ROOT.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROUTER_POLL = 0.02   # s between probes of the router (or of an app directly) while waiting for a 200
STATS_POLL = 0.1     # s between reads of the process stats API while waiting for a state
APPS_DOMAIN = "apps.localhost"


def now():
    return time.monotonic()


def emit(record):
    print(json.dumps(record), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rav(*args, cwd=None, check=True):
    """Runs ./rav; returns its output. Only for actions, never inside a timed poll."""
    result = subprocess.run([os.path.join(os.environ["RAVIOLI_ROOT"], "rav"), *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"rav {' '.join(args)} failed:\n{result.stdout}")
    return result.stdout


def get(port, host=None, timeout=2.0):
    """One GET / on 127.0.0.1:PORT on a new connection: (status, body), status None on a connection error."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/", headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as e:
        return None, type(e).__name__
    finally:
        connection.close()


def wait_for_200(port, host=None, timeout=300.0, accept=lambda body: True):
    """Polls until a 200 whose body passes `accept`; returns the body."""
    deadline = now() + timeout
    while now() < deadline:
        status, body = get(port, host)
        if status == 200 and accept(body):
            return body
        time.sleep(ROUTER_POLL)
    raise TimeoutError(f"no 200 from 127.0.0.1:{port} ({host or 'direct'}) within {timeout:.0f} s")


def listener_pid(port):
    """The host pid of the process listening on 127.0.0.1:PORT (the app itself, inside or outside a sandbox)."""
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], stdout=subprocess.PIPE, text=True, check=True).stdout
    pids = re.findall(r"pid=(\d+)", out)
    if not pids:
        raise RuntimeError(f"nothing listens on port {port}")
    return int(pids[0])


def boot_id(body):
    """instance-id's answer is 'INDEX GUID BOOT': the last word changes with every start of the process."""
    return body.split()[-1] if body else None


class Api:
    """The control plane's API as admin, re-authenticating when the token expires (a full run outlasts one)."""

    def __init__(self):
        self.base = f"http://127.0.0.1:{os.environ['BENCH_API_PORT']}"
        with open(os.path.join(os.environ["BENCH_DATA"], "admin-password")) as f:
            self.password = f.read().strip()
        self.token = None

    def _login(self):
        form = urllib.parse.urlencode({"grant_type": "password", "username": "admin", "password": self.password}).encode()
        with urllib.request.urlopen(urllib.request.Request(self.base + "/oauth/token", data=form), timeout=30) as r:
            self.token = json.load(r)["access_token"]

    def get(self, path):
        for attempt in (1, 2):
            if self.token is None:
                self._login()
            request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})
            try:
                with urllib.request.urlopen(request, timeout=30) as r:
                    return json.load(r)
            except urllib.error.HTTPError as e:
                if e.code != 401 or attempt == 2:
                    raise
                self.token = None

    def app_guid(self, name):
        resources = self.get(f"/v3/apps?names={urllib.parse.quote(name)}")["resources"]
        return resources[0]["guid"] if resources else None

    def stats(self, app_guid):
        """The web process's instances: [{index, state, port, uptime}]; the process guid is the app's guid."""
        return [{"index": r["index"], "state": r["state"], "uptime": r["uptime"],
                 "port": r["instance_ports"][0]["internal"] if r["instance_ports"] else None}
                for r in self.get(f"/v3/processes/{app_guid}/stats")["resources"]]


def router_port():
    return int(os.environ["BENCH_ROUTER_PORT"])


def node_instances():
    """Instances the node still has (any state), from its state file, as ResilienceTests reads it."""
    path = os.path.join(os.environ["BENCH_DATA"], "executor", "state.json")
    for _ in range(10):
        try:
            with open(path) as f:
                return json.load(f)["instances"]
        except (OSError, ValueError):
            time.sleep(0.01)  # caught mid-write
    raise RuntimeError(f"cannot read {path}")


# ---------------------------------------------------------------------------------------------------------------- push

PUSH_MILESTONES = [  # (name, pattern in rav push's output), in the order they appear
    ("uploaded", re.compile(r"^Uploaded .* files?\)")),
    ("staged", re.compile(r"Staging complete|^Waiting for app")),
    ("running", re.compile(r"^(\d+) of \1 instances running")),
]


def push(directory, case, kind):
    """`rav push` in DIRECTORY, its output read line by line as it arrives; the app is the manifest's."""
    with open(os.path.join(directory, "manifest.yml")) as f:
        app = re.search(r"name:\s*(\S+)", f.read()).group(1)
    host = f"{app}.{APPS_DOMAIN}"
    api = Api()
    guid = api.app_guid(app)
    old_ports = {i["port"] for i in api.stats(guid)} if guid else set()
    seen, output, staged, ended = {}, [], threading.Event(), []
    start = now()
    process = subprocess.Popen([os.path.join(os.environ["RAVIOLI_ROOT"], "rav"), "push"], cwd=directory,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)

    def read():
        for line in process.stdout:
            at = now() - start
            output.append(f"{at:8.3f} {line.rstrip()}")
            for name, pattern in PUSH_MILESTONES:
                if name not in seen and pattern.search(line.strip()):
                    seen[name] = at
                    if name == "staged":
                        staged.set()
        ended.append(now() - start)  # end of output: rav is exiting

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while not staged.wait(0.05):
        if process.poll() is not None:
            reader.join()
            raise RuntimeError(f"rav push {app} failed before staging finished:\n" + "\n".join(output))
    # Staged: from here the new instance can start. On a re-push the old instance answers 200 all along, so the
    # new one counts as routable at the first 200 through the router once the API shows it RUNNING (on a new port).
    guid = guid or api.app_guid(app)
    running = routable = None
    next_stats = now()
    deadline = now() + 300
    while routable is None:
        if now() > deadline:
            raise TimeoutError(f"{app} not routable 300 s after the push started:\n" + "\n".join(output))
        if process.poll() not in (None, 0):
            reader.join()
            raise RuntimeError(f"rav push {app} exited with {process.returncode}:\n" + "\n".join(output))
        if running is None and now() >= next_stats:
            next_stats = now() + STATS_POLL
            if any(i["state"] == "RUNNING" and i["port"] not in old_ports for i in api.stats(guid)):
                running = now() - start
        if kind == "first" or running is not None:
            status, _ = get(router_port(), host)
            if status == 200:
                routable = now() - start
                # First push: a 200 proves a running instance even when the stats poll has not caught up yet.
                running = min(running if running is not None else routable, routable)
                break
        time.sleep(ROUTER_POLL)
    exit_code = process.wait(timeout=300)
    reader.join()
    if exit_code != 0:
        raise RuntimeError(f"rav push {app} exited with {exit_code}:\n" + "\n".join(output))
    rav_exit = ended[0]
    uploaded, staged_at = seen.get("uploaded", 0.0), seen["staged"]
    emit({"case": case, "target": "ravioli", "push": kind, "upload_s": round(uploaded, 3),
          "staging_s": round(staged_at - uploaded, 3), "start_s": round(running - staged_at, 3),
          "routable_s": round(routable - running, 3), "total_s": round(routable, 3),
          "rav_exit_s": round(rav_exit, 3), "rav_running_s": seen.get("running")})


def _package_json(directory):
    path = os.path.join(directory, "package.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _locks_packages(path):
    """Whether an npm lock file names a package besides the app (nodejs_buildpack skips npm ci otherwise)."""
    try:
        with open(path) as f:
            lock = json.load(f)
    except (OSError, ValueError):
        return True
    return any(name for name in (lock.get("packages") or {})) or bool(lock.get("dependencies"))


def raw_commands(sample, directory, cache, port):
    """(build commands, start command, environment) that mirror what the sample's buildpack runs, without the platform."""
    env = dict(os.environ, PORT=str(port), HOME=os.environ.get("HOME", "/root"))
    build = []
    if sample == "node":
        env.update(npm_config_cache=os.path.join(cache, "npm"), npm_config_update_notifier="false",
                   npm_config_fund="false", npm_config_audit="false", NODE_ENV="production")
        package = _package_json(directory)
        has_deps = any(package.get(k) for k in ("dependencies", "devDependencies", "optionalDependencies"))
        lock = next((f for f in ("npm-shrinkwrap.json", "package-lock.json") if os.path.exists(os.path.join(directory, f))), None)
        if has_deps or (lock and _locks_packages(os.path.join(directory, lock))):  # as nodejs_buildpack decides
            build.append(["npm", "ci" if lock else "install", "--omit=dev"])
        start = ["npm", "start"] if package.get("scripts", {}).get("start") else ["node", "server.js"]
    elif sample == "python":
        requirements = os.path.join(directory, "requirements.txt")
        if os.path.exists(requirements) and any(l.strip() and not l.strip().startswith("#") for l in open(requirements)):
            build += [["python3", "-m", "venv", ".venv"], [".venv/bin/pip", "install", "-q", "-r", "requirements.txt"]]
        start = ["python3", "app.py"]
    elif sample == "go":
        env.update(GOPATH=os.path.join(cache, "gopath"), GOCACHE=os.path.join(cache, "go-build"), GOFLAGS="-mod=mod",
                   GOPROXY="off", GOSUMDB="off", GOTOOLCHAIN="local", CGO_ENABLED="0")
        build.append(["go", "build", "-trimpath", "-o", "bin/hello-go", "."])
        start = ["./bin/hello-go"]
    elif sample == "dotnet":
        env.update(DOTNET_CLI_HOME=cache, NUGET_PACKAGES=os.path.join(cache, "nuget", "packages"),
                   NUGET_HTTP_CACHE_PATH=os.path.join(cache, "nuget", "http-cache"), DOTNET_CLI_TELEMETRY_OPTOUT="1",
                   DOTNET_NOLOGO="1", DOTNET_SKIP_FIRST_TIME_EXPERIENCE="1", DOTNET_CLI_USE_MSBUILD_SERVER="0",
                   MSBUILDDISABLENODEREUSE="1")
        build.append(["dotnet", "publish", "hello-dotnet.csproj", "-c", "Release", "-o", "out", "--nologo",
                      "--disable-build-servers", "-p:UseAppHost=false"])
        start = ["dotnet", "out/hello-dotnet.dll"]
    elif sample == "java":
        start = ["java", "-Xmx192m", "-jar", "hello-java.jar"]  # the buildpack's heap: 75% of the 256M limit
    elif sample == "static":
        start = ["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    elif sample == "binary":
        start = ["./server.sh"]
    else:
        raise ValueError(f"unknown sample {sample}")
    return build, start, env


def raw(sample, source, cache, kind):
    """The raw path: copy the directory, build as the buildpack would, start, first 200 directly on its port."""
    port = free_port()
    start = now()
    directory = tempfile.mkdtemp(prefix=f"ravioli-bench-raw-{sample}-")
    process = None
    try:
        shutil.copytree(source, directory, dirs_exist_ok=True, symlinks=True)
        copied = now() - start
        build, command, env = raw_commands(sample, directory, cache, port)
        for step in build:
            subprocess.run(step, cwd=directory, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        built = now() - start
        process = subprocess.Popen(command, cwd=directory, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        wait_for_200(port, timeout=120)
        answered = now() - start
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)
    emit({"case": sample, "target": "raw", "push": kind, "copy_s": round(copied, 3), "build_s": round(built - copied, 3),
          "start_s": round(answered - built, 3), "total_s": round(answered, 3)})


# ------------------------------------------------------------------------------------------------------------ recovery

# Ravioli restarts a crashed instance at once only for its first 3 crashes (Cloud Foundry's policy, see
# RestartBackoff); the 4th waits 30 s. A kill is meant to be a one-off crash, so no instance generation is killed more
# than this often: a rolling restart (not timed) gives the next kills a fresh instance.
KILLS_PER_GENERATION = 3


def wait_stable(api, guid, host, count, min_uptime):
    """Until COUNT instances are RUNNING for at least MIN_UPTIME s, the node runs no other instance of the app (after a
    rolling restart the old generation stays, and takes the traffic back if the new one dies, until the new one has
    run a while), and the router answers; returns the stats."""
    deadline = now() + 120
    while now() < deadline:
        stats = api.stats(guid)
        running = [i for i in stats if i["state"] == "RUNNING"]
        if len(stats) == count and len(running) == count and min(i["uptime"] for i in running) >= min_uptime \
                and sum(i["spec"]["appGuid"] == guid for i in node_instances()) == count:
            wait_for_200(router_port(), host, timeout=30)
            return stats
        time.sleep(0.2)
    raise TimeoutError(f"{count} instances not stably RUNNING within 120 s: {api.stats(guid)}")


def restart(app, api, guid, host, count):
    """A rolling restart: new instances (a new generation, crash count 0), then the old ones leave."""
    old = {i["port"] for i in api.stats(guid)}
    rav("restart", app)
    deadline = now() + 120
    while now() < deadline:
        stats = api.stats(guid)
        if len(stats) == count and all(i["state"] == "RUNNING" and i["port"] not in old for i in stats):
            return
        time.sleep(0.2)
    raise TimeoutError(f"restart of {app} did not finish within 120 s: {api.stats(guid)}")


def kill_and_time(api, guid, host, index, uptime_before, routed_check=None):
    """kill -9 the app process of instance INDEX. Returns (running, routed): seconds until the API shows it RUNNING
    again (a new run: its uptime is below the old run's, which is at least 2 s) and, with ROUTED_CHECK, until a 200
    through the router passes ROUTED_CHECK(body); without it, routed is None."""
    stats = {i["index"]: i for i in api.stats(guid)}
    pid = listener_pid(stats[index]["port"])
    start = now()
    os.kill(pid, signal.SIGKILL)
    running = routed = None
    next_stats = now()
    while running is None or (routed_check is not None and routed is None):
        if now() - start > 120:
            raise TimeoutError(f"instance {index} not back within 120 s: {api.stats(guid)}")
        if running is None and now() >= next_stats:
            next_stats = now() + STATS_POLL
            mine = [i for i in api.stats(guid) if i["index"] == index]
            if mine and mine[0]["state"] == "RUNNING" and mine[0]["uptime"] < uptime_before:
                running = now() - start
        if routed_check is not None and routed is None:
            status, body = get(router_port(), host)
            if status == 200 and routed_check(body):
                routed = now() - start
        time.sleep(ROUTER_POLL)
    return running, routed


def recovery(app, kills):
    api, host = Api(), f"{app}.{APPS_DOMAIN}"
    guid = api.app_guid(app)
    for kill in range(kills):
        if kill > 0 and kill % KILLS_PER_GENERATION == 0:
            restart(app, api, guid, host, 1)
        stats = wait_stable(api, guid, host, 1, 2)
        _, body = get(router_port(), host)
        _, instance, old_boot = body.split()
        # The replacement: the same instance (not an older generation's), a new process.
        running, routed = kill_and_time(api, guid, host, 0, stats[0]["uptime"],
                                        lambda b: b.split()[1] == instance and boot_id(b) != old_boot)
        emit({"case": "kill -9, 1 instance", "target": "ravioli", "kill": kill + 1, "running_s": round(running, 3),
              "routed_s": round(routed, 3), "recovered_s": round(max(running, routed), 3)})


def naive(directory, kills):
    """The reference: a shell loop restarting the same app process, probed directly (no router)."""
    port = free_port()
    loop = subprocess.Popen(["bash", "-c", "while true; do node server.js; done"], cwd=directory,
                            env=dict(os.environ, PORT=str(port)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        body = wait_for_200(port, timeout=30)
        for kill in range(kills):
            time.sleep(0.5)
            old_boot = boot_id(body)
            pid = listener_pid(port)
            start = now()
            os.kill(pid, signal.SIGKILL)
            body = wait_for_200(port, timeout=30, accept=lambda b: boot_id(b) != old_boot)
            recovered = now() - start
            emit({"case": "kill -9, 1 instance", "target": "naive", "kill": kill + 1, "recovered_s": round(recovered, 3)})
    finally:
        os.killpg(loop.pid, signal.SIGKILL)
        loop.wait()


class Load:
    """Constant load through the router: CONNECTIONS keep-alive clients, each sending GET / then pausing PAUSE s.
    A non-2xx answer or a connection error is a failure (the client then reconnects)."""

    def __init__(self, host, connections=4, pause=0.005):
        self.host, self.pause = host, pause
        self.total, self.failures = 0, []
        self.lock, self.stop = threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(connections)]

    def _run(self):
        connection = None
        while not self.stop.is_set():
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", router_port(), timeout=10)
            failure = None
            try:
                connection.request("GET", "/", headers={"Host": self.host})
                response = connection.getresponse()
                response.read()
                if not 200 <= response.status < 300:
                    failure = str(response.status)
            except (OSError, http.client.HTTPException) as e:
                failure = type(e).__name__
                connection.close()
                connection = None
            with self.lock:
                self.total += 1
                if failure:
                    self.failures.append((now(), failure))
            time.sleep(self.pause)
        if connection is not None:
            connection.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        for t in self.threads:
            t.join()


def load(app, kills):
    """Two instances under constant load; kills them one at a time, each after the other is back and routed."""
    api, host = Api(), f"{app}.{APPS_DOMAIN}"
    guid = api.app_guid(app)
    wait_stable(api, guid, host, 2, 2)
    restarts, crashes = [], {0: 0, 1: 0}
    start = now()
    with Load(host) as traffic:
        for kill in range(kills):
            index = kill % 2
            if crashes[index] == KILLS_PER_GENERATION:
                began = now()
                restart(app, api, guid, host, 2)
                restarts.append((began, now()))
                crashes = {0: 0, 1: 0}
            stats = {i["index"]: i for i in wait_stable(api, guid, host, 2, 2)}
            time.sleep(0.5)
            kill_and_time(api, guid, host, index, stats[index]["uptime"])
            crashes[index] += 1
        wait_stable(api, guid, host, 2, 1)
        time.sleep(1)
    elapsed = now() - start
    during_restarts = [f for f in traffic.failures if any(a <= f[0] <= b + 3 for a, b in restarts)]
    kinds = {}
    for _, kind in traffic.failures:
        kinds[kind] = kinds.get(kind, 0) + 1
    emit({"case": "2 instances under load", "target": "ravioli", "kills": kills, "requests": traffic.total,
          "failed": len(traffic.failures), "failed_during_restarts": len(during_restarts), "restarts": len(restarts),
          "failure_kinds": kinds, "seconds": round(elapsed, 1), "rps": round(traffic.total / elapsed)})


# --------------------------------------------------------------------------------------------------------------- scale

class Sampler:
    """Sends GET / through the router on one keep-alive connection, as fast as it answers (pausing PAUSE s), and
    keeps (time, instance guid) of every 200."""

    def __init__(self, host, pause=0.002):
        self.host, self.pause = host, pause
        self.seen, self.stop = [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        connection = None
        while not self.stop.is_set():
            try:
                connection = connection or http.client.HTTPConnection("127.0.0.1", router_port(), timeout=10)
                connection.request("GET", "/", headers={"Host": self.host})
                response = connection.getresponse()
                body = response.read().decode(errors="replace")
                if response.status == 200:
                    self.seen.append((now(), body.split()[1]))
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = None
            time.sleep(self.pause)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        self.thread.join()


def scale(app, count):
    api, host = Api(), f"{app}.{APPS_DOMAIN}"
    guid = api.app_guid(app)
    wait_stable(api, guid, host, 1, 0)
    with Sampler(host) as sampler:
        start = now()
        rav("scale", app, "-i", str(count))
        rav_exit = now() - start
        running = routed = None
        while running is None or routed is None:
            if now() - start > 600:
                raise TimeoutError(f"scale to {count} not done within 600 s: {api.stats(guid)}")
            if running is None and sum(i["state"] == "RUNNING" for i in api.stats(guid)) == count:
                running = now() - start
            if routed is None:
                first_seen = {}
                for at, g in sampler.seen:
                    if at >= start:
                        first_seen.setdefault(g, at)
                if len(first_seen) >= count:  # the router has sent to every instance: the last one's first answer
                    routed = max(first_seen.values()) - start
            time.sleep(0.25)
        emit({"case": f"scale 1 → {count}", "target": "ravioli", "instances": count, "rav_exit_s": round(rav_exit, 3),
              "running_s": round(running, 3), "routed_s": round(routed, 3), "done_s": round(max(running, routed), 3),
              "per_instance_ms": round(max(running, routed) / (count - 1) * 1000, 1)})

        time.sleep(1)
        start = now()
        rav("scale", app, "-i", "1")
        rav_exit = now() - start
        listed = routed_one = gone = None
        streak = 200  # consecutive answers from one instance that count as "the router sends only to it"
        while listed is None or routed_one is None or gone is None:
            if now() - start > 300:
                raise TimeoutError(f"scale back to 1 not done within 300 s: {api.stats(guid)}")
            if listed is None and len(api.stats(guid)) == 1:
                listed = now() - start
            if gone is None and len([i for i in node_instances() if i["spec"]["appGuid"] == guid]) == 1:
                gone = now() - start
            if routed_one is None:
                recent = [(at, g) for at, g in sampler.seen if at >= start]
                # The streak must run to the latest answer: the start of the final run of one instance's answers.
                run_start = None
                for at, g in reversed(recent):
                    if g != recent[-1][1]:
                        break
                    run_start = at
                if run_start is not None and sum(1 for at, _ in recent if at >= run_start) >= streak:
                    routed_one = run_start - start
            time.sleep(0.25)
        emit({"case": f"scale {count} → 1", "target": "ravioli", "instances": count, "rav_exit_s": round(rav_exit, 3),
              "routed_s": round(max(routed_one, 0.0), 3), "listed_s": round(listed, 3), "done_s": round(gone, 3),
              "per_instance_ms": round(gone / (count - 1) * 1000, 1)})


def direct_scale(directory, count):
    """The reference: COUNT node processes of the same app on free ports, no sandbox, no router; then stopped."""
    ports = [free_port() for _ in range(count)]
    processes = []
    try:
        start = now()
        for index, port in enumerate(ports):
            processes.append(subprocess.Popen(["node", "server.js"], cwd=directory, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL, start_new_session=True,
                                              env=dict(os.environ, PORT=str(port), CF_INSTANCE_INDEX=str(index),
                                                       CF_INSTANCE_GUID=f"direct-{index}")))
        pending = set(ports)
        while pending:
            if now() - start > 300:
                raise TimeoutError(f"{len(pending)} of {count} direct processes not answering within 300 s")
            for port in list(pending):
                if get(port, timeout=1)[0] == 200:
                    pending.discard(port)
            time.sleep(ROUTER_POLL)
        answered = now() - start
        emit({"case": f"scale 1 → {count}", "target": "direct", "instances": count, "done_s": round(answered, 3),
              "per_instance_ms": round(answered / count * 1000, 1)})
        start = now()
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()
        stopped = now() - start
        emit({"case": f"scale {count} → 1", "target": "direct", "instances": count, "done_s": round(stopped, 3),
              "per_instance_ms": round(stopped / count * 1000, 1)})
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def main(argv):
    commands = {
        "push": lambda a: push(a[0], a[1], a[2]),
        "raw": lambda a: raw(a[0], a[1], a[2], a[3]),
        "recovery": lambda a: recovery(a[0], int(a[1])),
        "naive": lambda a: naive(a[0], int(a[1])),
        "load": lambda a: load(a[0], int(a[1])),
        "scale": lambda a: scale(a[0], int(a[1])),
        "direct-scale": lambda a: direct_scale(a[0], int(a[1])),
    }
    if not argv or argv[0] not in commands:
        sys.exit(__doc__)
    commands[argv[0]](argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
