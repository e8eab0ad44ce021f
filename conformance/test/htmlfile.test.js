'use strict';
// §3.4 htmlfile: raw TCP stream with the chunked body parsed by hand (exact chunk sizes and
// contents), POSTs per §3.7, heartbeats on the stream (§4.4), stream end and disconnect reasons.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startTarget, sleep } = require('../lib/target');
const { handshake } = require('../lib/http');
const { monitor, waitGone, isEvent } = require('../lib/packet');
const { openHtmlfile, connectHtmlfile, connectPolling, postTo, decodePayload, FFFD, req } = require('../lib/polling');

const T = { timeout: 30000 };

let target;
before(async () => { target = await startTarget(); });
after(async () => { if (target) await target.stop(); });

const PREAMBLE = '<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>' + ' '.repeat(173);
const ev = (name, ...args) => `5:::${JSON.stringify({ name, args })}`;
const post = (t, sid, body, headers) => postTo(t, 'htmlfile', sid, body, { headers });

test('htmlfile: response head 200 text/html; charset=UTF-8, Connection: keep-alive, chunked; no CORS even with Origin', T, async () => {
  const hs = await handshake(target);
  const s = await openHtmlfile(target, hs.sid, { headers: { Origin: 'http://h.example' } });
  try {
    await s.waitHead();
    assert.equal(s.status, 200);
    assert.match(s.head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(s.headers['content-type'], 'text/html; charset=UTF-8');
    assert.match(s.headers.connection, /^keep-alive$/i);
    assert.equal(s.headers['transfer-encoding'], 'chunked');
    const names = s.rawHeaderNames.filter((n) => n !== 'date' && n !== 'keep-alive').sort();
    assert.deepEqual(names, ['connection', 'content-type', 'transfer-encoding']);
  } finally { s.destroy(); }
});

test('htmlfile: first chunk is exactly 256 bytes (83 bytes of markup + 173 spaces), size line "100"', T, async () => {
  const hs = await handshake(target);
  const s = await openHtmlfile(target, hs.sid);
  try {
    await s.waitUntil((x) => x.chunks.length >= 1, 5000, 'first chunk');
    assert.equal(s.chunks[0].length, 256);
    assert.equal(s.chunks[0].toString('latin1'), PREAMBLE);
    const raw = s.conn.data.toString('latin1');
    assert.ok(raw.includes('\r\n\r\n100\r\n<html>'), 'chunk size written as 100 (hex)');
  } finally { s.destroy(); }
});

test('htmlfile: second chunk is exactly <script>_("1::");</script> (size 1a)', T, async () => {
  const hs = await handshake(target);
  const s = await openHtmlfile(target, hs.sid);
  try {
    await s.waitUntil((x) => x.chunks.length >= 2, 5000, 'second chunk');
    assert.equal(s.chunks[1].toString('utf8'), '<script>_("1::");</script>');
    assert.ok(s.conn.data.toString('latin1').includes('\r\n1a\r\n<script>_("1::");</script>\r\n'));
    assert.equal(s.terminated, false);
    assert.equal(s.chunkError, null);
  } finally { s.destroy(); }
});

test('htmlfile: A.3 POSTed echo with ack -> chunk with \\/ escaping (<\\/script>); POST answers 1', T, async () => {
  const s = await connectHtmlfile(target);
  try {
    const res = await post(target, s.sid, '5:1+::{"name":"echo","args":["a/b</script>"]}');
    assert.equal(res.status, 200);
    assert.equal(res.text, '1');
    assert.equal(res.headers['content-length'], '1');
    assert.equal(res.headers['content-type'], 'text/plain; charset=UTF-8');
    await s.waitScript('6:::1+["a/b</script>"]');
    const raw = s.chunks.map((c) => c.toString('utf8'));
    assert.ok(raw.includes('<script>_("6:::1+[\\"a\\/b<\\/script>\\"]");</script>'), `chunks: ${JSON.stringify(raw.slice(1))}`);
  } finally { s.destroy(); }
});

test('htmlfile: A.3 namespaces: 1::/chat -> 1::\\/chat, /private -> 7::\\/private:2, undeclared -> nothing', T, async () => {
  const s = await connectHtmlfile(target);
  try {
    await post(target, s.sid, '1::/chat');
    await s.waitScript('1::/chat');
    assert.ok(s.chunks.some((c) => c.toString() === '<script>_("1::\\/chat");</script>'));
    await post(target, s.sid, '1::/private');
    await s.waitScript('7::/private:2');
    assert.ok(s.chunks.some((c) => c.toString() === '<script>_("7::\\/private:2");</script>'));
    await post(target, s.sid, '1::/nonexist');
    await post(target, s.sid, '3:::marker');
    await s.waitScript('3:::marker');
    assert.equal(s.scripts.filter((x) => x && x.includes('nonexist')).length, 0);
    await post(target, s.sid, '5:2+:/chat:{"name":"whoami"}');
    await s.waitScript(`6::/chat:2+["${s.sid}","/chat"]`);
  } finally { s.destroy(); }
});

test('htmlfile: every packet written while open is its own chunk, in order (emit-many 3)', T, async () => {
  const s = await connectHtmlfile(target);
  try {
    await post(target, s.sid, '5:::{"name":"emit-many","args":[3,"h"]}');
    await s.waitScript(ev('seq', 2, 'h'));
    const scripts = s.scripts;
    assert.deepEqual(scripts.slice(1), [0, 1, 2].map((i) => ev('seq', i, 'h')));
    assert.ok(scripts.every((x) => x !== null), 'every chunk is one <script>_("…");</script>');
  } finally { s.destroy(); }
});

test('htmlfile: packets buffered under a polling transport are flushed as one U+FFFD payload chunk at open', T, async () => {
  const p = await connectPolling(target);
  await p.post('5:::{"name":"emit-many","args":[3,"buf"]}');
  const s = await openHtmlfile(target, p.sid);
  try {
    await s.waitUntil((x) => x.chunks.length >= 2, 5000, 'flushed chunk');
    const first = s.scripts[0];
    assert.ok(first && first[0] === FFFD, `payload chunk ${JSON.stringify(first)}`);
    assert.deepEqual(decodePayload(first), [0, 1, 2].map((i) => ev('seq', i, 'buf')));
  } finally { s.destroy(); }
});

test('htmlfile: unknown sid -> preamble chunk, then <script>_("7:::1+0");</script> and the body ends', T, async () => {
  const s = await openHtmlfile(target, 'CCCCCCCCCCCCCCCCCCCC');
  try {
    await s.waitTerminated(5000);
    await s.waitUntil((x) => x.terminated, 3000, 'zero-length chunk');
    assert.equal(s.chunks[0].toString('latin1'), PREAMBLE);
    assert.deepEqual(s.chunks.slice(1).map(String), ['<script>_("7:::1+0");</script>']);
  } finally { s.destroy(); }
});

test('htmlfile: disconnect-me -> 0:: chunk, body terminated (0 chunk), gone booted', T, async () => {
  const mon = await monitor(target);
  const s = await connectHtmlfile(target);
  try {
    await post(target, s.sid, '5:::{"name":"disconnect-me"}');
    await s.waitScript('0::');
    await s.waitUntil((x) => x.terminated, 5000, 'zero-length chunk');
    assert.equal(await waitGone(mon, s.sid), 'booted');
  } finally { s.destroy(); mon.close(); }
});

test('htmlfile: ?disconnect while the stream is open -> 0:: chunk and end, gone booted', T, async () => {
  const mon = await monitor(target);
  const s = await connectHtmlfile(target);
  try {
    const res = await req(target, { path: `/socket.io/1//${s.sid}/?disconnect=1` });
    assert.equal(res.status, 200);
    await s.waitScript('0::');
    await s.waitUntil((x) => x.terminated, 5000, 'zero-length chunk');
    assert.equal(await waitGone(mon, s.sid), 'booted');
  } finally { s.destroy(); mon.close(); }
});

test('htmlfile: client closes the TCP connection -> gone "socket end" or "socket close" at once (no close timeout)', T, async () => {
  const mon = await monitor(target);
  const s = await connectHtmlfile(target);
  try {
    await mon.waitFor(isEvent('arrived', '', (a) => a[0] === s.sid), 5000);
    s.end();
    const reason = await waitGone(mon, s.sid, '', 5000);
    assert.ok(reason === 'socket end' || reason === 'socket close', `reason ${JSON.stringify(reason)}`);
    const again = await req(target, { path: `/socket.io/1/xhr-polling/${s.sid}?t=1` });
    assert.equal(again.text, '7:::1+0');
  } finally { s.destroy(); mon.close(); }
});

test('htmlfile: POST with Origin -> CORS + X-XSS-Protection on the POST answer', T, async () => {
  const s = await connectHtmlfile(target);
  try {
    const res = await post(target, s.sid, '3:::o', { Origin: 'http://h2.example' });
    assert.equal(res.text, '1');
    assert.equal(res.headers['access-control-allow-origin'], 'http://h2.example');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['x-xss-protection'], '0');
    await s.waitScript('3:::o');
  } finally { s.destroy(); }
});

// ---------------------------------------------------------------- heartbeats on the stream

test('htmlfile heartbeats: 2:: chunk after the interval; POSTed 2:: replies keep the stream alive', T, async () => {
  const t = await startTarget({ SIO_HEARTBEAT_INTERVAL: 0.3, SIO_HEARTBEAT_TIMEOUT: 0.8 });
  const s = await connectHtmlfile(t);
  try {
    let answered = 0;
    const t0 = Date.now();
    await s.waitScript('2::', 3000);
    assert.ok(Date.now() - t0 >= 100, 'not before the interval');
    assert.ok(s.chunks.some((c) => c.toString() === '<script>_("2::");</script>'));
    // answer every heartbeat for ~2.5 s
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      const n = s.scripts.filter((x) => x === '2::').length;
      if (n > answered) { answered = n; await post(t, s.sid, '2::'); }
      await sleep(50);
    }
    assert.ok(answered >= 2, `heartbeats seen: ${answered}`);
    assert.equal(s.terminated, false, 'stream still open');
    assert.equal(s.ended, false);
    await post(t, s.sid, '5:7+::{"name":"echo","args":["alive"]}');
    await s.waitScript('6:::7+["alive"]');
  } finally { s.destroy(); await t.stop(); }
});

test('htmlfile heartbeats: no reply -> stream ended, gone "heartbeat timeout"', T, async () => {
  const t = await startTarget({ SIO_HEARTBEAT_INTERVAL: 0.3, SIO_HEARTBEAT_TIMEOUT: 0.6 });
  const mon = await monitor(t);
  mon.ws.on('message', (d) => { if (d.toString() === '2::') mon.send('2::'); });
  const s = await connectHtmlfile(t);
  try {
    await s.waitScript('2::', 3000);
    assert.equal(await waitGone(mon, s.sid, '', 5000), 'heartbeat timeout');
    await s.waitTerminated(3000);
    assert.equal(s.scripts.filter((x) => x !== '1::' && x !== '2::').length, 0, 'only 1:: and 2:: were written');
  } finally { s.destroy(); mon.close(); await t.stop(); }
});
