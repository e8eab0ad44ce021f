'use strict';
// sio09 nodes in one cluster on a real Redis (issue 5): broadcasts and rooms across three
// nodes exactly once, emits/disconnects/data of a session addressed from another node,
// xhr-polling and jsonp-polling clients behind a round-robin proxy (no sticky sessions)
// with nothing lost or duplicated, and Redis killed and restarted mid-run.

const test = require('node:test');
const assert = require('node:assert/strict');
const { RoundRobinProxy, sleep, cluster, teardown } = require('./lib');
const { connectWs } = require('../lib/ws');
const { handshake } = require('../lib/http');
const { PollSession } = require('../lib/polling');

const ev = (name, args) => `5:::${JSON.stringify({ name, args })}`;

test('three nodes: broadcast, rooms and namespace emits cross every node exactly once', async () => {
  const c = await cluster(3);
  const clients = [];
  try {
    for (let i = 0; i < 6; i++) clients.push(await connectWs(c.nodes[i % 3]));
    // clients 0, 1, 2 (one per node) join room r
    for (let i = 0; i < 3; i++) assert.deepEqual(await clients[i].call('join', ['r']), ['r']);
    await sleep(100);
    clients[4].send(ev('to-room', ['r', 'x']));
    for (let i = 0; i < 3; i++) await clients[i].waitFor(ev('room', ['r', 'x']));
    clients[0].send(ev('broadcast', [7]));
    for (let i = 1; i < 6; i++) await clients[i].waitFor(ev('broadcast', [7]));
    clients[5].send(ev('emit-all', ['end']));
    for (let i = 0; i < 6; i++) await clients[i].waitFor(ev('all', ['end']));
    await sleep(200);
    for (let i = 0; i < 6; i++) {
      assert.equal(clients[i].count(ev('all', ['end'])), 1, `client ${i}: emit-all once`);
      assert.equal(clients[i].count(ev('broadcast', [7])), i === 0 ? 0 : 1, `client ${i}: broadcast once, not to the sender`);
      assert.equal(clients[i].count(ev('room', ['r', 'x'])), i < 3 ? 1 : 0, `client ${i}: room emit once, members only`);
    }
    // leave on node 1, room emit from node 2: no longer delivered there
    assert.deepEqual(await clients[1].call('leave', ['r']), ['r']);
    await sleep(100);
    clients[2].send(ev('to-room', ['r', 'y']));
    await clients[0].waitFor(ev('room', ['r', 'y']));
    await clients[2].waitFor(ev('room', ['r', 'y']));
    await sleep(200);
    assert.equal(clients[1].count(ev('room', ['r', 'y'])), 0);
  } finally {
    await teardown(c, ...clients);
  }
});

test('a session addressed from another node: emit, data and disconnect', async () => {
  const c = await cluster(2);
  const clients = [];
  try {
    const a = await connectWs(c.nodes[0]);
    const b = await connectWs(c.nodes[1]);
    const watcher = await connectWs(c.nodes[1]);
    clients.push(a, b, watcher);
    assert.deepEqual(await watcher.call('watch', []), [true]);
    // set on node A, read from node B (values are stored as strings, as 0.9.19 stores them:
    // the app serialises an object itself)
    const nick = JSON.stringify({ n: 'alice', k: [1, 2] });
    assert.deepEqual(await a.call('set', ['nick', nick]), [true]);
    assert.deepEqual(await b.call('get-of', [a.sid, 'nick']), [nick]);
    // emit to a's socket id from node B
    b.send(ev('emit-to', [a.sid, 'hi']));
    await a.waitFor(ev('direct', ['hi']));
    // kick a from node B: its websocket really ends (0:: then close)
    b.send(ev('kick', [a.sid]));
    await a.waitFor('0::');
    await a.waitClosed(5000);
    const gone = await watcher.waitFor((f) => f.startsWith('5:::{"name":"gone"'));
    assert.deepEqual(JSON.parse(gone.slice(4)).args, [a.sid, '', 'booted']);
    // emits after the end reach nobody; node B keeps serving
    assert.deepEqual(await b.call('echo', ['still']), ['still']);
  } finally {
    await teardown(c, ...clients);
  }
});

async function pollingThroughProxy(transport, n) {
  const c = await cluster(n);
  const proxy = await new RoundRobinProxy(c.nodes).start();
  const clients = [];
  try {
    const other = await connectWs(c.nodes[1]);
    clients.push(other);
    const hs = await handshake(proxy);
    const s = new PollSession(proxy, transport, hs.sid, { jsonpIndex: 3 });
    clients.push(s);
    s.start((p) => { if (p === '2::') s.post('2::').catch(() => {}); });
    await s.waitFor('1::', 5000);
    // acks: 12 echo calls, each answered exactly once
    for (let i = 0; i < 12; i++) {
      assert.deepEqual(await s.call('echo', [`m${i}`, i]), [`m${i}`, i]);
    }
    // server pushes: 30 emits in order, none lost or duplicated
    await s.emit('emit-many', [30, 'p']);
    await s.waitFor(ev('seq', [29, 'p']), 8000);
    // a room emit from a client on node B reaches the polling client
    assert.deepEqual(await s.call('join', ['pr']), ['pr']);
    await sleep(100);
    other.send(ev('to-room', ['pr', 'z']));
    await s.waitFor(ev('room', ['pr', 'z']), 5000);
    // per-client data through whichever node gets the POST
    assert.deepEqual(await s.call('set', ['k', 5]), [true]);
    assert.deepEqual(await s.call('get', ['k']), ['5']);
    await sleep(300);
    const seqs = s.packets.filter((p) => p.startsWith('5:::{"name":"seq"'));
    assert.deepEqual(seqs, Array.from({ length: 30 }, (_, i) => ev('seq', [i, 'p'])));
    for (let i = 0; i < 12; i++) {
      assert.equal(s.count((p) => p.startsWith(`6:::${101 + i}+`)), 1, `ack ${101 + i} once`);
    }
    assert.equal(s.count(ev('room', ['pr', 'z'])), 1);
    assert.equal(s.count('1::'), 1);
    // the proxy really spread the requests over both nodes
    assert.ok(proxy.counts.every((k) => k > 8), `requests per node ${proxy.counts}`);
    // ?disconnect through the proxy ends the session on its owner
    s.stop();
    await s.loopDone;
  } finally {
    await proxy.stop();
    await teardown(c, ...clients);
  }
}

test('xhr-polling through a round-robin proxy over three nodes: nothing lost or duplicated', async () => {
  await pollingThroughProxy('xhr-polling', 3);
});

test('jsonp-polling through a round-robin proxy over two nodes: nothing lost or duplicated', async () => {
  await pollingThroughProxy('jsonp-polling', 2);
});

test('websocket through a round-robin proxy: the upgrade may land on a non-owner node', async () => {
  const c = await cluster(2);
  const proxy = await new RoundRobinProxy(c.nodes).start();
  const clients = [];
  try {
    for (let i = 0; i < 4; i++) clients.push(await connectWs(proxy));
    for (let i = 0; i < 4; i++) assert.deepEqual(await clients[i].call('echo', [i]), [i]);
    clients[0].send(ev('emit-all', ['ws']));
    for (let i = 0; i < 4; i++) await clients[i].waitFor(ev('all', ['ws']));
    await sleep(200);
    for (let i = 0; i < 4; i++) assert.equal(clients[i].count(ev('all', ['ws'])), 1);
    // Every client vanishes at once (the proxy drops its tunnels): the sessions end on
    // their owners and the cluster goes quiet — no packet passed back and forth between a
    // relay that is gone and an owner that is done.
    await proxy.stop();
    await sleep(1500);
    const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await c.redis.command('INFO', 'stats'))[1]);
    const before = await commands();
    await sleep(1000);
    const after = await commands();
    assert.ok(after - before < 20, `Redis still busy after the clients left: ${after - before} commands in 1 s`);
  } finally {
    await proxy.stop();
    await teardown(c, ...clients);
  }
});

test('Redis killed and restarted mid-run: local service continues, the cluster recovers', async () => {
  const c = await cluster(2);
  const clients = [];
  try {
    const a = await connectWs(c.nodes[0]);
    const b = await connectWs(c.nodes[1]);
    clients.push(a, b);
    a.send(ev('emit-all', ['before']));
    await b.waitFor(ev('all', ['before']));
    await c.redis.stop();
    // local clients keep being served while Redis is away
    assert.deepEqual(await a.call('echo', ['alone']), ['alone']);
    assert.deepEqual(await b.call('echo', ['alone']), ['alone']);
    await sleep(300);
    await c.redis.start();
    await c.redis.waitSubscribers(2, 20000);
    a.send(ev('emit-all', ['after']));
    await b.waitFor(ev('all', ['after']), 8000);
    assert.deepEqual(await a.call('set', ['x', 1]), [true]);
    assert.deepEqual(await b.call('get-of', [a.sid, 'x']), ['1']);
  } finally {
    await teardown(c, ...clients);
  }
});

