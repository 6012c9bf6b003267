// The router benchmark's backend: keep-alive, a fixed 1 KiB body, nothing else to measure.
'use strict';
const http = require('http');
const body = Buffer.alloc(1024, 'x');
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
}).listen(Number(process.env.PORT || 8080), '127.0.0.1');
