#!/bin/sh
# A "binary" app for Ravioli's binary_buildpack: an executable that serves GET / on $PORT by itself.
# The server is Python's standard library, which every Ravioli host has in /usr.
exec python3 -c '
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"Hello from a binary (shell script) app on Ravioli!\n"
        self.send_response(200 if self.path.split("?")[0] == "/" else 404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Hello).serve_forever()
'
