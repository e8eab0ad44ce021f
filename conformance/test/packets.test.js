'use strict';
// §2 packets and §5 semantics through the test app's handlers, over a raw websocket.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startTarget, kind } = require('../lib/target');
const { connectWs, joinNamespace } = require('../lib/ws');
const { event, isEvent, monitor, waitGone, sleep } = require('../lib/packet');

const T = { timeout: 20000 };

let target;
before(async () => { target = await startTarget(); });
after(async () => { if (target) await target.stop(); });

async function session(opts) {
  return connectWs(target, opts);
}

test('app: whoami acks (sid, "")', T, async () => {
  const s = await session();
  try {
    assert.deepEqual(await s.call('whoami', []), [s.sid, '']);
  } finally { s.close(); }
});

test('app: handshake-query acks the handshake query object', T, async () => {
  const s = await session({ query: 'foo=bar&n=1&sp=a+b%21' });
  try {
    assert.deepEqual(await s.call('handshake-query', []), [{ foo: 'bar', n: '1', sp: 'a b!' }]);
  } finally { s.close(); }
});

test('app: set then get returns the stored value; missing key -> null', T, async () => {
  const s = await session();
  try {
    assert.deepEqual(await s.call('set', ['k', { a: [1, 'x'] }]), [true]);
    assert.deepEqual(await s.call('get', ['k']), [{ a: [1, 'x'] }]);
    assert.deepEqual(await s.call('get', ['missing']), [null]);
  } finally { s.close(); }
});

test('app: set/get storage is per session and shared by its namespaces', T, async () => {
  const a = await session();
  const b = await session();
  try {
    assert.deepEqual(await a.call('set', ['color', 'red']), [true]);
    await joinNamespace(a, '/chat');
    assert.deepEqual(await a.call('get', ['color'], { endpoint: '/chat' }), ['red']);
    assert.deepEqual(await b.call('get', ['color']), [null], 'another session does not see it');
  } finally { a.close(); b.close(); }
});

test('app: emit-many(5, "t") -> seq(0..4, "t") in order; without tag -> null', T, async () => {
  const s = await session();
  try {
    s.emit('emit-many', [5, 't']);
    await s.waitFor(isEvent('seq', '', (a) => a[0] === 4));
    const seqs = s.frames.map(event).filter((e) => e && e.name === 'seq');
    assert.deepEqual(seqs.map((e) => e.args), [[0, 't'], [1, 't'], [2, 't'], [3, 't'], [4, 't']]);
    s.emit('emit-many', [2]);
    await s.waitFor('5:::{"name":"seq","args":[1,null]}');
    assert.equal(s.count('5:::{"name":"seq","args":[0,null]}'), 1);
  } finally { s.close(); }
});

test('app: emit-later(300, data) -> later(data) arrives after the delay', T, async () => {
  const s = await session();
  try {
    const t0 = Date.now();
    s.emit('emit-later', [300, { v: 'x' }]);
    await s.waitFor('5:::{"name":"later","args":[{"v":"x"}]}', 5000);
    assert.ok(Date.now() - t0 >= 200, 'not before the delay');
  } finally { s.close(); }
});

test('app: echo without ack -> echo event back with the same args', T, async () => {
  const s = await session();
  try {
    s.send('5:::{"name":"echo","args":[1,"two",{"3":null},[true]]}');
    await s.waitFor('5:::{"name":"echo","args":[1,"two",{"3":null},[true]]}');
    s.send('5:::{"name":"echo"}');
    await s.waitFor('5:::{"name":"echo"}', 5000); // empty args are omitted
  } finally { s.close(); }
});

test('app: echo with ack and no args -> bare ack 6:::N', T, async () => {
  const s = await session();
  try {
    s.send('5:9+::{"name":"echo"}');
    await s.waitFor('6:::9');
    s.send('5:10+::{"name":"echo","args":[]}');
    await s.waitFor('6:::10');
  } finally { s.close(); }
});

test('app: server-ack -> ask sent as 5:N+ and the client ack yields got-ack([args])', T, async () => {
  const s = await session();
  try {
    s.send('5:1+::{"name":"server-ack","args":["d"]}');
    const askFrame = await s.waitFor(isEvent('ask'));
    const ask = event(askFrame);
    assert.deepEqual(ask.args, ['d']);
    assert.match(ask.id, /^\d+$/);
    assert.equal(ask.dataAck, true, `ask frame ${askFrame}`);
    s.send(`6:::${ask.id}+["a",2]`);
    await s.waitFor('5:::{"name":"got-ack","args":[["a",2]]}');
  } finally { s.close(); }
});

test('app: server-ack-plain -> ask also sent as 5:N+ on sio09 (Q-31)', T, async () => {
  const s = await session();
  try {
    s.send('5:1+::{"name":"server-ack-plain","args":["p"]}');
    const askFrame = await s.waitFor(isEvent('ask'));
    const ask = event(askFrame);
    assert.deepEqual(ask.args, ['p']);
    if (kind === 'reference') {
      // quirk Q-31: observed plain id (5:1::...) for a callback without parameters
      assert.equal(ask.dataAck, false, `ask frame ${askFrame}`);
      assert.match(askFrame, /^5:\d+::/);
    } else {
      assert.equal(ask.dataAck, true, `ask frame ${askFrame}`);
      assert.match(askFrame, /^5:\d+\+::/);
    }
    s.send(`6:::${ask.id}+["b"]`);
    await s.waitFor('5:::{"name":"got-ack","args":[["b"]]}');
  } finally { s.close(); }
});

test('app: send-json(data) -> 4:::<json>', T, async () => {
  const s = await session();
  try {
    s.emit('send-json', [{ x: [1, 2], y: 'z' }]);
    await s.waitFor('4:::{"x":[1,2],"y":"z"}');
  } finally { s.close(); }
});

test('packets: empty message 3:: is echoed as 3:: (data part omitted)', T, async () => {
  const s = await session();
  try {
    s.send('3::');
    await s.waitFor('3::');
  } finally { s.close(); }
});

test('packets: data keeps colons and newlines (3:::a:b:c, 3:::l1\\nl2)', T, async () => {
  const s = await session();
  try {
    s.send('3:::a:b:c');
    await s.waitFor('3:::a:b:c');
    s.send('3:::l1\nl2');
    await s.waitFor('3:::l1\nl2');
  } finally { s.close(); }
});

test('packets: blacklisted event "disconnect" is ignored (session stays)', T, async () => {
  const mon = await monitor(target);
  const s = await session();
  try {
    s.send('5:::{"name":"disconnect"}');
    s.send('5:4+::{"name":"disconnect","args":["x"]}');
    assert.deepEqual(await s.call('echo', ['after']), ['after']);
    await sleep(100);
    assert.equal(s.closed, false);
    assert.equal(s.count('6:::4'), 0);
    assert.equal(mon.count(isEvent('gone', '', (a) => a[0] === s.sid)), 0);
  } finally { s.close(); mon.close(); }
});

test('packets: garbage (hello, 9::, 5:::{bad json, 6:::x, empty) is ignored; socket keeps working', T, async () => {
  const s = await session();
  try {
    for (const g of ['hello', '9::', '5:::{bad json', '6:::x', '', '6:::999+[1]', '7:::1+0', '8::']) s.send(g);
    assert.deepEqual(await s.call('echo', ['ok']), ['ok']);
    assert.equal(s.closed, false);
    assert.deepEqual(s.frames.filter((f) => f !== '1::' && !f.startsWith('6:::')), []);
  } finally { s.close(); }
});

test('packets: :3:::hi (leading colon) is not a message on sio09 (Q-11)', T, async () => {
  const s = await session();
  try {
    s.send(':3:::hi');
    s.send('3:::after');
    await s.waitFor('3:::after');
    await sleep(100);
    if (kind === 'reference') {
      // quirk Q-11: observed the unanchored decoder delivers it (echoed as 3:::hi)
      assert.equal(s.count('3:::hi'), 1);
    } else {
      assert.equal(s.count('3:::hi'), 0);
    }
  } finally { s.close(); }
});

test('packets: client 0:: -> server writes 0::, closes, reason booted', T, async () => {
  const mon = await monitor(target);
  const s = await session();
  try {
    s.send('0::');
    await s.waitFor('0::');
    await s.waitClosed(5000);
    assert.equal(await waitGone(mon, s.sid), 'booted');
  } finally { s.close(); mon.close(); }
});

test('app: disconnect-me -> 0:: then close; monitor sees gone(reason "booted")', T, async () => {
  const mon = await monitor(target);
  const s = await session();
  try {
    s.emit('disconnect-me', []);
    await s.waitFor('0::');
    await s.waitClosed(5000);
    assert.equal(await waitGone(mon, s.sid), 'booted');
  } finally { s.close(); mon.close(); }
});

test('app: client closing the TCP connection -> gone with a reason (socket end/close)', T, async () => {
  const mon = await monitor(target);
  const s = await session();
  try {
    s.ws.terminate();
    const reason = await waitGone(mon, s.sid);
    assert.ok(['socket end', 'socket close'].includes(reason), `reason ${reason}`);
  } finally { mon.close(); }
});
