// A visit counter kept in Redis: the server comes from a bound service, found with cfenv in VCAP_SERVICES.
//   GET /        increments and answers the count
//   GET /health  200 once Redis answers PING
'use strict';
const http = require('http');
const cfenv = require('cfenv');
const { createClient } = require('redis');

const appEnv = cfenv.getAppEnv();
const service = Object.values(appEnv.getServices()).find(s =>
  s.label === 'redis' || (s.tags || []).includes('redis') || /^rediss?:/.test((s.credentials || {}).uri || ''));
if (!service) {
  console.error('No Redis service is bound. Run: rav create-service redis dedicated counter-cache --wait && rav bind-service counter counter-cache && rav restart counter');
  process.exit(1);
}
console.log(`using service instance "${service.name}" (${service.label} ${service.plan})`);
const client = createClient({ url: service.credentials.uri });
client.on('error', e => console.error(`redis: ${e.message}`));

function send(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.url === '/health') {
      return send(res, 200, `${await client.ping()}\n`);
    }
    if (req.url === '/') {
      return send(res, 200, `visits: ${await client.incr('visits')}\n`);
    }
    return send(res, 404, 'Not Found\n');
  } catch (e) {
    return send(res, 500, `redis error: ${e.message}\n`);
  }
});

client.connect().then(() => {
  server.listen(appEnv.port, () => console.log(`counter listening on port ${appEnv.port}`));
}).catch(e => { console.error(`cannot connect to redis: ${e.message}`); process.exit(1); });
process.on('SIGTERM', () => server.close(() => client.quit().finally(() => process.exit(0))));
