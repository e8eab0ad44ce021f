'use strict';
// Room membership across two nodes of one Redis cluster (issue 14), for each pairing of
// node kinds: after joins and leaves on either node, `clients(room)` (the test app's
// cluster-wide, sorted list) is the same on both nodes; `join-of` / `leave-of` from one
// node act on a session of the other, whose node applies them (so the room's broadcasts
// reach it); a server-side disconnect (`kick`) from either node takes the session out of
// the room on both. socket.io 0.9.19 kept every node's memberships from the `join` /
// `leave` messages; the reference pairing checks sio09 against it. The `node-module`
// kind needs the addon built and target/release/libsio09.so (bash .ci/test does).

const test = require('node:test');
const assert = require('node:assert/strict');
const { sleep, cluster, teardown } = require('./lib');
const { connectWs } = require('../lib/ws');

const ev = (name, args) => `5:::${JSON.stringify({ name, args })}`;
const sorted = (ids) => ids.slice().sort();

// Wait (up to 5 s) until `clients(room)` asked on every given client's node is `want`;
// cluster messages travel asynchronously.
async function converge(askers, room, want, what) {
  const deadline = Date.now() + 5000;
  for (const x of askers) {
    for (;;) {
      const [got] = await x.call('clients', [room]);
      try {
        assert.deepEqual(got, sorted(want));
        break;
      } catch (err) {
        if (Date.now() > deadline) {
          err.message = `${what}: clients(${room}) asked by ${x.sid}: ${err.message}`;
          throw err;
        }
      }
      await sleep(25);
    }
  }
}

function pairing(kinds) {
  test(`rooms across ${kinds[0]} + ${kinds[1]}: clients(room), join-of/leave-of, kick`, async () => {
    const c = await cluster(2, kinds);
    const clients = [];
    try {
      const a1 = await connectWs(c.nodes[0]);
      const a2 = await connectWs(c.nodes[0]);
      const b1 = await connectWs(c.nodes[1]);
      const b2 = await connectWs(c.nodes[1]);
      clients.push(a1, a2, b1, b2);
      const askers = [a1, b1];
      const room = `r-${kinds.join('-')}`;
      // joins and leaves on both nodes
      assert.deepEqual(await a1.call('join', [room]), [room]);
      assert.deepEqual(await b1.call('join', [room]), [room]);
      await converge(askers, room, [a1.sid, b1.sid], 'after joins on both nodes');
      assert.deepEqual(await b1.call('leave', [room]), [room]);
      assert.deepEqual(await a2.call('join', [room]), [room]);
      await converge(askers, room, [a1.sid, a2.sid], 'after a leave on node 1 and a join on node 0');
      // the namespace itself is a room too
      await converge(askers, '', [a1.sid, a2.sid, b1.sid, b2.sid], 'the namespace');

      // join-of from node 0 for a session of node 1: node 1 applies it, so a room emit
      // from node 1 reaches it
      assert.deepEqual(await a1.call('join-of', [b2.sid, room]), [true]);
      await converge(askers, room, [a1.sid, a2.sid, b2.sid], 'after join-of from node 0');
      b1.send(ev('to-room', [room, 'x']));
      for (const x of [a1, a2, b2]) await x.waitFor(ev('room', [room, 'x']));
      // leave-of from node 1 for a session of node 0
      assert.deepEqual(await b1.call('leave-of', [a1.sid, room]), [true]);
      await converge(askers, room, [a2.sid, b2.sid], 'after leave-of from node 1');
      // join-of from node 1 for a session of node 0, leave-of from node 0 for one of node 1
      assert.deepEqual(await b1.call('join-of', [a1.sid, room]), [true]);
      assert.deepEqual(await a1.call('leave-of', [b2.sid, room]), [true]);
      await converge(askers, room, [a1.sid, a2.sid], 'after join-of from node 1 and leave-of from node 0');
      assert.deepEqual(await a1.call('join-of', [b2.sid, room]), [true]);
      await converge(askers, room, [a1.sid, a2.sid, b2.sid], 'after a second join-of from node 0');
      await sleep(100);
      assert.equal(b1.count(ev('room', [room, 'x'])), 0, 'the sender is no member');

      // a server-side disconnect from node 0 of a session of node 1, and from node 1 of
      // a session of node 0: out of the room on both nodes
      a1.send(ev('kick', [b2.sid]));
      await converge(askers, room, [a1.sid, a2.sid], 'after node 0 kicked a session of node 1');
      b1.send(ev('kick', [a2.sid]));
      await converge(askers, room, [a1.sid], 'after node 1 kicked a session of node 0');
      await converge(askers, '', [a1.sid, b1.sid], 'the namespace after the kicks');
    } finally {
      await teardown(c, ...clients);
    }
  });
}

pairing(['reference', 'reference']); // the 0.9.19 behaviour the others must match
pairing(['sio09', 'sio09']);
pairing(['sio09', 'reference']);
pairing(['reference', 'sio09']);
pairing(['node-module', 'reference']);
pairing(['node-module', 'sio09']);
