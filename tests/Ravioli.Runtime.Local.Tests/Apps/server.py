# Test app: a one-file HTTP server that reports what it sees from inside its sandbox.
import http.server, json, os, signal, socket, sys, time, urllib.parse

port = int(os.environ["PORT"])


def initial_environment():
    # /proc/self/environ is what the app was started with, before Python adds anything of its own.
    raw = open("/proc/self/environ", "rb").read().split(b"\0")
    return dict(kv.decode().split("=", 1) for kv in raw if kv)


def proc_status():
    fields = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = query.get("path", [""])[0]
        print("request " + url.path, flush=True)
        if url.path == "/health":
            return self.reply(500 if os.path.exists("/app/unhealthy") else 200, {"ok": True})
        if url.path == "/whoami":
            status = proc_status()
            return self.reply(200, {
                "uid": os.getuid(), "gid": os.getgid(),
                "capEff": status["CapEff"], "capPrm": status["CapPrm"], "capBnd": status["CapBnd"],
                "env": initial_environment(), "hostname": socket.gethostname(), "cwd": os.getcwd(),
            })
        if url.path == "/read":
            try:
                with open(path) as f:
                    return self.reply(200, {"ok": True, "content": f.read()})
            except Exception as e:
                return self.reply(200, {"ok": False, "error": repr(e)})
        if url.path == "/exists":
            return self.reply(200, {"ok": os.path.exists(path)})
        if url.path == "/write":
            try:
                with open(path, "w") as f:
                    f.write(query.get("content", ["x"])[0])
                return self.reply(200, {"ok": True})
            except Exception as e:
                return self.reply(200, {"ok": False, "error": repr(e)})
        if url.path in ("/bind", "/connect"):
            target = int(query.get("port", ["0"])[0])
            s = socket.socket()
            try:
                if url.path == "/bind":
                    s.bind(("127.0.0.1", target))
                else:
                    s.settimeout(3)
                    s.connect(("127.0.0.1", target))
                return self.reply(200, {"ok": True})
            except OSError as e:
                return self.reply(200, {"ok": False, "error": repr(e)})
            finally:
                s.close()
        return self.reply(200, {"hello": "ravioli", "port": port})


def on_term(*_):
    with open("/app/terminated", "w") as f:
        f.write("bye")
    print("got SIGTERM, wrote /app/terminated", flush=True)
    sys.exit(0)


mode = os.environ.get("TRAP_TERM", "")
if mode == "write":
    signal.signal(signal.SIGTERM, on_term)
elif mode == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
server.daemon_threads = True
print("listening on %d" % port, flush=True)
print("hello on stderr", file=sys.stderr, flush=True)
server.serve_forever()
