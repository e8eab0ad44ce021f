'use strict';
// §5.4/§5.5 rooms and broadcasting through the test app (raw websockets).
// Negative checks use a marker: an emit-all sent afterwards reaches every client in order, so
// once a client has the marker it would already have any earlier packet.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startTarget } = require('../lib/target');
const { connectWs } = require('../lib/ws');
const { isEvent, monitor, waitGone } = require('../lib/packet');

const T = { timeout: 20000 };

let target;
before(async () => { target = await startTarget(); });
after(async () => { if (target) await target.stop(); });

async function clients(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await connectWs(target));
  return out;
}
function closeAll(list) { for (const s of list) s.close(); }

let markerN = 0;
async function marker(from, ...others) {
  const m = `marker-${++markerN}`;
  from.emit('emit-all', [m]);
  const frame = `5:::{"name":"all","args":["${m}"]}`;
  await Promise.all([from, ...others].map((s) => s.waitFor(frame, 5000)));
}

const roomFrame = (room, ...args) => `5:::${JSON.stringify({ name: 'room', args: [room, ...args] })}`;

test('rooms: join and leave ack with the room name', T, async () => {
  const [a] = await clients(1);
  try {
    assert.deepEqual(await a.call('join', ['r1']), ['r1']);
    assert.deepEqual(await a.call('leave', ['r1']), ['r1']);
  } finally { closeAll([a]); }
});

test('rooms: to-room reaches every member including the sender, not others', T, async () => {
  const [a, b, c] = await clients(3);
  try {
    await a.call('join', ['tr']);
    await b.call('join', ['tr']);
    a.emit('to-room', ['tr', { d: 1 }]);
    await a.waitFor(roomFrame('tr', { d: 1 }));
    await b.waitFor(roomFrame('tr', { d: 1 }));
    await marker(a, c);
    assert.equal(c.count(roomFrame('tr', { d: 1 })), 0);
  } finally { closeAll([a, b, c]); }
});

test('rooms: to-room from a non-member still reaches the members', T, async () => {
  const [a, b] = await clients(2);
  try {
    await a.call('join', ['tr2']);
    b.emit('to-room', ['tr2', 'x']);
    await a.waitFor(roomFrame('tr2', 'x'));
    await marker(a, b);
    assert.equal(b.count(roomFrame('tr2', 'x')), 0);
  } finally { closeAll([a, b]); }
});

test('rooms: broadcast-room reaches the other members but not the sender', T, async () => {
  const [a, b, c] = await clients(3);
  try {
    await a.call('join', ['br']);
    await b.call('join', ['br']);
    a.emit('broadcast-room', ['br', 'hi']);
    await b.waitFor(roomFrame('br', 'hi'));
    await marker(a, b, c);
    assert.equal(a.count(roomFrame('br', 'hi')), 0);
    assert.equal(c.count(roomFrame('br', 'hi')), 0);
  } finally { closeAll([a, b, c]); }
});

test('rooms: room(name, ...args) with ack -> bare ack; members get room(name, ...args)', T, async () => {
  const [a, b] = await clients(2);
  try {
    await b.call('join', ['rr']);
    assert.deepEqual(await a.call('room', ['rr', 1, 'two', null]), []);
    await b.waitFor(roomFrame('rr', 1, 'two', null));
    await marker(a, b);
    assert.equal(a.count(roomFrame('rr', 1, 'two', null)), 0);
  } finally { closeAll([a, b]); }
});

test('rooms: broadcast reaches everyone in the namespace except the sender', T, async () => {
  const [a, b, c] = await clients(3);
  try {
    a.emit('broadcast', [{ n: 5 }]);
    const f = '5:::{"name":"broadcast","args":[{"n":5}]}';
    await b.waitFor(f);
    await c.waitFor(f);
    await marker(a, b, c);
    assert.equal(a.count(f), 0);
  } finally { closeAll([a, b, c]); }
});

test('rooms: emit-all reaches everyone including the sender, exactly once', T, async () => {
  const [a, b] = await clients(2);
  try {
    a.emit('emit-all', ['everyone']);
    const f = '5:::{"name":"all","args":["everyone"]}';
    await a.waitFor(f);
    await b.waitFor(f);
    await marker(a, b);
    assert.equal(a.count(f), 1);
    assert.equal(b.count(f), 1);
  } finally { closeAll([a, b]); }
});

test('rooms: after leave a client no longer receives the room; joining twice delivers once', T, async () => {
  const [a, b] = await clients(2);
  try {
    await a.call('join', ['lv']);
    await a.call('join', ['lv']);
    b.emit('to-room', ['lv', 1]);
    await a.waitFor(roomFrame('lv', 1));
    await marker(b, a);
    assert.equal(a.count(roomFrame('lv', 1)), 1, 'double join delivers once');
    await a.call('leave', ['lv']);
    b.emit('to-room', ['lv', 2]);
    await marker(b, a);
    assert.equal(a.count(roomFrame('lv', 2)), 0);
  } finally { closeAll([a, b]); }
});

test('rooms: rooms are per namespace (main room r != /chat room r)', T, async () => {
  const [a, b] = await clients(2);
  try {
    a.send('1::/chat'); await a.waitFor('1::/chat');
    b.send('1::/chat'); await b.waitFor('1::/chat');
    await a.call('join', ['same'], { endpoint: '/chat' });
    b.emit('to-room', ['same', 'main']);
    b.emit('to-room', ['same', 'chat'], { endpoint: '/chat' });
    await a.waitFor('5::/chat:{"name":"room","args":["same","chat"]}');
    await marker(b, a);
    assert.equal(a.count(roomFrame('same', 'main')), 0);
  } finally { closeAll([a, b]); }
});

test('monitor: arrived(sid, "") on connection and gone(sid, "", reason) on disconnect', T, async () => {
  const mon = await monitor(target);
  try {
    const s = await connectWs(target);
    await mon.waitFor(isEvent('arrived', '', (x) => x[0] === s.sid && x[1] === ''));
    s.send('0::');
    assert.equal(await waitGone(mon, s.sid), 'booted');
    s.close();
  } finally { mon.close(); }
});

// sio09 coalesces broadcast frames per connection while broadcasts keep coming (one write
// carries several; `broadcast writes per tick` 0 turns that off): nothing may be lost,
// duplicated or reordered, and a unicast reply queued between two broadcasts must come
// between them.
async function burstCheck(t) {
  const members = [];
  for (let i = 0; i < 4; i++) members.push(await connectWs(t));
  const [a] = members;
  const N = 150;
  try {
    for (const s of members) await s.call('join', ['burst']);
    for (let i = 0; i < N; i++) {
      a.emit('to-room', ['burst', i]);
      a.emit('echo', [i]);
    }
    await marker(a, ...members.slice(1));
    for (const s of members) {
      const got = s.frames.filter((f) => f.startsWith('5:::{"name":"room","args":["burst"'));
      assert.deepEqual(got, Array.from({ length: N }, (_, i) => roomFrame('burst', i)));
    }
    const mine = a.frames.filter((f) => f.startsWith('5:::{"name":"room","args":["burst"') ||
      f.startsWith('5:::{"name":"echo"'));
    const want = [];
    for (let i = 0; i < N; i++) {
      want.push(roomFrame('burst', i), `5:::${JSON.stringify({ name: 'echo', args: [i] })}`);
    }
    assert.deepEqual(mine, want);
  } finally { closeAll(members); }
}

test('rooms: a burst of room broadcasts reaches every member once and in order, interleaved with the sender\'s own replies in order', T, async () => {
  await burstCheck(target);
});

test('rooms: the same burst with broadcast coalescing off (`broadcast writes per tick` 0)', T, async () => {
  const t = await startTarget({ 'broadcast writes per tick': 0 });
  try { await burstCheck(t); } finally { await t.stop(); }
});
