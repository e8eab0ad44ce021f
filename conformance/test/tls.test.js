'use strict';
// TLS: the target serves https and wss on its port when given `tls cert` / `tls key`
// (SIO_TLS_CERT / SIO_TLS_KEY; the reference app then listens with an https.Server, as 0.9
// did with `io.listen(port, { key, cert })`). The certificate is the suite's test-only
// fixture (fixtures/, CN localhost, SAN 127.0.0.1); the raw clients trust it as their CA,
// socket.io-client 0.9.16 (which cannot be given a CA) runs with verification off.
//
// Checks: the https handshake; an xhr-polling and a jsonp-polling round trip; wss
// (RFC 6455) with an echo ack; the htmlfile stream; the browser client (a static file); hixie-76 over TLS answers with a `wss://` Location;
// socket.io-client 0.9.16 with `secure: true` on websocket and xhr-polling; app and
// socket.io requests in turn on one kept-alive connection; a plain HTTP
// request on the TLS port gets no HTTP answer, and the port keeps serving.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const https = require('node:https');
const net = require('node:net');
const path = require('node:path');
const tls = require('node:tls');
const { startTarget } = require('../lib/target');
const { request } = require('../lib/http');
const { WsSession, WebSocket } = require('../lib/ws');
const client = require('../lib/client');

// SKIP_TLS=1: the host under test does not terminate TLS on the suite's port (a host that
// listens itself and hands plain connections to the library); every check is skipped.
const T = { timeout: 30000, skip: process.env.SKIP_TLS === '1' ? 'SKIP_TLS=1: the host does not serve TLS' : false };
const FIX = path.join(__dirname, '..', 'fixtures');
const CERT = path.join(FIX, 'tls-cert.pem');
const KEY = path.join(FIX, 'tls-key.pem');
const CA = fs.readFileSync(CERT);
const agent = new https.Agent({ keepAlive: false, ca: CA });

let target;
before(async () => {
  if (T.skip) return;
  target = await startTarget({ SIO_TLS_CERT: CERT, SIO_TLS_KEY: KEY });
});
after(async () => { if (target) await target.stop(); });

// One https request (no keep-alive); resolves { status, text }.
function get(p, { method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: target.port, method, path: p, agent,
      headers: body === undefined ? {} : { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10000, () => req.destroy(new Error(`https ${method} ${p} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function handshake() {
  const r = await get(`/socket.io/1/?t=${Date.now()}`);
  assert.equal(r.status, 200, r.text);
  const m = /^([^:]+):60:60:(.+)$/.exec(r.text);
  assert.ok(m, r.text);
  return m[1];
}

test('https handshake', T, async () => {
  const r = await get(`/socket.io/1/?t=${Date.now()}`);
  assert.equal(r.status, 200);
  assert.match(r.text, /^[^:]+:60:60:websocket,htmlfile,xhr-polling,jsonp-polling$/);
  assert.equal(r.headers['content-type'], 'text/plain');
});

test('xhr-polling round trip over https', T, async () => {
  const sid = await handshake();
  const p = `/socket.io/1/xhr-polling/${sid}?t=${Date.now()}`;
  assert.deepEqual(await get(p).then((r) => [r.status, r.text]), [200, '1::']);
  const post = await get(p, { method: 'POST', body: '5:1+::{"name":"echo","args":["tls ✓"]}' });
  assert.deepEqual([post.status, post.text], [200, '1']);
  const ack = await get(p);
  assert.deepEqual([ack.status, ack.text], [200, '6:::1+["tls ✓"]']);
});

test('jsonp-polling round trip over https', T, async () => {
  const sid = await handshake();
  const p = `/socket.io/1/jsonp-polling/${sid}?t=${Date.now()}&i=3`;
  const first = await get(p);
  assert.equal(first.status, 200);
  assert.equal(first.text, 'io.j[3]("1::");');
  const body = 'd=' + encodeURIComponent(JSON.stringify('5:2+::{"name":"echo","args":[7]}'));
  const post = await new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: target.port, method: 'POST', path: p, agent,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
  assert.deepEqual([post.status, post.text], [200, '1']);
  const ack = await get(p);
  assert.equal(ack.text, 'io.j[3]("6:::2+[7]");');
});

test('wss (RFC 6455): connect and echo with ack', T, async () => {
  const sid = await handshake();
  const ws = new WebSocket(`wss://127.0.0.1:${target.port}/socket.io/1/websocket/${sid}`,
    { ca: CA, perMessageDeflate: false, handshakeTimeout: 10000 });
  // The session collects frames from now on: the `1::` may come in the same read as the 101.
  const s = new WsSession(ws, sid);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  try {
    await s.waitFor('1::', 5000);
    assert.deepEqual(await s.call('echo', ['secure', 1]), ['secure', 1]);
  } finally { s.close(); }
});

test('hixie-76 over TLS: the Location is wss://', T, async () => {
  const sid = await handshake();
  const sock = tls.connect({ host: '127.0.0.1', port: target.port, ca: CA, servername: 'localhost' });
  await new Promise((resolve, reject) => { sock.once('secureConnect', resolve); sock.once('error', reject); });
  const head = `GET /socket.io/1/websocket/${sid} HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n`
    + `Host: 127.0.0.1:${target.port}\r\nOrigin: https://127.0.0.1:${target.port}\r\n`
    + 'Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n';
  sock.write(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from('^n:ds[4U', 'latin1')]));
  let got = Buffer.alloc(0);
  const text = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer: ${JSON.stringify(got.toString('latin1'))}`)), 5000);
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      const end = got.indexOf('\r\n\r\n');
      if (end >= 0 && got.length >= end + 4 + 16) { clearTimeout(timer); resolve(got.toString('latin1')); }
    });
    sock.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
  sock.destroy();
  assert.match(text, /^HTTP\/1\.1 101 /);
  assert.ok(text.includes(`Sec-WebSocket-Location: wss://127.0.0.1:${target.port}/socket.io/1/websocket/${sid}\r\n`), text);
  assert.ok(text.includes("8jKS'y:G*Co,Wxa-"), text);
});

for (const transport of ['websocket', 'xhr-polling']) {
  test(`socket.io-client 0.9.16, secure: true, ${transport}`, T, async () => {
    // The 0.9 client cannot be handed a CA: verification off for its connections only.
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const secureTarget = { url: `https://127.0.0.1:${target.port}` };
    const c = client.connect(secureTarget, { transport, options: { secure: true } });
    try {
      await client.waitConnect(c);
      assert.deepEqual(await client.emitAck(c, 'echo', ['over', 'tls']), ['over', 'tls']);
    } finally {
      c.disconnect();
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
    }
  });
}

test('htmlfile over https: the stream opens with the preamble and 1::', T, async () => {
  const sid = await handshake();
  const sock = tls.connect({ host: '127.0.0.1', port: target.port, ca: CA, servername: 'localhost' });
  await new Promise((resolve, reject) => { sock.once('secureConnect', resolve); sock.once('error', reject); });
  sock.write(`GET /socket.io/1/htmlfile/${sid}?t=${Date.now()} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  let got = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 1:: chunk: ${JSON.stringify(got)}`)), 5000);
    sock.on('data', (d) => {
      got += d.toString('utf8');
      if (got.includes('<script>_("1::");</script>')) { clearTimeout(timer); resolve(); }
    });
  });
  sock.destroy();
  assert.match(got, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(got, /Transfer-Encoding: chunked\r\n/i);
  assert.ok(got.includes('\r\n100\r\n<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>'), got);
});

// A chunked body at the start of `b`: { body, used } once whole, else null.
function dechunk(b) {
  const parts = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (!(size >= 0)) throw new Error(`bad chunk size at ${at}`);
    if (b.length < eol + 2 + size + 2) return null;
    if (size === 0) return { body: Buffer.concat(parts), used: eol + 4 };
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

// Responses read off one connection in order, each by its Content-Length or chunks.
function responseReader(sock) {
  let buf = Buffer.alloc(0);
  const waiters = [];
  const pump = () => {
    while (waiters.length) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      let body;
      let used;
      if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        const d = dechunk(buf.subarray(end + 4));
        if (!d) return;
        body = d.body;
        used = end + 4 + d.used;
      } else {
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (buf.length < end + 4 + len) return;
        body = buf.subarray(end + 4, end + 4 + len);
        used = end + 4 + len;
      }
      buf = buf.subarray(used);
      waiters.shift().resolve({ status: Number(head.split(' ')[1]), head, text: body.toString('utf8') });
    }
  };
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); pump(); });
  sock.on('close', () => { while (waiters.length) waiters.shift().reject(new Error('closed before the response')); });
  return (req) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no response to ${req.split('\r\n')[0]}`)), 5000);
    waiters.push({ resolve: (r) => { clearTimeout(timer); resolve(r); }, reject });
    sock.write(req);
  });
}

test('one kept-alive https connection carries app and socket.io requests in turn', T, async () => {
  const sock = tls.connect({ host: '127.0.0.1', port: target.port, ca: CA, servername: 'localhost' });
  await new Promise((resolve, reject) => { sock.once('secureConnect', resolve); sock.once('error', reject); });
  const ask = responseReader(sock);
  const H = 'Host: localhost\r\n';
  try {
    const app1 = await ask(`GET /hello?n=1 HTTP/1.1\r\n${H}\r\n`);
    assert.deepEqual([app1.status, app1.text], [200, 'probe app: GET /hello?n=1']);
    const hs = await ask(`GET /socket.io/1/?t=${Date.now()} HTTP/1.1\r\n${H}\r\n`);
    assert.equal(hs.status, 200, hs.text);
    const sid = hs.text.split(':')[0];
    assert.match(hs.text, /:60:60:/);
    const app2 = await ask(`POST /form HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc`);
    assert.deepEqual([app2.status, app2.text], [200, 'probe app: POST /form']);
    const p = `/socket.io/1/xhr-polling/${sid}?t=${Date.now()}`;
    const open = await ask(`GET ${p} HTTP/1.1\r\n${H}\r\n`);
    assert.deepEqual([open.status, open.text], [200, '1::']);
    const msg = '5:1+::{"name":"echo","args":["kept alive"]}';
    const post = await ask(`POST ${p} HTTP/1.1\r\n${H}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(msg)}\r\n\r\n${msg}`);
    assert.deepEqual([post.status, post.text], [200, '1']);
    const ack = await ask(`GET ${p} HTTP/1.1\r\n${H}\r\n`);
    assert.deepEqual([ack.status, ack.text], [200, '6:::1+["kept alive"]']);
    const app3 = await ask(`GET /bye HTTP/1.1\r\n${H}\r\n`);
    assert.deepEqual([app3.status, app3.text], [200, 'probe app: GET /bye']);
  } finally { sock.destroy(); }
});

test('the browser client over https', T, async () => {
  const r = await get('/socket.io/socket.io.js');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^application\/javascript/);
  assert.ok(r.text.startsWith('/*! Socket.IO.js build:0.9.16'), r.text.slice(0, 200));
  assert.ok(r.text.length > 50000, String(r.text.length));
});

test('plain HTTP on the TLS port gets no HTTP answer; the port keeps serving', T, async () => {
  const raw = await new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: target.port });
    let buf = '';
    s.setTimeout(5000, () => s.destroy());
    s.on('connect', () => s.write('GET /socket.io/1/ HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.on('data', (d) => { buf += d.toString('latin1'); });
    s.on('close', () => resolve(buf));
    s.on('error', () => {});
  });
  assert.ok(!raw.startsWith('HTTP/'), JSON.stringify(raw));
  await assert.rejects(request(target, { path: '/socket.io/1/', timeout: 5000 }));
  assert.ok((await handshake()).length > 0);
});
