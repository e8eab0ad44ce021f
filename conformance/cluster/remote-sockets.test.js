'use strict';
// A socket whose session lives on another node (issue 14): `nsp.socket(id)` on one node
// acts on a client connected to the other — get/set/has/del of its data, emit with an ack
// (the client's answer comes back to the asking node), emit without one, disconnect.
// Pairs of nodes on one Redis, each kind in each role: the standalone binary (`sio09`)
// and the unchanged app on the Node module (`node-module`). socket.io 0.9.19 cannot route
// an ack across nodes; with a 0.9.19 node in the pair only what it can do is checked
// (interop.test.js covers data, emits and disconnects with it).

const test = require('node:test');
const assert = require('node:assert/strict');
const { sleep, cluster, teardown } = require('./lib');
const { connectWs } = require('../lib/ws');

const ev = (name, args) => `5:::${JSON.stringify({ name, args })}`;
const T = { timeout: 60000 };

async function remoteSocketOps(kinds) {
  const c = await cluster(2, kinds);
  const clients = [];
  try {
    const a = await connectWs(c.nodes[0]); // the asking side
    const b = await connectWs(c.nodes[1]); // the session elsewhere
    const watch = await connectWs(c.nodes[1]);
    clients.push(a, b, watch);
    assert.deepEqual(await watch.call('watch', []), [true]);
    await sleep(100); // b's handshake and connect reached node 0
    // client data of the other node's session, by id
    assert.deepEqual(await a.call('has-of', [b.sid, 'k']), [false]);
    assert.deepEqual(await a.call('set-of', [b.sid, 'k', 'v1']), [true]);
    assert.deepEqual(await b.call('get', ['k']), ['v1'], 'the owner reads what the other node set');
    assert.deepEqual(await a.call('has-of', [b.sid, 'k']), [true]);
    assert.deepEqual(await b.call('set', ['k', 'v2']), [true]);
    assert.deepEqual(await a.call('get-of', [b.sid, 'k']), ['v2']);
    assert.deepEqual(await a.call('del-of', [b.sid, 'k']), [true]);
    assert.deepEqual(await b.call('get', ['k']), [null]);
    // emit with an ack to the other node's client: its answer comes back here
    const answer = a.call('ask-of', [b.sid, { q: 'over there?' }]);
    const asked = await b.waitFor((f) => f.startsWith('5:') && f.includes('"name":"ask"'));
    const m = /^5:(\d+)\+::(.*)$/.exec(asked);
    assert.ok(m, asked);
    assert.deepEqual(JSON.parse(m[2]), { name: 'ask', args: [{ q: 'over there?' }] });
    b.send(`6:::${m[1]}+${JSON.stringify(['yes', 42])}`);
    assert.deepEqual(await answer, ['yes', 42]);
    // emit without an ack
    a.send(ev('emit-to', [b.sid, 'hello']));
    await b.waitFor(ev('direct', ['hello']));
    // disconnect from the other node: the owner closes the client's transport
    a.send(ev('kick', [b.sid]));
    await b.waitFor('0::');
    await b.waitClosed(5000);
    const gone = await watch.waitFor((f) => f.startsWith('5:::{"name":"gone"') && f.includes(b.sid));
    assert.equal(JSON.parse(gone.slice(4)).args[0], b.sid);
    await sleep(200);
    assert.equal(b.count((f) => f.startsWith('5:') && f.includes('"name":"ask"')), 1, 'asked once');
    assert.equal(b.count(ev('direct', ['hello'])), 1, 'delivered once');
  } finally {
    await teardown(c, ...clients);
  }
}

test('remote socket: sio09 asks, sio09 owns', T, () => remoteSocketOps(['sio09', 'sio09']));
test('remote socket: the Node module asks, sio09 owns', T, () => remoteSocketOps(['node-module', 'sio09']));
test('remote socket: sio09 asks, the Node module owns', T, () => remoteSocketOps(['sio09', 'node-module']));

test('remote socket: sio09 asks, socket.io 0.9.19 owns (data, emit, disconnect)', T, async () => {
  const c = await cluster(2, ['sio09', 'reference']);
  const clients = [];
  try {
    const a = await connectWs(c.nodes[0]);
    const b = await connectWs(c.nodes[1]);
    clients.push(a, b);
    await sleep(100);
    assert.deepEqual(await a.call('set-of', [b.sid, 'k', 'v']), [true]);
    assert.deepEqual(await b.call('get', ['k']), ['v']);
    assert.deepEqual(await a.call('has-of', [b.sid, 'k']), [true]);
    assert.deepEqual(await a.call('del-of', [b.sid, 'k']), [true]);
    assert.deepEqual(await b.call('get', ['k']), [null]);
    a.send(ev('emit-to', [b.sid, 'hi']));
    await b.waitFor(ev('direct', ['hi']));
  } finally {
    await teardown(c, ...clients);
  }
});

test('remote socket: socket.io 0.9.19 asks, sio09 owns (data, emit, disconnect)', T, async () => {
  const c = await cluster(2, ['reference', 'sio09']);
  const clients = [];
  try {
    const a = await connectWs(c.nodes[0]);
    const b = await connectWs(c.nodes[1]);
    clients.push(a, b);
    await sleep(100);
    assert.deepEqual(await a.call('set-of', [b.sid, 'k', 'v']), [true]);
    assert.deepEqual(await b.call('get', ['k']), ['v']);
    assert.deepEqual(await a.call('has-of', [b.sid, 'k']), [true]);
    assert.deepEqual(await a.call('get-of', [b.sid, 'k']), ['v']);
    assert.deepEqual(await a.call('del-of', [b.sid, 'k']), [true]);
    assert.deepEqual(await b.call('get', ['k']), [null]);
    a.send(ev('emit-to', [b.sid, 'hi']));
    await b.waitFor(ev('direct', ['hi']));
    // a 0.9.19 node's disconnect of a session elsewhere (disconnect-remote): sio09, the
    // owner, really closes the client's transport
    a.send(ev('kick', [b.sid]));
    await b.waitFor('0::');
    await b.waitClosed(5000);
  } finally {
    await teardown(c, ...clients);
  }
});
