'use strict';
// §3.2.3 websocket drafts hixie-76 and hixie-75 on the websocket and flashsocket transports,
// with the suite's own raw-socket client (lib/hixie.js): exact 101 heads, the hixie-76
// challenge (the draft's example; keys without spaces, overflowing, not divisible; the 8-byte
// body sent late or never), 0x00…0xFF frames split across writes or several per write,
// the 0xFF 0x00 close, bad framing, Q-17 and Q-18.
//
// The reference cannot serve hixie on Node ≥ 20 (PROTOCOL.md §3.2.3): observed, it writes the
// 101 head and then `socket.setEncoding('utf8')` throws on the upgraded socket; its catch ends
// the connection. No challenge answer, no frame ever follows. Every check asserts that on the
// reference (`refHeadThenEnd`, a known quirk of the reference on modern Node, not of sio09).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startTarget, kind, sleep } = require('../lib/target');
const { handshake } = require('../lib/http');
const hx = require('../lib/hixie');
const { monitor, waitGone } = require('../lib/packet');
const { connectWs } = require('../lib/ws');
const { connectPolling } = require('../lib/polling');

const T = { timeout: 30000 };
const isRef = kind === 'reference';

// websocket and flashsocket both enabled for the whole file.
let target;
before(async () => {
  target = await startTarget({ SIO_TRANSPORTS: 'websocket,flashsocket,xhr-polling' });
});
after(async () => { if (target) await target.stop(); });

async function withTarget(options, fn) {
  const t = await startTarget(options);
  try { return await fn(t); } finally { await t.stop(); }
}

const path = (transport, sid) => `/socket.io/1/${transport}/${sid}`;

// The exact 101 head of §3.2.3 (Origin present, no protocol).
function expectedHead(draft, port, target, { origin = `http://127.0.0.1:${port}`, protocol } = {}) {
  const p = draft === 76 ? 'Sec-WebSocket-' : 'WebSocket-';
  const lines = [
    draft === 76 ? 'HTTP/1.1 101 WebSocket Protocol Handshake' : 'HTTP/1.1 101 Web Socket Protocol Handshake',
    'Upgrade: WebSocket',
    'Connection: Upgrade',
  ];
  if (origin !== null) lines.push(`${p}Origin: ${origin}`);
  lines.push(`${p}Location: ws://127.0.0.1:${port}${target}`);
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  return lines.join('\r\n');
}

// Known quirk of the reference on Node ≥ 20 (see the top of this file): observed, the 101
// head and then the end of the connection, nothing after the head.
async function refHeadThenEnd(c) {
  assert.equal(c.status, 101, c.statusLine);
  await c.waitEnded();
  assert.equal(c.afterHead.length, 0, `bytes after the head: ${JSON.stringify(c.afterHead.toString('latin1'))}`);
}

// Open a hixie session on `transport` and check the handshake bytes; on sio09 also the
// answer (hixie-76) and the `1::` frame. Returns the connection (reference: already ended).
async function open(t, transport, draft, opts = {}) {
  const hs = await handshake(t);
  const target = path(transport, hs.sid);
  const c = await hx.upgrade(t.port, target, { draft, ...opts });
  c.sid = hs.sid;
  assert.equal(c.headText, expectedHead(draft, t.port, target));
  if (isRef) {
    await refHeadThenEnd(c);
    return c;
  }
  if (draft === 76) {
    await c.waitAnswer();
    assert.deepEqual(c.answer, hx.SPEC.answer);
  }
  await c.waitText('1::');
  assert.deepEqual(c.texts, ['1::']);
  return c;
}

// ---------------------------------------------------------------- handshakes and echo

for (const transport of ['websocket', 'flashsocket']) {
  for (const draft of [76, 75]) {
    test(`hixie-${draft} ${transport}: exact 101 head, answer, 1::, message echo, server frames 0x00…0xFF`, T, async () => {
      const c = await open(target, transport, draft);
      if (isRef) return;
      c.sendText('3:::hello hixie');
      c.sendText('5:::{"name":"echo","args":["é ☃"]}');
      await c.waitText('5:::{"name":"echo","args":["é ☃"]}');
      assert.deepEqual(c.texts, ['1::', '3:::hello hixie', '5:::{"name":"echo","args":["é ☃"]}']);
      // Every byte after the handshake is a well-formed frame.
      const p = c.parsed;
      assert.equal(p.junk, false);
      assert.equal(p.rest.length, 0);
      c.destroy();
    });
  }
}

test('hixie-76: the draft example keys built by the suite give the draft answer (client self-check)', () => {
  assert.equal(hx.keyNumber(hx.SPEC.key1), 829309203);
  assert.equal(hx.keyNumber(hx.SPEC.key2), 259970620);
  assert.deepEqual(hx.challengeAnswer(hx.SPEC.key1, hx.SPEC.key2, hx.SPEC.key3), hx.SPEC.answer);
  const k = hx.makeKey(123456, 7);
  assert.equal(hx.keyNumber(k), 123456);
  assert.equal(k.replace(/[^ ]/g, '').length, 7);
});

test('hixie-76: other valid keys and key3 give the MD5 answer', T, async () => {
  const key1 = hx.makeKey(4000000000, 1);
  const key2 = hx.makeKey(7, 12);
  const key3 = Buffer.from([0, 255, 1, 254, 0x0d, 0x0a, 0x0d, 0x0a]);
  const hs = await handshake(target);
  const c = await hx.upgrade(target.port, path('websocket', hs.sid), { key1, key2, key3 });
  if (isRef) return refHeadThenEnd(c);
  await c.waitAnswer();
  assert.deepEqual(c.answer, hx.challengeAnswer(key1, key2, key3));
  await c.waitText('1::');
  c.destroy();
});

test('hixie-76: Sec-WebSocket-Protocol is echoed after the Location', T, async () => {
  const hs = await handshake(target);
  const p = path('websocket', hs.sid);
  const c = await hx.upgrade(target.port, p, { headers: { 'Sec-WebSocket-Protocol': 'sample' } });
  assert.equal(c.headText, expectedHead(76, target.port, p, { protocol: 'sample' }));
  if (isRef) return refHeadThenEnd(c);
  await c.waitText('1::');
  c.destroy();
});

test('hixie: Upgrade other than exactly "WebSocket" is closed without a response', T, async () => {
  for (const draft of [76, 75]) {
    const hs = await handshake(target);
    const c = await hx.upgrade(target.port, path('websocket', hs.sid), { draft, headers: { Upgrade: 'websocket' } });
    await c.waitEnded();
    assert.equal(c.data.length, 0, c.data.toString('latin1'));
  }
});

test('hixie: unknown session id gets 7:::1+0 in a hixie frame', T, async () => {
  const c = await hx.upgrade(target.port, path('websocket', 'nosuchsession'));
  // reference on Node 20: the head, then the end (see the top of the file)
  if (isRef) return refHeadThenEnd(c);
  await c.waitAnswer();
  await c.waitText('7:::1+0');
  await c.waitEnded();
});

test('hixie-76: packets buffered while no transport was open are flushed as hixie frames, then room broadcasts arrive', T, async () => {
  // B: a session on xhr-polling with no GET pending, member of room hxbuf.
  const b = await connectPolling(target);
  await b.emit('join', ['hxbuf']);
  const a = await connectWs(target);
  try {
    await sleep(100);
    a.emit('to-room', ['hxbuf', 'queued']);
    await sleep(200);
    const p = path('websocket', b.sid);
    const c = await hx.upgrade(target.port, p);
    assert.equal(c.headText, expectedHead(76, target.port, p));
    if (isRef) return refHeadThenEnd(c);
    await c.waitAnswer();
    assert.deepEqual(c.answer, hx.SPEC.answer);
    const queued = '5:::{"name":"room","args":["hxbuf","queued"]}';
    await c.waitText(queued);
    assert.deepEqual(c.texts, [queued], 'no 1:: for a connected session, the buffer flushed');
    // A broadcast (encoded once for every receiver) reaches the hixie receiver.
    for (let i = 0; i < 3; i++) a.emit('to-room', ['hxbuf', `live${i}`]);
    await c.waitText('5:::{"name":"room","args":["hxbuf","live2"]}');
    assert.deepEqual(c.texts.slice(1), [0, 1, 2].map((i) => `5:::{"name":"room","args":["hxbuf","live${i}"]}`));
    assert.equal(c.parsed.junk, false);
    c.destroy();
  } finally { a.close(); b.close(); }
});

// ---------------------------------------------------------------- invalid keys

for (const [what, key2] of [
  ['a key with no spaces', '1299853100'],
  ['a key number above 2^32-1 (overflow)', '42949672 96'],
  ['a key number beyond 2^64 (overflow)', '9999999999 9999999999 99999999999'],
  ['a key number not a multiple of its spaces', '1  1 5'],
  ['a key with no digits', 'no digits here'],
]) {
  test(`hixie-76: ${what} refuses the upgrade`, T, async () => {
    const hs = await handshake(target);
    const c = await hx.upgrade(target.port, path('websocket', hs.sid), { key2 });
    if (isRef) {
      // observed: the reference writes the head before it checks the keys (then ends).
      return refHeadThenEnd(c);
    }
    await c.waitEnded();
    assert.equal(c.data.length, 0, `sio09 checks the keys first: ${c.data.toString('latin1')}`);
  });
}

test('hixie-76: missing Sec-WebSocket-Key2 refuses the upgrade', T, async () => {
  const hs = await handshake(target);
  const c = await hx.upgrade(target.port, path('websocket', hs.sid), { headers: { 'Sec-WebSocket-Key2': null } });
  if (isRef) return refHeadThenEnd(c);
  await c.waitEnded();
  assert.equal(c.data.length, 0);
});

// ---------------------------------------------------------------- the 8-byte body

test('hixie-76: 8-byte body sent late: head at once, the answer and 1:: only after the body', T, async () => {
  const hs = await handshake(target);
  const p = path('websocket', hs.sid);
  const c = await hx.upgrade(target.port, p, { body: 'never' });
  assert.equal(c.headText, expectedHead(76, target.port, p));
  if (isRef) return refHeadThenEnd(c);
  await sleep(300);
  assert.equal(c.afterHead.length, 0, 'nothing before the body');
  assert.equal(c.ended, false);
  // In two pieces, and a frame right behind the last byte of the body.
  c.write(hx.SPEC.key3.subarray(0, 3));
  await sleep(100);
  assert.equal(c.afterHead.length, 0, 'nothing after 3 of 8 bytes');
  c.write(Buffer.concat([hx.SPEC.key3.subarray(3), hx.frame('3:::right behind')]));
  await c.waitAnswer();
  assert.deepEqual(c.answer, hx.SPEC.answer);
  await c.waitText('3:::right behind');
  assert.deepEqual(c.texts, ['1::', '3:::right behind']);
  c.destroy();
});

test('hixie-76: 8-byte body never sent: sio09 closes after 10 s without an answer', T, async () => {
  const hs = await handshake(target);
  const c = await hx.upgrade(target.port, path('websocket', hs.sid), { body: 'never' });
  if (isRef) return refHeadThenEnd(c);
  await sleep(2000);
  assert.equal(c.ended, false, 'still waiting for the body');
  await c.waitEnded(12000);
  assert.equal(c.afterHead.length, 0);
});

// ---------------------------------------------------------------- framing

test('hixie-76: frames split across writes at every byte, and several frames in one write', T, async () => {
  const c = await open(target, 'websocket', 76);
  if (isRef) return;
  const one = hx.frame('3:::spl\u00e9t');
  for (let i = 0; i < one.length; i++) {
    c.write(one.subarray(i, i + 1));
    await sleep(5);
  }
  await c.waitText('3:::spl\u00e9t');
  const many = Buffer.concat(['3:::a', '3:::b', '3:::c'].map(hx.frame));
  c.write(Buffer.concat([many, hx.frame('3:::d').subarray(0, 4)]));
  await c.waitText('3:::c');
  await sleep(100);
  assert.equal(c.texts.includes('3:::d'), false, 'an unfinished frame is not delivered');
  c.write(hx.frame('3:::d').subarray(4));
  await c.waitText('3:::d');
  assert.deepEqual(c.texts, ['1::', '3:::spl\u00e9t', '3:::a', '3:::b', '3:::c', '3:::d']);
  c.destroy();
});

test('hixie-76: client close 0xFF 0x00 → server answers 0xFF 0x00, ends, reason "transport close"', T, async () => {
  const mon = isRef ? null : await monitor(target);
  const c = await open(target, 'websocket', 76);
  if (isRef) return;
  c.sendClose();
  await c.waitEnded();
  assert.equal(c.parsed.close, true, 'closing frame answered');
  assert.equal(c.parsed.rest.length, 0);
  assert.equal(await waitGone(mon, c.sid), 'transport close');
  mon.close();
});

test('hixie-75: peer FIN ends the session with reason "socket end"; no closing frame on hixie-75', T, async () => {
  const mon = isRef ? null : await monitor(target);
  const c = await open(target, 'websocket', 75);
  if (isRef) return;
  c.conn.sock.end();
  assert.equal(await waitGone(mon, c.sid), 'socket end');
  await c.waitEnded();
  assert.equal(c.parsed.close, false);
  assert.equal(c.parsed.rest.length, 0);
  mon.close();
});

test('hixie-76: a frame not starting with 0x00 ends the connection', T, async () => {
  const mon = isRef ? null : await monitor(target);
  const c = await open(target, 'websocket', 76);
  if (isRef) return;
  c.write(Buffer.from('3:::no start byte\xff', 'latin1'));
  await c.waitEnded();
  assert.deepEqual(c.texts, ['1::']);
  assert.equal(await waitGone(mon, c.sid), 'transport error');
  mon.close();
});

test('hixie-76: server-side disconnect sends 0::, then 0xFF 0x00, then FIN', T, async () => {
  const c = await open(target, 'websocket', 76);
  if (isRef) return;
  c.sendText('5:::{"name":"disconnect-me","args":[]}');
  await c.waitEnded();
  assert.deepEqual(c.texts, ['1::', '0::']);
  assert.equal(c.parsed.close, true);
  assert.equal(c.parsed.rest.length, 0);
});

// the reference splits frames on U+FFFD in decoded text; sio09 splits on the 0xFF byte.
test('hixie-76 Q-18: U+FFFD inside a message arrives whole', T, async () => {
  const c = await open(target, 'websocket', 76);
  if (isRef) return; // quirk Q-18 not observable on Node 20: no hixie frame is ever read
  c.sendText('3:::a\ufffdb');
  await c.waitText('3:::a\ufffdb');
  c.destroy();
});

test('hixie-76 Q-18: invalid UTF-8 inside a frame ends the connection, nothing delivered', T, async () => {
  const mon = isRef ? null : await monitor(target);
  const c = await open(target, 'websocket', 76);
  if (isRef) return;
  c.write(Buffer.from([0x00, 0x33, 0x3a, 0x3a, 0x3a, 0xc3, 0x28, 0xff]));
  await c.waitEnded();
  assert.deepEqual(c.texts, ['1::']);
  assert.equal(await waitGone(mon, c.sid), 'transport error');
  mon.close();
});

test('hixie-76: destroy buffer size applies per message (kick with 0::)', T, async () => {
  await withTarget({ SIO_DESTROY_BUFFER_SIZE: 1000 }, async (t) => {
    const c = await open(t, 'websocket', 76);
    if (isRef) return;
    for (let i = 0; i < 3; i++) c.sendText('3:::' + 'x'.repeat(990));
    await c.waitFrame((s) => s.length === 994 && s.endsWith('x'.repeat(990)));
    await sleep(100);
    assert.equal(c.ended, false, 'messages under the limit are fine');
    c.sendText('3:::' + 'y'.repeat(1000));
    await c.waitEnded();
    assert.equal(c.texts[c.texts.length - 1], '0::');
  });
});

test('hixie-76: heartbeats go out as hixie frames and a 2:: answer keeps the session', T, async () => {
  await withTarget({ SIO_HEARTBEAT_INTERVAL: 0.3, SIO_HEARTBEAT_TIMEOUT: 0.6 }, async (t) => {
    const c = await open(t, 'websocket', 76);
    if (isRef) return;
    for (let i = 0; i < 3; i++) {
      const before = c.texts.filter((s) => s === '2::').length;
      await c.conn.waitUntil(() => c.texts.filter((s) => s === '2::').length > before, 3000, 'heartbeat');
      c.sendText('2::');
    }
    assert.equal(c.ended, false);
    c.destroy();
  });
});

// ----------------------------------------------------------------

test('hixie Q-17: without Origin sio09 omits the *-Origin header (reference: "undefined")', T, async () => {
  for (const draft of [76, 75]) {
    const hs = await handshake(target);
    const p = path('websocket', hs.sid);
    const c = await hx.upgrade(target.port, p, { draft, headers: { Origin: null } });
    if (isRef) {
      // quirk Q-17: observed `Sec-WebSocket-Origin: undefined` / `WebSocket-Origin: undefined`
      assert.equal(c.headText, expectedHead(draft, target.port, p, { origin: 'undefined' }));
      await refHeadThenEnd(c);
    } else {
      assert.equal(c.headText, expectedHead(draft, target.port, p, { origin: null }));
      await c.waitText('1::');
      c.destroy();
    }
  }
});

test('hixie Q-17: the origins check applies (reference: no check)', T, async () => {
  await withTarget({ SIO_ORIGINS: 'good.example:80' }, async (t) => {
    for (const draft of [76, 75]) {
      const hs = await handshake(t, '', { Origin: 'http://good.example' });
      const p = path('websocket', hs.sid);
      const bad = await hx.upgrade(t.port, p, { draft, headers: { Origin: 'http://evil.example' } });
      if (isRef) {
        // quirk Q-17: observed a 101 for a refused origin
        assert.equal(bad.headText, expectedHead(draft, t.port, p, { origin: 'http://evil.example' }));
        await refHeadThenEnd(bad);
      } else {
        await bad.waitEnded();
        assert.equal(bad.data.length, 0, 'closed without a response');
      }
      const good = await hx.upgrade(t.port, p, { draft, headers: { Origin: 'http://good.example' } });
      assert.equal(good.headText, expectedHead(draft, t.port, p, { origin: 'http://good.example' }));
      if (isRef) await refHeadThenEnd(good);
      else { await good.waitText('1::'); good.destroy(); }
    }
  });
});

test('hixie: match origin protocol → wss:// Location for an https Origin', T, async () => {
  await withTarget({ SIO_MATCH_ORIGIN_PROTOCOL: 1 }, async (t) => {
    const hs = await handshake(t);
    const p = path('websocket', hs.sid);
    const c = await hx.upgrade(t.port, p, { headers: { Origin: 'https://secure.example' } });
    assert.equal(c.headers['sec-websocket-location'], `wss://127.0.0.1:${t.port}${p}`);
    if (isRef) return refHeadThenEnd(c);
    await c.waitText('1::');
    c.destroy();
    const hs2 = await handshake(t);
    const p2 = path('websocket', hs2.sid);
    const c2 = await hx.upgrade(t.port, p2, { draft: 75, headers: { Origin: 'http://plain.example' } });
    assert.equal(c2.headers['websocket-location'], `ws://127.0.0.1:${t.port}${p2}`);
    await c2.waitText('1::');
    c2.destroy();
  });
});
