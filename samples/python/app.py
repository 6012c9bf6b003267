"""A minimal Python app for Ravioli's python_buildpack: answers GET / on $PORT (standard library only)."""
import os
import platform
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] != "/":
            self.send_error(404)
            return
        body = f"Hello from Python {platform.python_version()} on Ravioli!\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    print(f"hello-python listening on port {port}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Hello).serve_forever()
