'use strict';
// §3.2.3 websocket drafts hixie-76 and hixie-75 on the websocket and flashsocket transports,
// with the suite's own raw-socket client (lib/hixie.js): exact 101 heads, the hixie-76
// challenge (the draft's example; keys without spaces, overflowing, not divisible; the 8-byte
// body sent late or never), 0x00…0xFF frames split across writes or several per write,
// the 0xFF 0x00 close, bad framing, Q-16, Q-17 and Q-18.
//
// The reference serves hixie here only thanks to two Node-20 fixes in reference-app.js
// (without them it writes the 101 head and ends the connection: setEncoding() throws on
// upgraded sockets; and its MD5 answer is wrong: strings are hashed as UTF-8). Where sio09
// deliberately differs, a branch asserts what the reference was observed to do.

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

// Open a hixie session on `transport` and check the handshake bytes: the head, the answer
// (hixie-76) and the `1::` frame.
async function open(t, transport, draft, opts = {}) {
  const hs = await handshake(t);
  const target = path(transport, hs.sid);
  const c = await hx.upgrade(t.port, target, { draft, ...opts });
  c.sid = hs.sid;
  assert.equal(c.headText, expectedHead(draft, t.port, target));
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
  await c.waitAnswer();
  assert.deepEqual(c.answer, hx.SPEC.answer);
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

// Keys both targets refuse: the reference answers with the head and then ends (it writes the
// head before it checks the keys; observed); sio09 checks first and closes without a response.
for (const [what, key2] of [
  ['a key with no spaces', '1299853100'],
  ['a key number not a multiple of its spaces', '1  1 5'],
  ['a key with no digits', 'no digits here'],
]) {
  test(`hixie-76: ${what} refuses the upgrade`, T, async () => {
    const hs = await handshake(target);
    const p = path('websocket', hs.sid);
    const c = await hx.upgrade(target.port, p, { key2 });
    await c.waitEnded();
    if (isRef) {
      // observed: the 101 head (keys are checked after it is written), then the end
      assert.equal(c.headText, expectedHead(76, target.port, p));
      assert.equal(c.afterHead.length, 0);
    } else {
      assert.equal(c.data.length, 0, `sio09 checks the keys first: ${c.data.toString('latin1')}`);
    }
  });
}

// Keys the reference accepts and sio09 refuses (a key number must fit in 32 bits; Key2 must
// be there). Observed on the reference: an overflowing key number is wrapped to 32 bits and
// answered; without Key2 no answer at all is written, yet the session runs (`1::`).
for (const [what, headers, key2] of [
  ['a key number above 2^32-1 (overflow)', {}, '42949672 96'],
  ['a key number beyond 2^64 (overflow)', {}, '9999999999 9999999999 99999999999'],
  ['a missing Sec-WebSocket-Key2', { 'Sec-WebSocket-Key2': null }, undefined],
]) {
  test(`hixie-76: ${what} refuses the upgrade (reference: accepted)`, T, async () => {
    const hs = await handshake(target);
    const p = path('websocket', hs.sid);
    const c = await hx.upgrade(target.port, p, { key2, headers });
    if (isRef) {
      // observed: 101, then (overflow) an answer that is not the draft's, or (no Key2) none
      assert.equal(c.headText, expectedHead(76, target.port, p));
      await c.conn.waitUntil(() => c.afterHead.includes(Buffer.from('\x001::\xff', 'latin1')), 5000, '1::');
      if (headers['Sec-WebSocket-Key2'] === null) {
        assert.equal(c.afterHead.toString('latin1'), '\x001::\xff');
      } else {
        assert.equal(c.afterHead.length, 16 + 5);
      }
      c.destroy();
    } else {
      await c.waitEnded();
      assert.equal(c.data.length, 0, `closed without a response: ${c.data.toString('latin1')}`);
    }
  });
}

// ---------------------------------------------------------------- the 8-byte body

test('hixie-76: 8-byte body sent late: head at once, the answer and 1:: only after the body', T, async () => {
  const hs = await handshake(target);
  const p = path('websocket', hs.sid);
  const c = await hx.upgrade(target.port, p, { body: 'never' });
  assert.equal(c.headText, expectedHead(76, target.port, p));
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
  await c.waitText('1::');
  c.sendText('3:::after');
  await c.waitText('3:::after');
  if (isRef) {
    // observed: the bytes that came in the same read as the end of the body are dropped
    assert.deepEqual(c.texts, ['1::', '3:::after']);
  } else {
    assert.deepEqual(c.texts, ['1::', '3:::right behind', '3:::after']);
  }
  c.destroy();
});

test('hixie-76: 8-byte body never sent: sio09 closes after 10 s without an answer (reference: waits)', T, async () => {
  const hs = await handshake(target);
  const c = await hx.upgrade(target.port, path('websocket', hs.sid), { body: 'never' });
  await sleep(2000);
  assert.equal(c.ended, false, 'still waiting for the body');
  if (isRef) {
    // observed: no bound; still open after 12 s
    await sleep(10000);
    assert.equal(c.ended, false);
    c.destroy();
  } else {
    await c.waitEnded(12000);
  }
  assert.equal(c.afterHead.length, 0);
});

// ---------------------------------------------------------------- framing

test('hixie-76: frames split across writes at every byte, and several frames in one write', T, async () => {
  const c = await open(target, 'websocket', 76);
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

test('hixie-76: client close 0xFF 0x00 ends the session; sio09 answers 0xFF 0x00 first', T, async () => {
  const mon = await monitor(target);
  const c = await open(target, 'websocket', 76);
  try {
    c.sendClose();
    await c.waitEnded();
    assert.equal(c.parsed.rest.length, 0);
    const reason = await waitGone(mon, c.sid);
    if (isRef) {
      // observed: TCP FIN with no closing frame; reason undefined
      assert.equal(c.parsed.close, false);
      assert.equal(reason, null);
    } else {
      assert.equal(c.parsed.close, true, 'closing frame answered');
      assert.equal(reason, 'transport close');
    }
  } finally { mon.close(); }
});

test('hixie-75: peer FIN ends the session with reason "socket end"; no closing frame on hixie-75', T, async () => {
  const mon = await monitor(target);
  const c = await open(target, 'websocket', 75);
  try {
    c.conn.sock.end();
    assert.equal(await waitGone(mon, c.sid), 'socket end');
    await c.waitEnded();
    assert.equal(c.parsed.close, false);
    assert.equal(c.parsed.rest.length, 0);
  } finally { mon.close(); }
});

test('hixie-76: a frame not starting with 0x00 ends the connection', T, async () => {
  const mon = await monitor(target);
  const c = await open(target, 'websocket', 76);
  try {
    c.write(Buffer.from('3:::no start byte\xff', 'latin1'));
    await c.waitEnded();
    assert.deepEqual(c.texts, ['1::']);
    // observed on the reference: reason undefined
    assert.equal(await waitGone(mon, c.sid), isRef ? null : 'transport error');
  } finally { mon.close(); }
});

test('hixie-76: server-side disconnect sends 0::, then (sio09) 0xFF 0x00, then FIN', T, async () => {
  const c = await open(target, 'websocket', 76);
  c.sendText('5:::{"name":"disconnect-me","args":[]}');
  await c.waitEnded();
  assert.deepEqual(c.texts, ['1::', '0::']);
  // observed on the reference: no closing frame
  assert.equal(c.parsed.close, !isRef);
  assert.equal(c.parsed.rest.length, 0);
});

// the reference splits frames on U+FFFD in decoded text; sio09 on the 0xFF byte.
test('hixie-76 Q-18: U+FFFD inside a message arrives whole', T, async () => {
  const mon = await monitor(target);
  const c = await open(target, 'websocket', 76);
  try {
    c.sendText('3:::a\ufffdb');
    if (isRef) {
      // quirk Q-18: observed `3:::a` delivered, then `b` read as a frame without 0x00: ended
      await c.waitEnded();
      assert.deepEqual(c.texts, ['1::', '3:::a']);
      assert.equal(await waitGone(mon, c.sid), null);
    } else {
      await c.waitText('3:::a\ufffdb');
      assert.deepEqual(c.texts, ['1::', '3:::a\ufffdb']);
      c.destroy();
    }
  } finally { mon.close(); }
});

test('hixie-76 Q-18: invalid UTF-8 inside a frame ends the connection, nothing delivered', T, async () => {
  const mon = await monitor(target);
  const c = await open(target, 'websocket', 76);
  try {
    c.write(Buffer.from([0x00, 0x33, 0x3a, 0x3a, 0x3a, 0xc3, 0x28, 0xff]));
    await c.waitEnded();
    if (isRef) {
      // quirk Q-18: observed the text cut at the first U+FFFD (`3:::`, echoed `3::`), then ended
      assert.deepEqual(c.texts, ['1::', '3::']);
      assert.equal(await waitGone(mon, c.sid), null);
    } else {
      assert.deepEqual(c.texts, ['1::']);
      assert.equal(await waitGone(mon, c.sid), 'transport error');
    }
  } finally { mon.close(); }
});

test('hixie-76 Q-16: destroy buffer size applies per message (kick with 0::)', T, async () => {
  await withTarget({ SIO_DESTROY_BUFFER_SIZE: 1000 }, async (t) => {
    const c = await open(t, 'websocket', 76);
    const x = '3:::' + 'x'.repeat(990);
    c.sendText(x);
    await c.conn.waitUntil(() => c.texts.filter((s) => s === x).length === 1, 5000, 'first echo');
    c.sendText(x);
    if (isRef) {
      // quirk Q-16: observed the bytes counted over the connection's life: the second
      // 996-byte frame passes 1000 and kicks (`0::`)
      await c.waitEnded();
      assert.deepEqual(c.texts, ['1::', x, '0::']);
      return;
    }
    c.sendText(x);
    await c.conn.waitUntil(() => c.texts.filter((s) => s === x).length === 3, 5000, 'three echoes');
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
    // quirk Q-17: observed `Sec-WebSocket-Origin: undefined` / `WebSocket-Origin: undefined`
    assert.equal(c.headText, expectedHead(draft, target.port, p, { origin: isRef ? 'undefined' : null }));
    await c.waitText('1::');
    c.destroy();
  }
});

test('hixie Q-17: the origins check applies (reference: no check)', T, async () => {
  await withTarget({ SIO_ORIGINS: 'good.example:80' }, async (t) => {
    for (const draft of [76, 75]) {
      const hs = await handshake(t, '', { Origin: 'http://good.example' });
      const p = path('websocket', hs.sid);
      const bad = await hx.upgrade(t.port, p, { draft, headers: { Origin: 'http://evil.example' } });
      if (isRef) {
        // quirk Q-17: observed a 101 and a running session for a refused origin
        assert.equal(bad.headText, expectedHead(draft, t.port, p, { origin: 'http://evil.example' }));
        await bad.waitText('1::');
        bad.destroy();
        continue;
      }
      await bad.waitEnded();
      assert.equal(bad.data.length, 0, 'closed without a response');
      const good = await hx.upgrade(t.port, p, { draft, headers: { Origin: 'http://good.example' } });
      assert.equal(good.headText, expectedHead(draft, t.port, p, { origin: 'http://good.example' }));
      await good.waitText('1::');
      good.destroy();
    }
  });
});

test('hixie: match origin protocol → wss:// Location for an https Origin', T, async () => {
  await withTarget({ SIO_MATCH_ORIGIN_PROTOCOL: 1 }, async (t) => {
    const hs = await handshake(t);
    const p = path('websocket', hs.sid);
    const c = await hx.upgrade(t.port, p, { headers: { Origin: 'https://secure.example' } });
    assert.equal(c.headers['sec-websocket-location'], `wss://127.0.0.1:${t.port}${p}`);
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
