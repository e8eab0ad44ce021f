'use strict';
// One sio09 node and one socket.io 0.9.19 node (RedisStore with redis@0.7.3) on the same
// Redis form one cluster (issue 5): broadcasts, rooms, per-client data, emits to a socket
// id and server-side disconnects, in both directions. Clients are sticky (each talks to
// one node), as a 0.9.19 cluster requires.

const test = require('node:test');
const assert = require('node:assert/strict');
const { sleep, cluster, teardown, assertValuesAlike } = require('./lib');
const { connectWs } = require('../lib/ws');
const { connectPolling } = require('../lib/polling');

const ev = (name, args) => `5:::${JSON.stringify({ name, args })}`;

test('sio09 + socket.io 0.9.19 on one Redis: broadcasts, rooms and namespaces both ways', async () => {
  const c = await cluster(2, ['sio09', 'reference']);
  const clients = [];
  try {
    const [s1, s2] = [await connectWs(c.nodes[0]), await connectWs(c.nodes[0])];
    const [r1, r2] = [await connectWs(c.nodes[1]), await connectWs(c.nodes[1])];
    clients.push(s1, s2, r1, r2);
    // namespace-wide emits from each side reach every client once
    s1.send(ev('emit-all', ['from-sio09']));
    r1.send(ev('emit-all', ['from-ref']));
    for (const x of clients) {
      await x.waitFor(ev('all', ['from-sio09']));
      await x.waitFor(ev('all', ['from-ref']));
    }
    // socket.broadcast excludes the sender only
    r2.send(ev('broadcast', ['b-ref']));
    s2.send(ev('broadcast', ['b-sio09']));
    for (const x of [s1, s2, r1]) await x.waitFor(ev('broadcast', ['b-ref']));
    for (const x of [s1, r1, r2]) await x.waitFor(ev('broadcast', ['b-sio09']));
    // rooms: one member on each node, room emits from the other node's non-members
    assert.deepEqual(await s1.call('join', ['mix']), ['mix']);
    assert.deepEqual(await r1.call('join', ['mix']), ['mix']);
    await sleep(150);
    s2.send(ev('to-room', ['mix', 'via-sio09']));
    r2.send(ev('to-room', ['mix', 'via-ref']));
    for (const x of [s1, r1]) {
      await x.waitFor(ev('room', ['mix', 'via-sio09']));
      await x.waitFor(ev('room', ['mix', 'via-ref']));
    }
    await sleep(300);
    for (const x of clients) {
      assert.equal(x.count(ev('all', ['from-sio09'])), 1);
      assert.equal(x.count(ev('all', ['from-ref'])), 1);
    }
    for (const x of [s2, r2]) assert.equal(x.count((f) => f.startsWith('5:::{"name":"room"')), 0);
    for (const x of [s1, r1]) assert.equal(x.count((f) => f.startsWith('5:::{"name":"room"')), 2);
    // a polling client on sio09 gets the reference's broadcasts too
    const p = await connectPolling(c.nodes[0], 'xhr-polling');
    clients.push(p);
    p.start((f) => { if (f === '2::') p.post('2::').catch(() => {}); });
    await sleep(150);
    r1.send(ev('emit-all', ['to-poller']));
    await p.waitFor(ev('all', ['to-poller']));
  } finally {
    await teardown(c, ...clients);
  }
});

test('sio09 + socket.io 0.9.19: data, emits to a socket id and disconnects across the two', async () => {
  const c = await cluster(2, ['sio09', 'reference']);
  const clients = [];
  try {
    const s = await connectWs(c.nodes[0]);
    const r = await connectWs(c.nodes[1]);
    const sWatch = await connectWs(c.nodes[0]);
    const rWatch = await connectWs(c.nodes[1]);
    clients.push(s, r, sWatch, rWatch);
    assert.deepEqual(await sWatch.call('watch', []), [true]);
    assert.deepEqual(await rWatch.call('watch', []), [true]);
    // per-client data: both store String(value), and each reads the other's as its own
    assert.deepEqual(await r.call('set', ['nick', 'bob']), [true]);
    assert.deepEqual(await s.call('get-of', [r.sid, 'nick']), ['bob']);
    assert.deepEqual(await s.call('set', ['nick', 'alice']), [true]);
    assert.deepEqual(await r.call('get-of', [s.sid, 'nick']), ['alice']);
    assert.deepEqual(await s.call('set', ['n', 42]), [true]);
    assert.deepEqual(await r.call('get-of', [s.sid, 'n']), ['42']);
    // emits to a socket id on the other node, both ways
    s.send(ev('emit-to', [r.sid, 'to-ref-client']));
    await r.waitFor(ev('direct', ['to-ref-client']));
    r.send(ev('emit-to', [s.sid, 'to-sio09-client']));
    await s.waitFor(ev('direct', ['to-sio09-client']));
    // the reference kicks a sio09 client: sio09 really closes its websocket
    r.send(ev('kick', [s.sid]));
    await s.waitFor('0::');
    await s.waitClosed(5000);
    const gone1 = await sWatch.waitFor((f) => f.startsWith('5:::{"name":"gone"'));
    assert.deepEqual(JSON.parse(gone1.slice(4)).args.slice(0, 2), [s.sid, '']);
    // sio09 kicks a reference client: the reference forgets it (0.9.19 does not close the
    // client's transport, REDIS-STORE.md §8) and fires its disconnect handlers
    sWatch.send(ev('kick', [r.sid]));
    const gone2 = await rWatch.waitFor((f) => f.startsWith('5:::{"name":"gone"') && f.includes(r.sid));
    assert.equal(JSON.parse(gone2.slice(4)).args[0], r.sid);
    // both nodes keep serving
    assert.deepEqual(await sWatch.call('echo', ['ok']), ['ok']);
    assert.deepEqual(await rWatch.call('echo', ['ok']), ['ok']);
  } finally {
    await teardown(c, ...clients);
  }
});

test('sio09 + socket.io 0.9.19: every kind of client data value is stored as the same bytes, read the same', async () => {
  const c = await cluster(2, ['sio09', 'reference']);
  const clients = [];
  try {
    const s = await connectWs(c.nodes[0]);
    const r = await connectWs(c.nodes[1]);
    clients.push(s, r);
    await assertValuesAlike(c, s, r);
  } finally {
    await teardown(c, ...clients);
  }
});
