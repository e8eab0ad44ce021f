'use strict';
// §4.9 namespaces: connect, authorization, disconnect.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startTarget, kind } = require('../lib/target');
const { connectWs, joinNamespace } = require('../lib/ws');
const { isEvent, monitor, waitGone, sleep } = require('../lib/packet');

const T = { timeout: 20000 };

let target;
before(async () => { target = await startTarget(); });
after(async () => { if (target) await target.stop(); });

test('nsp: 1::/chat -> 1::/chat; whoami there acks (sid, "/chat") on endpoint /chat', T, async () => {
  const s = await connectWs(target);
  try {
    s.send('1::/chat');
    assert.equal(await s.waitFor((f) => f.startsWith('1::/')), '1::/chat');
    s.send('5:3+:/chat:{"name":"whoami"}');
    assert.equal(await s.waitFor((f) => f.startsWith('6::/chat:3')), `6::/chat:3+["${s.sid}","/chat"]`);
  } finally { s.close(); }
});

test('nsp: connect query 1::/chat:?a=b is echoed without the query', T, async () => {
  const s = await connectWs(target);
  try {
    s.send('1::/chat:?a=b');
    assert.equal(await s.waitFor((f) => f.startsWith('1::/')), '1::/chat');
  } finally { s.close(); }
});

test('nsp: namespace-scoped echo 5:1+:/chat:... -> 6::/chat:1+[...]', T, async () => {
  const s = await connectWs(target);
  try {
    await joinNamespace(s, '/chat');
    s.send('5:1+:/chat:{"name":"echo","args":["c",{"d":1}]}');
    await s.waitFor('6::/chat:1+["c",{"d":1}]');
    s.send('5::/chat:{"name":"echo","args":["e"]}');
    await s.waitFor('5::/chat:{"name":"echo","args":["e"]}');
  } finally { s.close(); }
});

test('nsp: messages and auto-acks carry the endpoint (3::/chat:hey, 3:4:/chat:x -> 6::/chat:4)', T, async () => {
  const s = await connectWs(target);
  try {
    await joinNamespace(s, '/chat');
    s.send('3::/chat:hey');
    await s.waitFor('3::/chat:hey');
    s.send('3:4:/chat:x');
    await s.waitFor('3::/chat:x');
    assert.ok(s.frames.indexOf('6::/chat:4') >= 0 && s.frames.indexOf('6::/chat:4') < s.frames.indexOf('3::/chat:x'));
    s.send('4::/chat:[1]');
    await s.waitFor('4::/chat:[1]');
  } finally { s.close(); }
});

test('nsp: /private always refuses -> 7::/private:2', T, async () => {
  const s = await connectWs(target);
  try {
    s.send('1::/private');
    assert.equal(await s.waitFor((f) => f.includes('/private')), '7::/private:2');
  } finally { s.close(); }
});

test('nsp: /vip refuses without vip=1 (7::/vip:2) and accepts with it (1::/vip)', T, async () => {
  const a = await connectWs(target);
  const b = await connectWs(target, { query: 'vip=1' });
  try {
    a.send('1::/vip');
    assert.equal(await a.waitFor((f) => f.includes('/vip')), '7::/vip:2');
    b.send('1::/vip');
    assert.equal(await b.waitFor((f) => f.includes('/vip')), '1::/vip');
    assert.deepEqual(await b.call('whoami', [], { endpoint: '/vip' }), [b.sid, '/vip']);
  } finally { a.close(); b.close(); }
});

test('nsp: /broken authorization error -> 7::/broken:2 on sio09 (Q-8)', T, async () => {
  const s = await connectWs(target);
  try {
    s.send('1::/broken');
    const f = await s.waitFor((x) => x.includes('/broken'));
    if (kind === 'reference') {
      // quirk Q-8: observed 7::/broken:undefined
      assert.equal(f, '7::/broken:undefined');
    } else {
      assert.equal(f, '7::/broken:2');
    }
    assert.deepEqual(await s.call('echo', ['main ok']), ['main ok'], 'the session goes on');
  } finally { s.close(); }
});

test('nsp: undeclared /nope -> no reply at all (Q-12 kept)', T, async () => {
  const s = await connectWs(target);
  try {
    s.send('1::/nope');
    await sleep(400);
    assert.deepEqual(await s.call('echo', ['x']), ['x']);
    assert.equal(s.count((f) => f.includes('/nope')), 0);
  } finally { s.close(); }
});

test('nsp: events to a declared namespace never connected are not handled', T, async () => {
  const s = await connectWs(target);
  try {
    s.send('5:1+:/chat:{"name":"echo","args":["nc"]}');
    await sleep(300);
    assert.deepEqual(await s.call('echo', ['main']), ['main']);
    assert.equal(s.count((f) => f.startsWith('6::/chat:1')), 0);
  } finally { s.close(); }
});

test('nsp: duplicate 1::/chat echoes twice but emits connection once on sio09 (Q-26)', T, async () => {
  const mon = await monitor(target, '/chat');
  const s = await connectWs(target);
  try {
    s.send('1::/chat');
    await s.waitFor('1::/chat');
    s.send('1::/chat');
    await s.waitFor((f) => f === '1::/chat', 5000, s.frames.indexOf('1::/chat') + 1);
    s.send('5:1+:/chat:{"name":"whoami"}');
    await s.waitFor('6::/chat:1+' + JSON.stringify([s.sid, '/chat']));
    await sleep(300);
    const arrived = mon.count(isEvent('arrived', '/chat', (a) => a[0] === s.sid));
    const answers = s.count((f) => f.startsWith('6::/chat:1+'));
    if (kind === 'reference') {
      // quirk Q-26: observed connection emitted twice -> handlers installed twice
      assert.equal(arrived, 2);
      assert.equal(answers, 2);
    } else {
      assert.equal(arrived, 1);
      assert.equal(answers, 1);
    }
  } finally { s.close(); mon.close(); }
});

test('nsp: client 0::/chat -> gone(reason "packet") in /chat; main namespace unaffected', T, async () => {
  const mon = await monitor(target, '/chat');
  const s = await connectWs(target);
  try {
    await joinNamespace(s, '/chat');
    await mon.waitFor(isEvent('arrived', '/chat', (a) => a[0] === s.sid));
    s.send('0::/chat');
    assert.equal(await waitGone(mon, s.sid, '/chat'), 'packet');
    assert.deepEqual(await s.call('echo', ['still']), ['still']);
    assert.equal(s.count('0::/chat'), 0, 'nothing written for a client namespace disconnect');
    // emit-all in /chat no longer reaches it
    mon.emit('emit-all', ['after-leave'], { endpoint: '/chat' });
    await mon.waitFor('5::/chat:{"name":"all","args":["after-leave"]}');
    await sleep(200);
    assert.equal(s.count('5::/chat:{"name":"all","args":["after-leave"]}'), 0);
    // and it can reconnect
    s.send('1::/chat');
    await s.waitFor((f) => f === '1::/chat', 5000, s.frames.indexOf('1::/chat') + 1);
  } finally { s.close(); mon.close(); }
});

test('nsp: 0::/chat also leaves rooms joined inside /chat on sio09 (Q-27)', T, async () => {
  const a = await connectWs(target);
  const b = await connectWs(target);
  try {
    await joinNamespace(a, '/chat');
    await joinNamespace(b, '/chat');
    assert.deepEqual(await a.call('join', ['r27'], { endpoint: '/chat' }), ['r27']);
    a.send('0::/chat');
    await sleep(200);
    b.emit('to-room', ['r27', 'hello'], { endpoint: '/chat' });
    // b is not in r27: use a marker broadcast to know the server processed the to-room
    b.emit('emit-all', ['marker'], { endpoint: '/chat' });
    await b.waitFor('5::/chat:{"name":"all","args":["marker"]}');
    await sleep(300);
    const got = a.count('5::/chat:{"name":"room","args":["r27","hello"]}');
    if (kind === 'reference') {
      // quirk Q-27: observed the room /chat/r27 is kept, a still receives it
      assert.equal(got, 1);
    } else {
      assert.equal(got, 0);
    }
  } finally { a.close(); b.close(); }
});

test('nsp: full disconnect emits gone in every namespace the session joined', T, async () => {
  const monMain = await monitor(target);
  const monChat = await monitor(target, '/chat');
  const s = await connectWs(target);
  try {
    await joinNamespace(s, '/chat');
    s.send('0::');
    await s.waitClosed(5000);
    assert.equal(await waitGone(monMain, s.sid, ''), 'booted');
    assert.equal(await waitGone(monChat, s.sid, '/chat'), 'booted');
  } finally { s.close(); monMain.close(); monChat.close(); }
});

test('nsp: emit-all in /chat reaches /chat members only, with the /chat endpoint', T, async () => {
  const inChat = await connectWs(target);
  const mainOnly = await connectWs(target);
  try {
    await joinNamespace(inChat, '/chat');
    mainOnly.emit('emit-all', ['main-all']);
    await mainOnly.waitFor('5:::{"name":"all","args":["main-all"]}');
    await inChat.waitFor('5:::{"name":"all","args":["main-all"]}');
    inChat.emit('emit-all', ['chat-all'], { endpoint: '/chat' });
    await inChat.waitFor('5::/chat:{"name":"all","args":["chat-all"]}');
    await sleep(200);
    assert.equal(mainOnly.count((f) => f.includes('chat-all')), 0);
  } finally { inChat.close(); mainOnly.close(); }
});
