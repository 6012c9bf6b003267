// Notes kept in PostgreSQL: the database comes from a bound service, found with cfenv in VCAP_SERVICES.
//   GET  /        the notes, one per line
//   POST /notes   body = the note's text; answers its id
//   GET  /health  200 once the database answers
'use strict';
const http = require('http');
const cfenv = require('cfenv');
const { Pool } = require('pg');

const appEnv = cfenv.getAppEnv();
// Any bound service tagged or labelled postgresql (the built-in broker's offering), else the first with a postgres URI.
const service = appEnv.getServices && Object.values(appEnv.getServices()).find(s =>
  s.label === 'postgresql' || (s.tags || []).includes('postgresql') || /^postgres(ql)?:/.test((s.credentials || {}).uri || ''));
if (!service) {
  console.error('No PostgreSQL service is bound. Run: rav create-service postgresql shared notes-db && rav bind-service notes notes-db && rav restart notes');
  process.exit(1);
}
console.log(`using service instance "${service.name}" (${service.label} ${service.plan})`);
const pool = new Pool({ connectionString: service.credentials.uri, max: 4 });

async function ready() {
  await pool.query('CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, text text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
}

function send(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/health') {
      await pool.query('SELECT 1');
      return send(res, 200, 'ok\n');
    }
    if (req.method === 'GET' && req.url === '/') {
      const { rows } = await pool.query('SELECT id, text FROM notes ORDER BY id');
      return send(res, 200, rows.map(r => `${r.id}: ${r.text}\n`).join(''));
    }
    if (req.method === 'POST' && req.url === '/notes') {
      let body = '';
      for await (const chunk of req) {
        body += chunk;
        if (body.length > 10000) return send(res, 413, 'note too long\n');
      }
      if (!body.trim()) return send(res, 400, 'send the note as the request body\n');
      const { rows } = await pool.query('INSERT INTO notes (text) VALUES ($1) RETURNING id', [body.trim()]);
      return send(res, 201, `${rows[0].id}\n`);
    }
    return send(res, 404, 'Not Found\n');
  } catch (e) {
    console.error(e);
    return send(res, 500, `database error: ${e.message}\n`);
  }
});

ready().then(() => {
  server.listen(appEnv.port, () => console.log(`notes listening on port ${appEnv.port}`));
}).catch(e => { console.error(`cannot prepare the database: ${e.message}`); process.exit(1); });
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
