'use strict';
// Drives the C host (host_test.c over libsio09) with real socket.io 0.9 clients: starts
// it (under the command in $HOST_WRAPPER, e.g. valgrind), waits for "READY <port>",
// runs the test app's core handlers, asserts real values, stops it with SIGTERM and
// requires exit code 0.
//
// Usage: node ffi/c/driver.js <host binary>

const { spawn } = require('node:child_process');
const assert = require('node:assert/strict');
const path = require('node:path');
const lib = path.join(__dirname, '../../conformance/lib');
const client = require(path.join(lib, 'client.js'));
const http = require(path.join(lib, 'http.js'));
const { connectWs, joinNamespace } = require(path.join(lib, 'ws.js'));

const bin = process.argv[2];
if (!bin) { console.error('usage: node driver.js <host binary>'); process.exit(2); }
const wrapper = (process.env.HOST_WRAPPER || '').split(' ').filter(Boolean);
// Valgrind makes everything an order of magnitude slower.
const slow = wrapper.length > 0 ? 6 : 1;

function startHost() {
  const cmd = wrapper.length ? wrapper[0] : bin;
  const args = wrapper.length ? [...wrapper.slice(1), bin] : [];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const ready = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`host exited early (${code}): ${err}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  return { child, ready, exited, stderr: () => err };
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

async function connected(t, opts = {}) {
  const s = client.connect(t, opts);
  await client.waitConnect(s, 8000 * slow);
  return s;
}

test('echo without an ack comes back as an event', async (t) => {
  const s = await connected(t);
  s.emit('echo', 1, 'two', { three: [3] });
  const args = await client.waitEvent(s, 'echo', 5000 * slow);
  assert.deepEqual(args, [1, 'two', { three: [3] }]);
  client.disconnectAll(s);
});

test('echo with an ack is acked with the same arguments', async (t) => {
  const s = await connected(t);
  assert.deepEqual(await client.emitAck(s, 'echo', ['x', 42, null], 5000 * slow), ['x', 42, null]);
  client.disconnectAll(s);
});

test('messages come back: text as 3, json as 4, acked when asked', async (t) => {
  const s = await connected(t);
  s.send('hello text');
  assert.deepEqual(await client.waitEvent(s, 'message', 5000 * slow), ['hello text']);
  s.json.send({ a: [1, 2] });
  assert.deepEqual(await client.waitEvent(s, 'message', 5000 * slow), [{ a: [1, 2] }]);
  const ws = await connectWs(t);
  ws.send('3:7+::acked text');
  await ws.waitFor('6:::7+["acked text"]', 5000 * slow);
  ws.close();
  client.disconnectAll(s);
});

test('whoami acks the session id and namespace (main and /chat)', async (t) => {
  const s = await connected(t);
  const [sid, nsp] = await client.emitAck(s, 'whoami', [], 5000 * slow);
  assert.equal(sid, s.socket.sessionid);
  assert.equal(nsp, '');
  const ws = await connectWs(t);
  await joinNamespace(ws, '/chat', 5000 * slow);
  assert.deepEqual(await ws.call('whoami', [], { endpoint: '/chat', timeoutMs: 5000 * slow }), [ws.sid, '/chat']);
  ws.close();
  client.disconnectAll(s);
});

test('join / to-room / leave reach only the members', async (t) => {
  const a = await connected(t);
  const b = await connected(t);
  assert.deepEqual(await client.emitAck(a, 'join', ['r1'], 5000 * slow), ['r1']);
  const got = [];
  b.on('room', (...args) => got.push(args));
  b.emit('to-room', 'r1', { n: 5 });
  assert.deepEqual(await client.waitEvent(a, 'room', 5000 * slow), ['r1', { n: 5 }]);
  assert.deepEqual(await client.emitAck(a, 'leave', ['r1'], 5000 * slow), ['r1']);
  b.emit('to-room', 'r1', 'after leave');
  a.emit('echo', 'sync');
  await client.waitEvent(a, 'echo', 5000 * slow);
  await new Promise((r) => setTimeout(r, 200 * slow));
  assert.deepEqual(got, [], 'non-member got a room message');
  client.disconnectAll(a, b);
});

test('broadcast reaches the others, emit-all everyone', async (t) => {
  const a = await connected(t);
  const b = await connected(t);
  let selfGot = false;
  a.on('broadcast', () => { selfGot = true; });
  a.emit('broadcast', 'to the others');
  assert.deepEqual(await client.waitEvent(b, 'broadcast', 5000 * slow), ['to the others']);
  const both = [client.waitEvent(a, 'all', 5000 * slow), client.waitEvent(b, 'all', 5000 * slow)];
  b.emit('emit-all', 9);
  assert.deepEqual(await Promise.all(both), [[9], [9]]);
  assert.equal(selfGot, false, 'sender got its own broadcast');
  client.disconnectAll(a, b);
});

test('set / get store per-session values', async (t) => {
  const s = await connected(t);
  assert.deepEqual(await client.emitAck(s, 'set', ['k', { v: [1, 'x'] }], 5000 * slow), [true]);
  assert.deepEqual(await client.emitAck(s, 'get', ['k'], 5000 * slow), [{ v: [1, 'x'] }]);
  assert.deepEqual(await client.emitAck(s, 'get', ['missing'], 5000 * slow), [null]);
  client.disconnectAll(s);
});

test('server-ack: the client answers the host and the host reports the answer', async (t) => {
  const s = await connected(t);
  s.on('ask', (data, cb) => cb('pong', data));
  s.emit('server-ack', 7);
  assert.deepEqual(await client.waitEvent(s, 'got-ack', 5000 * slow), [['pong', 7]]);
  client.disconnectAll(s);
});

test('watchers see arrivals and departures; disconnect-me ends the session', async (t) => {
  const w = await connected(t);
  assert.deepEqual(await client.emitAck(w, 'watch', [], 5000 * slow), [true]);
  const arrived = client.waitEvent(w, 'arrived', 8000 * slow);
  const s = await connected(t);
  const sid = s.socket.sessionid;
  assert.deepEqual(await arrived, [sid, '']);
  const gone = client.waitEvent(w, 'gone', 8000 * slow, (g) => g === sid);
  const disc = client.waitEvent(s, 'disconnect', 8000 * slow);
  s.emit('disconnect-me');
  await disc;
  assert.deepEqual(await gone, [sid, '', 'booted']);
  client.disconnectAll(w);
});

test('authorization: deny=1 is 403, autherr=1 is 500, /private refuses', async (t) => {
  const denied = await http.request(t, { path: '/socket.io/1/?deny=1' });
  assert.equal(denied.status, 403);
  assert.equal(denied.text, 'handshake unauthorized');
  const err = await http.request(t, { path: '/socket.io/1/?autherr=1' });
  assert.equal(err.status, 500);
  assert.equal(err.text, 'handshake error');
  const ok = await http.handshake(t, 'x=1');
  assert.match(ok.sid, /^[0-9A-Za-z_-]+$/);
  const ws = await connectWs(t);
  ws.send('1::/private');
  await ws.waitFor('7::/private:2', 5000 * slow);
  ws.close();
});

async function main() {
  const host = startHost();
  // Valgrind reads the library's debug info first: that can take minutes.
  const port = await Promise.race([
    host.ready,
    new Promise((_, rej) => setTimeout(() => rej(new Error('host not ready')), 60000 * slow)),
  ]).catch((e) => { host.child.kill('SIGKILL'); throw e; });
  const t = { port, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` };
  // The first connection under Valgrind translates most of the library's code paths:
  // one warm-up session with a long timeout before the timed tests.
  const warm = client.connect(t);
  await client.waitConnect(warm, 120000 * slow).catch((e) => console.log(`# warm-up: ${e.message}`));
  client.disconnectAll(warm);
  let failed = 0;
  for (const { name, fn } of tests) {
    try {
      await fn(t);
      console.log(`ok - ${name}`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${name}\n  ${e && e.stack ? e.stack : e}`);
    }
  }
  host.child.kill('SIGTERM');
  const { code, sig } = await Promise.race([
    host.exited,
    new Promise((resolve) => setTimeout(() => resolve({ code: 'timeout' }), 60000 * slow)),
  ]);
  if (code !== 0) {
    failed++;
    console.log(`not ok - host exit: code ${code} signal ${sig}\n${host.stderr()}`);
    if (code === 'timeout') host.child.kill('SIGKILL');
  } else {
    console.log('ok - host stopped cleanly (exit 0)');
  }
  if (process.env.SHOW_HOST_STDERR) process.stderr.write(host.stderr());
  console.log(failed ? `FAILED: ${failed}` : `passed: ${tests.length} tests`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
