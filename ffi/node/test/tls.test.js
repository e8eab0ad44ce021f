'use strict';
// TLS on the module, as 0.9 served it: `listen(httpsServer)` and `listen(port, { key, cert })`.
// The library terminates TLS (rustls) with the server's own key and certificate; the app's
// requests come back decrypted to the https.Server. Clients trust the conformance suite's
// test-only certificate (CN localhost, SAN 127.0.0.1).

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const https = require('node:https');
const net = require('node:net');
const path = require('node:path');
const { sio, once } = require('./helpers');

const T = { timeout: 20000 };
const FIX = path.resolve(__dirname, '..', '..', '..', 'conformance', 'fixtures');
const KEY = fs.readFileSync(path.join(FIX, 'tls-key.pem'));
const CERT = fs.readFileSync(path.join(FIX, 'tls-cert.pem'));

// GET/POST over https with `agent`: { status, text, socket port }.
function req(port, agent, p, { method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    const r = https.request({
      host: '127.0.0.1', port, path: p, method, agent, ca: CERT,
      headers: body === undefined ? {} : { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      const local = res.socket.localPort;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), local }));
    });
    r.setTimeout(10000, () => r.destroy(new Error(`${method} ${p} timed out`)));
    r.on('error', reject);
    r.end(body);
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

test('listen(httpsServer): one kept-alive TLS connection serves socket.io and the app in turn', T, async () => {
  const seen = [];
  const server = https.createServer({ key: KEY, cert: CERT }, (rq, rs) => {
    seen.push({ encrypted: rq.socket.encrypted, address: rq.socket.remoteAddress, url: rq.url });
    rs.writeHead(200, { 'Content-Type': 'text/plain' });
    rs.end(`app: ${rq.method} ${rq.url}`);
  });
  const io = sio.listen(server, { 'log level': 0, workers: 1 });
  const secure = [];
  io.sockets.on('connection', (socket) => {
    secure.push(socket.handshake.secure);
    socket.on('echo', (v, fn) => fn(v));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: CERT });
  try {
    const hs = await req(port, agent, `/socket.io/1/?t=${Date.now()}`);
    assert.equal(hs.status, 200);
    const sid = hs.text.split(':')[0];
    assert.match(hs.text, /^[\w-]+:60:60:websocket,htmlfile,xhr-polling,jsonp-polling$/);
    const app = await req(port, agent, '/page?x=1');
    assert.deepEqual([app.status, app.text], [200, 'app: GET /page?x=1']);
    // the app saw a TLS request from the client's address
    assert.deepEqual(seen, [{ encrypted: true, address: '127.0.0.1', url: '/page?x=1' }]);
    const p = `/socket.io/1/xhr-polling/${sid}?t=${Date.now()}`;
    assert.equal((await req(port, agent, p)).text, '1::');
    const post = await req(port, agent, p, { method: 'POST', body: '5:1+::{"name":"echo","args":["tls"]}' });
    assert.equal(post.text, '1');
    assert.equal((await req(port, agent, p)).text, '6:::1+["tls"]');
    const app2 = await req(port, agent, '/again', { method: 'POST', body: 'x' });
    assert.equal(app2.text, 'app: POST /again');
    // the browser client is Node's to serve (static.js), over the same connection
    const client = await req(port, agent, '/socket.io/socket.io.js');
    assert.equal(client.status, 200);
    assert.ok(client.text.startsWith('/*! Socket.IO.js build:0.9.16'));
    assert.deepEqual(secure, [true], 'handshake.secure');
    const locals = new Set([hs, app, post, app2, client].map((r) => r.local));
    assert.equal(locals.size, 1, 'every request on one connection');
    assert.ok(io._handbacks >= 2, `handed back ${io._handbacks} times`);
  } finally {
    agent.destroy();
    io.close();
    await new Promise((r) => server.close(r));
  }
});

test('listen(port, { key, cert }): an https.Server bound on return; wss echo with ack', T, async () => {
  const port = await freePort();
  const io = sio.listen(port, { key: KEY, cert: CERT, 'log level': 0, workers: 1 });
  io.sockets.on('connection', (socket) => socket.on('echo', (a, b, fn) => fn(a, b)));
  assert.ok(io.server instanceof https.Server);
  const agent = new https.Agent({ keepAlive: false, ca: CERT });
  try {
    const welcome = await req(port, agent, '/');
    assert.deepEqual([welcome.status, welcome.text], [200, 'Welcome to socket.io.']);
    const hs = await req(port, agent, `/socket.io/1/?t=${Date.now()}`);
    const sid = hs.text.split(':')[0];
    // a websocket (RFC 6455) over TLS, by hand
    const tls = require('node:tls');
    const crypto = require('node:crypto');
    const sock = tls.connect({ host: '127.0.0.1', port, ca: CERT, servername: 'localhost' });
    await once(sock, 'secureConnect');
    const key = crypto.randomBytes(16).toString('base64');
    sock.write(`GET /socket.io/1/websocket/${sid} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n`
      + `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const text = (s) => {
      const body = Buffer.from(s);
      const mask = crypto.randomBytes(4);
      const masked = Buffer.from(body.map((b, i) => b ^ mask[i & 3]));
      return Buffer.concat([Buffer.from([0x81, 0x80 | body.length]), mask, masked]);
    };
    let buf = Buffer.alloc(0);
    const got = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack: ${JSON.stringify(buf.toString('latin1'))}`)), 5000);
      let sent = false;
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        const s = buf.toString('latin1');
        if (!sent && s.includes('\r\n\r\n') && s.includes('1::')) {
          sent = true;
          sock.write(text('5:7+::{"name":"echo","args":["a",2]}'));
        }
        if (s.includes('6:::7+')) { clearTimeout(timer); resolve(s); }
      });
    });
    sock.destroy();
    assert.match(got, /^HTTP\/1\.1 101 /);
    assert.ok(got.includes(`Sec-WebSocket-Accept: ${crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')}`));
    assert.ok(got.endsWith('6:::7+["a",2]'), JSON.stringify(got));
  } finally {
    io.close();
    await new Promise((r) => io.server.close(r));
  }
});

test('an https.Server whose TLS the library cannot take keeps Node\'s, with a warning and 501 for socket.io', T, async () => {
  const lines = [];
  const log = console.log;
  console.log = (...a) => lines.push(a.join(' '));
  let io;
  const server = https.createServer({ key: KEY, cert: CERT, requestCert: true, rejectUnauthorized: false }, (rq, rs) => {
    rs.end(`app: ${rq.url}`);
  });
  try {
    io = sio.listen(server, { 'log level': 1, workers: 1 });
  } finally {
    console.log = log;
  }
  assert.ok(lines.some((l) => l.includes('client certificates (`requestCert`)') && l.includes('501')), lines.join('\n'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const agent = new https.Agent({ keepAlive: false, ca: CERT });
  try {
    assert.equal((await req(port, agent, '/page')).text, 'app: /page');
    const hs = await req(port, agent, '/socket.io/1/');
    assert.equal(hs.status, 501);
  } finally {
    io.close();
    await new Promise((r) => server.close(r));
  }
});
