'use strict';
// The conformance suite's unchanged 0.9 app (reference-app.js) on sio09's Node.js module,
// with 0.9.19's RedisStore constructor (redis@0.7.3 client objects), joins a cluster with
// a standalone sio09 node and a socket.io 0.9.19 node (issue 6: "clustered legacy apps
// work too"). Run after the addon is built (bash .ci/test does).

const test = require('node:test');
const assert = require('node:assert/strict');
const { sleep, cluster, teardown, assertValuesAlike } = require('./lib');
const { connectWs } = require('../lib/ws');

const ev = (name, args) => `5:::${JSON.stringify({ name, args })}`;

test('Node module + sio09 + socket.io 0.9.19 on one Redis: broadcasts, rooms, data, direct emits', async () => {
  const c = await cluster(3, ['node-module', 'sio09', 'reference']);
  const clients = [];
  try {
    const [m, s, r] = [await connectWs(c.nodes[0]), await connectWs(c.nodes[1]), await connectWs(c.nodes[2])];
    clients.push(m, s, r);
    for (const [from, tag] of [[m, 'from-module'], [s, 'from-sio09'], [r, 'from-ref']]) {
      from.send(ev('emit-all', [tag]));
      for (const x of clients) await x.waitFor(ev('all', [tag]));
    }
    assert.deepEqual(await m.call('join', ['g']), ['g']);
    await sleep(150);
    r.send(ev('to-room', ['g', 'hello']));
    await m.waitFor(ev('room', ['g', 'hello']));
    assert.deepEqual(await m.call('set', ['k', 'v']), [true]);
    assert.deepEqual(await s.call('get-of', [m.sid, 'k']), ['v']);
    // every kind of value: stored as the same bytes as by 0.9.19 and by sio09, read the same
    // on every node, the module reading another node's session included (`nsp.socket(id).get`)
    await assertValuesAlike(c, m, r);
    await assertValuesAlike(c, m, s);
    s.send(ev('emit-to', [m.sid, 'direct-from-sio09']));
    await m.waitFor(ev('direct', ['direct-from-sio09']));
    m.send(ev('emit-to', [s.sid, 'direct-from-module']));
    await s.waitFor(ev('direct', ['direct-from-module']));
    await sleep(200);
    for (const x of clients) assert.equal(x.count(ev('all', ['from-module'])), 1);
    assert.equal(m.count(ev('room', ['g', 'hello'])), 1);
  } finally {
    await teardown(c, ...clients);
  }
});
