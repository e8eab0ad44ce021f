'use strict';
// Cluster test helpers: a redis-server of our own on a free loopback port, nodes of the
// test app (sio09 or the socket.io 0.9.19 reference) pointed at it, a small Redis command
// client, and a round-robin HTTP/websocket proxy that alternates every request between
// nodes (the non-sticky load balancer of issue 5).

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { freePort, sleep } = require('../lib/target');

const ROOT = path.resolve(__dirname, '..');

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => { s.removeAllListeners(); s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function waitPort(port, child, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}): ${child.stderrText}`);
    if (await canConnect(port)) return;
    await sleep(50);
  }
  throw new Error(`${what} did not listen on ${port}: ${child.stderrText}`);
}

function track(child) {
  child.stderrText = '';
  child.stdoutText = '';
  child.stderr.on('data', (d) => { child.stderrText = (child.stderrText + d).slice(-20000); });
  child.stdout.on('data', (d) => { child.stdoutText = (child.stdoutText + d).slice(-20000); });
  child.exited = new Promise((resolve) => child.once('exit', resolve));
  return child;
}

async function stopChild(child, sig = 'SIGTERM') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(sig);
  const t = setTimeout(() => { try { child.kill('SIGKILL'); } catch (e) { /* gone */ } }, 5000);
  await child.exited;
  clearTimeout(t);
}

// ---------------------------------------------------------------- Redis

class Redis {
  constructor(port) { this.port = port; this.child = null; }

  get url() { return `redis://127.0.0.1:${this.port}`; }

  async start() {
    this.child = track(spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1',
      '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    await waitPort(this.port, this.child, 'redis-server');
    return this;
  }

  async stop() { await stopChild(this.child, 'SIGKILL'); }

  // One command over a fresh connection (RESP), answer parsed simply; bulk replies as
  // UTF-8 text.
  command(...args) { return this._command(args, false); }

  // The same, with bulk replies as Buffers: the stored bytes exactly.
  commandRaw(...args) { return this._command(args, true); }

  _command(args, raw) {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: this.port });
      let buf = Buffer.alloc(0);
      s.setTimeout(5000, () => { s.destroy(); reject(new Error('redis command timed out')); });
      s.on('error', reject);
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        const v = parseResp(buf, 0, raw);
        if (v !== undefined) { s.end(); resolve(v.value); }
      });
      s.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join(''));
    });
  }

  // Wait until `n` subscribers listen on `dispatch` (every node's subscriber is ready).
  async waitSubscribers(n, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let got = -1;
      try { got = (await this.command('PUBSUB', 'NUMSUB', 'dispatch'))[1]; } catch (e) { /* down */ }
      if (got >= n) return;
      if (Date.now() > deadline) throw new Error(`only ${got} subscribers on dispatch, wanted ${n}`);
      await sleep(50);
    }
  }
}

// RESP from a Buffer (lengths are in bytes); bulk strings as text, or as Buffers if `raw`.
function parseResp(b, i, raw) {
  const end = b.indexOf('\r\n', i);
  if (end < 0) return undefined;
  const t = String.fromCharCode(b[i]);
  const line = b.toString('utf8', i + 1, end);
  if (t === '+' || t === '-') return { value: line, next: end + 2 };
  if (t === ':') return { value: Number(line), next: end + 2 };
  if (t === '$') {
    const n = Number(line);
    if (n < 0) return { value: null, next: end + 2 };
    if (b.length < end + 2 + n + 2) return undefined;
    const bytes = b.subarray(end + 2, end + 2 + n);
    return { value: raw ? Buffer.from(bytes) : bytes.toString('utf8'), next: end + 2 + n + 2 };
  }
  if (t === '*') {
    const n = Number(line);
    const out = [];
    let j = end + 2;
    for (let k = 0; k < n; k++) {
      const v = parseResp(b, j, raw);
      if (v === undefined) return undefined;
      out.push(v.value);
      j = v.next;
    }
    return { value: out, next: j };
  }
  return { value: line, next: end + 2 };
}

// ---------------------------------------------------------------- nodes

function sio09Bin() {
  const bin = process.env.SIO09_BIN || path.join(ROOT, '..', 'target', 'debug', 'sio09');
  return path.resolve(ROOT, bin);
}

class Node {
  constructor(kind, redisUrl, extraEnv = {}) {
    this.kind = kind;
    this.redisUrl = redisUrl;
    this.extraEnv = extraEnv;
    this.port = null;
    this.child = null;
  }

  get wsUrl() { return `ws://127.0.0.1:${this.port}`; }

  async start() {
    this.port = await freePort();
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('SIO_') && k !== 'SIO_IO_DRIVER') delete env[k];
    Object.assign(env, { PORT: String(this.port), SIO_STORE: this.redisUrl, SIO_LOG_LEVEL: '1' }, this.extraEnv);
    const cmd = {
      reference: [process.execPath, [path.join(ROOT, 'reference-app.js')]],
      // the same unchanged app on sio09's Node.js module (needs the addon built and
      // SIO09_LIB or target/release/libsio09.so)
      'node-module': [process.execPath, [path.join(ROOT, '..', 'ffi', 'node', 'bin', 'sio-app.js')]],
      sio09: [sio09Bin(), ['--app', 'test']],
    }[this.kind];
    this.child = track(spawn(cmd[0], cmd[1], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    await waitPort(this.port, this.child, `${this.kind} node`);
    return this;
  }

  async stop() { await stopChild(this.child); }
}

// ---------------------------------------------------------------- round-robin proxy

// Every HTTP request (and every websocket upgrade) goes to the next node in turn. Backend
// requests use no keep-alive, so the choice is really per request.
class RoundRobinProxy {
  constructor(nodes) {
    this.nodes = nodes;
    this.next = 0;
    this.counts = nodes.map(() => 0);
    this.log = [];
    this.tunnels = new Set();
    this.server = http.createServer((req, res) => this._http(req, res));
    this.server.on('upgrade', (req, sock, head) => this._upgrade(req, sock, head));
    this.server.keepAliveTimeout = 60000;
  }

  get wsUrl() { return `ws://127.0.0.1:${this.port}`; }

  _pick(what) {
    const i = this.next;
    this.next = (this.next + 1) % this.nodes.length;
    this.counts[i] += 1;
    this.log.push([i, what]);
    return this.nodes[i];
  }

  _http(req, res) {
    const node = this._pick(`${req.method} ${req.url}`);
    const up = http.request({
      host: '127.0.0.1', port: node.port, method: req.method, path: req.url,
      headers: { ...req.headers, connection: 'close' }, agent: false,
    }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) { res.writeHead(502); } res.end(); });
    req.on('aborted', () => up.destroy());
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    req.pipe(up);
  }

  _upgrade(req, sock, head) {
    const node = this._pick(`UPGRADE ${req.url}`);
    const up = net.connect({ host: '127.0.0.1', port: node.port }, () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(raw + '\r\n');
      if (head && head.length) up.write(head);
      up.pipe(sock);
      sock.pipe(up);
    });
    this.tunnels.add(up).add(sock);
    const end = () => { up.destroy(); sock.destroy(); this.tunnels.delete(up); this.tunnels.delete(sock); };
    up.on('error', end);
    sock.on('error', end);
    up.on('close', end);
    sock.on('close', end);
  }

  async start() {
    this.port = await freePort();
    await new Promise((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  stop() {
    for (const t of this.tunnels) t.destroy();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// A Redis of our own and `n` nodes on it (kinds: 'sio09' or 'reference' per node), with
// every node's subscriber listening before it returns.
async function cluster(n, kinds) {
  const redis = await new Redis(await freePort()).start();
  const nodes = [];
  for (let i = 0; i < n; i++) nodes.push(await new Node(kinds ? kinds[i] : 'sio09', redis.url).start());
  await redis.waitSubscribers(n);
  return { redis, nodes };
}

// One value of every kind a client can send, for comparing how nodes store client data.
// socket.io 0.9.19's RedisStore stores `String(value)` (node_redis 0.7.3 stringifies its
// arguments): text raw, numbers in JavaScript form, arrays joined with ',' (null elements
// empty, nested arrays flattened), objects as '[object Object]'.
const VALUE_KINDS = [
  ['string', 'alice'],
  ['empty', ''],
  ['unicode', 'h\u00e9llo \u2713 \ud83d\ude00 \u0000 "quoted" \\ end'],
  ['integer', 42],
  ['negative', -7],
  ['float', 0.1 + 0.2],
  ['1e21', 1e21],
  ['tiny', 1.5e-7],
  ['beyond-2^53', 12345678901234567890],
  ['true', true],
  ['false', false],
  ['null', null],
  ['object', { x: 1, y: [2, 'z'] }],
  ['empty-object', {}],
  ['array', [1, 'a,b', null, true, 2.5]],
  ['nested-array', [1, [2, [3, []]], [null, { a: 1 }], null]],
  ['empty-array', []],
];

// `a` and `b` are sessions on two nodes (of any kinds) of cluster `c`: the same `set` of
// every value kind on each stores the same bytes in Redis, namely `String(value)`, and
// each node reads its own and the other's value as that string (`aReadsB: false` skips
// `a`'s node reading `b`'s session).
async function assertValuesAlike(c, a, b, { aReadsB = true } = {}) {
  for (const [key, value] of VALUE_KINDS) {
    assert.deepEqual(await a.call('set', [key, value]), [true], `set ${key} on ${a.sid}`);
    assert.deepEqual(await b.call('set', [key, value]), [true], `set ${key} on ${b.sid}`);
    const [rawA, rawB] = [await c.redis.commandRaw('HGET', a.sid, key), await c.redis.commandRaw('HGET', b.sid, key)];
    const want = Buffer.from(String(value), 'utf8');
    assert.ok(Buffer.isBuffer(rawA) && rawA.equals(want), `${key}: stored ${rawA && rawA.toString('hex')}, want ${want.toString('hex')}`);
    assert.ok(Buffer.isBuffer(rawB) && rawB.equals(rawA), `${key}: stored ${rawB && rawB.toString('hex')} and ${rawA.toString('hex')}`);
    const text = String(value);
    for (const [reader, owner] of [[a, a], ...(aReadsB ? [[a, b]] : []), [b, b], [b, a]]) {
      const got = reader === owner ? await reader.call('get', [key]) : await reader.call('get-of', [owner.sid, key]);
      assert.deepEqual(got, [text], `${key} of ${owner.sid} read by ${reader.sid}`);
    }
  }
  if (aReadsB) assert.deepEqual(await a.call('get-of', [b.sid, 'missing']), [null]);
  assert.deepEqual(await b.call('get-of', [a.sid, 'missing']), [null]);
}

async function teardown({ redis, nodes }, ...clients) {
  for (const c of clients) { try { c.close(); } catch (e) { /* closed */ } }
  for (const n of nodes) await n.stop();
  await redis.stop();
}

module.exports = { Redis, Node, RoundRobinProxy, freePort, sleep, cluster, teardown, VALUE_KINDS, assertValuesAlike };
