# A hostile app for the platform's hostile-app suite. Each endpoint makes one attempt to get out of its sandbox or to
# hurt its neighbours, and answers with what happened as JSON: {"ok": true} means the attempt WORKED (bad),
# {"ok": false, "error": "EACCES"} that it was refused. Every attempt is bounded in time and count, and all of its
# traffic goes to loopback. It ignores SIGTERM, as a hostile app would, so only SIGKILL ends it.
import ctypes, errno, http.server, json, os, signal, socket, sys, time, urllib.error, urllib.parse, urllib.request

PORT = int(os.environ["PORT"])
MIB = 1 << 20
signal.signal(signal.SIGTERM, signal.SIG_IGN)


def failure(e):
    if isinstance(e, OSError) and e.errno:
        return errno.errorcode.get(e.errno, str(e.errno))
    return type(e).__name__ + ": " + str(e)


def attempt(action):
    try:
        return dict({"ok": True}, **(action() or {}))
    except Exception as e:
        return {"ok": False, "error": failure(e)}


def read(path):
    def go():
        with open(path, "rb") as f:
            return {"bytes": len(f.read(65536))}
    return attempt(go)


def listdir(path):
    return attempt(lambda: {"entries": sorted(os.listdir(path))[:20]})


def write(path):
    def go():
        with open(path, "wb") as f:
            f.write(b"written by a hostile app\n")
    return attempt(go)


def environ_scan(marker):
    # Every environment this app can see: its own namespace's processes only, if the pid namespace holds.
    visible, found = [], []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            visible.append(int(entry))
            try:
                with open("/proc/%s/environ" % entry, "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return {"ok": bool(found), "visible_pids": sorted(visible), "found_in": found}


def kill(pid):
    return attempt(lambda: os.kill(pid, signal.SIGKILL))


def bind(port):
    # SO_REUSEADDR and SO_REUSEPORT: the most a process can do to share a port that another process of the same uid holds.
    results = {}
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.bind((host, port))
            s.listen(1)
            results[host] = "bound"
        except OSError as e:
            results[host] = failure(e)
        finally:
            s.close()
    return {"ok": "bound" in results.values(), "results": results}


def connect(port):
    def go():
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: neighbour\r\n\r\n")
            return {"response": s.recv(100).decode(errors="replace").split("\r\n")[0]}
    return attempt(go)


def http_get(port, path, authorization):
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return {"ok": True, "status": response.status}
    except urllib.error.HTTPError as e:
        return {"ok": e.code < 400, "status": e.code}
    except Exception as e:
        return {"ok": False, "error": failure(e)}


def fork_bomb(seconds):
    # The bomb runs in a process group of its own under a subreaper, so that after `seconds` it can be killed and
    # every process of it reaped: the app keeps serving afterwards, and the node sees how it went.
    r, w = os.pipe()
    leader = os.fork()
    if leader == 0:
        os.close(r)
        report = {"probe_forks": 0, "probe_refused": 0, "first_error": None}
        try:
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
            bomb = os.fork()
            if bomb == 0:
                os.setpgid(0, 0)
                os.execv("/bin/sh", ["sh", "-c", "b() { b & b & wait; }; b"])
            try:
                os.setpgid(bomb, bomb)  # also from here: killpg must find the group even if the child has not run yet
            except OSError:
                pass
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                # The leader's own forks show what any process of the app gets while the bomb runs.
                try:
                    child = os.fork()
                    if child == 0:
                        os._exit(0)
                    report["probe_forks"] += 1
                except OSError as e:
                    report["probe_refused"] += 1
                    report["first_error"] = report["first_error"] or failure(e)
                time.sleep(0.02)
                reap(block=False)
            for _ in range(50):
                try:
                    os.killpg(bomb, signal.SIGKILL)
                except OSError:
                    break
                time.sleep(0.02)
            reap(block=True)
        except Exception as e:
            report["leader_error"] = failure(e)
        os.write(w, json.dumps(report).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(leader, 0)
    result = json.loads(data or b"{}")
    result["ok"] = result.get("probe_refused", 0) == 0
    return result


def reap(block):
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
            if pid == 0:
                return
        except ChildProcessError:
            return


def fill(directory, mib):
    # Writes 1 MiB files as fast as it can and says how far it got on stdout, because the node may kill it midway.
    written = 0
    chunk = b"\xa5" * MIB
    try:
        for i in range(mib):
            with open("%s/fill-%d.bin" % (directory, i), "wb") as f:
                f.write(chunk)
            written += 1
            if written % 4 == 0:
                print("filled %d MiB in %s" % (written, directory), flush=True)
        return {"ok": True, "mib": written}
    except OSError as e:
        return {"ok": False, "mib": written, "error": failure(e)}


def allocate(mib):
    # Touches every page: untouched memory is never charged to the cgroup.
    held = []
    for i in range(0, mib, 16):
        held.append(b"\x01" * (16 * MIB))
        print("holding %d MiB" % (16 * len(held)), flush=True)
    return {"ok": True, "mib": 16 * len(held)}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        number = lambda name: int(q[name])
        print("attempt " + self.path, flush=True)
        actions = {
            "/ping": lambda: {"ok": True, "pid": os.getpid(), "uid": os.getuid()},
            "/read": lambda: read(q["path"]),
            "/list": lambda: listdir(q["path"]),
            "/write": lambda: write(q["path"]),
            "/environ": lambda: environ_scan(q["marker"]),
            "/kill": lambda: kill(number("pid")),
            "/bind": lambda: bind(number("port")),
            "/connect": lambda: connect(number("port")),
            "/http": lambda: http_get(number("port"), q["path"], q.get("authorization")),
            "/forkbomb": lambda: fork_bomb(min(float(q.get("seconds", "3")), 10)),
            "/fill": lambda: fill(q["dir"], min(number("mib"), 1024)),
            "/allocate": lambda: allocate(min(number("mib"), 4096)),
        }
        action = actions.get(url.path)
        body = action() if action else {"error": "no such attempt"}
        data = json.dumps(body).encode()
        self.send_response(200 if action else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
print("hostile app listening on %d" % PORT, flush=True)
server.serve_forever()
