// The lifecycle benchmarks' app: says which instance answered (CF_INSTANCE_INDEX, CF_INSTANCE_GUID) and which run
// of it (a random id drawn at start), so a client can count distinct instances and tell a replacement from the original.
'use strict';
const http = require('http');
const crypto = require('crypto');
const body = `${process.env.CF_INSTANCE_INDEX || '-'} ${process.env.CF_INSTANCE_GUID || '-'} ${crypto.randomUUID()}\n`;
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}).listen(Number(process.env.PORT || 8080), '127.0.0.1');
