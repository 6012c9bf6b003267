// A minimal Node.js app for Ravioli's nodejs_buildpack: answers GET / on $PORT.
'use strict';
const http = require('http');

const port = Number.parseInt(process.env.PORT || '8080', 10);

const server = http.createServer((req, res) => {
  if (req.url === '/' || req.url.startsWith('/?')) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`Hello from Node.js ${process.version} on Ravioli!\n`);
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('Not Found\n');
});

server.listen(port, () => console.log(`hello-node listening on port ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
