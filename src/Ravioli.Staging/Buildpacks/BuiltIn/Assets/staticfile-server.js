#!/usr/bin/env node
// Static file server of Ravioli's staticfile_buildpack. Dependency-free on purpose: it runs on the
// node of whatever host (or sandbox) starts the droplet.
//   node server.js <root> [--dotfiles] [--pushstate]     listens on $PORT (default 8080)
// Serves files under <root> only: '..' and dot-segments are refused, and symlinks are resolved and
// must stay inside <root>. Directories serve their index.html; missing files are 404.
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');

const options = { root: 'public', dotfiles: false, pushstate: false };
for (const arg of process.argv.slice(2)) {
  if (arg === '--dotfiles') options.dotfiles = true;
  else if (arg === '--pushstate') options.pushstate = true;
  else options.root = arg;
}

const root = fs.realpathSync(path.resolve(options.root));
const port = Number.parseInt(process.env.PORT || '8080', 10);

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.bmp': 'image/bmp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

function contentType(file) {
  return contentTypes[path.extname(file).toLowerCase()] || 'application/octet-stream';
}

function inside(real) {
  return real === root || real.startsWith(root + path.sep);
}

// Returns the real path of an existing file or directory under the root, or null.
function locate(segments) {
  const candidate = path.join(root, ...segments);
  let real;
  try {
    real = fs.realpathSync(candidate);
  } catch {
    return null;
  }
  return inside(real) ? real : null;
}

function sendText(req, res, status, text, headers = {}) {
  const body = Buffer.from(text + '\n', 'utf8');
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': body.length,
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function notFound(req, res) {
  const page = locate(['404.html']);
  if (page && fs.statSync(page).isFile()) {
    return sendFile(req, res, page, 404);
  }
  return sendText(req, res, 404, 'Not Found');
}

function sendFile(req, res, file, status = 200) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return sendText(req, res, 404, 'Not Found');
  }
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const headers = {
    'Content-Type': contentType(file),
    'Content-Length': stat.size,
    'Last-Modified': stat.mtime.toUTCString(),
    'ETag': etag,
    'X-Content-Type-Options': 'nosniff',
  };
  if (status === 200) {
    const since = Date.parse(req.headers['if-modified-since'] || '');
    if (req.headers['if-none-match'] === etag || (!req.headers['if-none-match'] && since >= Math.floor(stat.mtimeMs / 1000) * 1000)) {
      res.writeHead(304, { 'ETag': etag, 'Last-Modified': headers['Last-Modified'] });
      return res.end();
    }
  }
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    return res.end();
  }
  const stream = fs.createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendText(req, res, 405, 'Method Not Allowed', { 'Allow': 'GET, HEAD' });
  }
  const rawPath = (req.url || '/').split('?')[0].split('#')[0];
  let decoded;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return sendText(req, res, 400, 'Bad Request');
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) {
    return sendText(req, res, 400, 'Bad Request');
  }
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    return notFound(req, res);
  }
  if (!options.dotfiles && segments.some((s) => s.startsWith('.'))) {
    return notFound(req, res);
  }

  const found = locate(segments);
  if (found) {
    const stat = fs.statSync(found);
    if (stat.isFile()) {
      return sendFile(req, res, found);
    }
    if (stat.isDirectory()) {
      if (!rawPath.endsWith('/')) {
        const query = (req.url || '').includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
        return sendText(req, res, 301, 'Moved Permanently', { 'Location': rawPath + '/' + query });
      }
      const index = locate([...segments, 'index.html']);
      if (index && fs.statSync(index).isFile()) {
        return sendFile(req, res, index);
      }
    }
  }
  if (options.pushstate && !path.extname(decoded)) {
    const index = locate(['index.html']);
    if (index) {
      return sendFile(req, res, index);
    }
  }
  return notFound(req, res);
}

const server = http.createServer((req, res) => {
  try {
    handle(req, res);
  } catch (err) {
    console.error(`error serving ${req.url}: ${err.message}`);
    if (!res.headersSent) {
      sendText(req, res, 500, 'Internal Server Error');
    } else {
      res.destroy();
    }
  }
});

server.listen(port, () => {
  console.log(`staticfile server: serving ${options.root} on port ${port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
