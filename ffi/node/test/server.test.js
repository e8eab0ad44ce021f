'use strict';
// The module over real sockets: an http.Server with the manager attached, raw xhr-polling
// (and websocket, when ws is installed) clients speaking the 0.9 wire format.

const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const http = require('node:http');
const { request, PollClient, attached, once, loadWs, sio } = require('./helpers');

const T = { timeout: 20000 };

test('attach: requests outside the resource stay the app\'s; io.server is the http.Server', T, async () => {
  const s = await attached();
  try {
    assert.equal(s.io.server, s.server);
    const r1 = await request(s.port, { path: '/hello?x=1' });
    assert.equal(r1.text, 'app: GET /hello?x=1');
    const r2 = await request(s.port, { path: '/socket.iox/1/' });
    assert.equal(r2.text, 'app: GET /socket.iox/1/', 'prefix matched only at a boundary');
    const r3 = await request(s.port, { method: 'POST', path: '/form', body: 'a=1' });
    assert.equal(r3.text, 'app: POST /form');
    const hs = await request(s.port, { path: '/socket.io/1/' });
    assert.equal(hs.status, 200);
    assert.match(hs.text, /^[\w-]+:60:60:websocket,htmlfile,xhr-polling,jsonp-polling$/);
    // the app still serves after hand-overs
    assert.equal((await request(s.port, { path: '/after' })).text, 'app: GET /after');
  } finally { await s.close(); }
});

test('a kept-alive connection handed to the library comes back for the app\'s requests and static files', T, async () => {
  const s = await attached({}, (io) => {
    io.static.add('/extra.js', (p, cb) => cb(null, Buffer.from('/* extra */')));
  });
  // one TCP connection for everything: socket.io requests, the app's, static files
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports = new Set();
  const get = (p, headers = {}) => new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: s.port, path: p, agent, headers }, (res) => {
      ports.add(res.socket.localPort);
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
  });
  try {
    const hs = await get('/socket.io/1/');
    assert.match(hs.text, /^[\w-]+:60:60:/);
    const app = await get('/hello?x=1');
    assert.equal(app.text, 'app: GET /hello?x=1');
    const hs2 = await get('/socket.io/1/');
    assert.match(hs2.text, /^[\w-]+:60:60:/);
    const extra = await get('/socket.io/extra.js');
    assert.equal(extra.text, '/* extra */');
    assert.equal(extra.headers['content-type'], 'application/javascript');
    const hs3 = await get('/socket.io/1/');
    assert.match(hs3.text, /^[\w-]+:60:60:/);
    const client = await get('/socket.io/socket.io+xhr-polling.js');
    assert.equal(client.status, 200);
    assert.match(client.text, /XHRPolling\.prototype\.name/);
    assert.equal(ports.size, 1, 'all on one connection');
    assert.equal(s.io._handbacks, 3, 'handed back for /hello, extra.js and the custom build');
  } finally {
    agent.destroy();
    await s.close();
  }
});

test('declared and changed after the start: namespaces, authorization, options, io maps', T, async () => {
  const s = await attached({ 'polling duration': 1 });
  const a = new PollClient(s.port);
  try {
    const first = once(s.io.sockets, 'connection');
    await a.connect(); // the library has started
    await first;
    assert.ok(s.io._started);
    assert.deepEqual(Object.keys(s.io.connected), [a.sid]);
    assert.ok(s.io.handshaken[a.sid] && s.io.handshaken[a.sid].headers);
    assert.deepEqual(s.io.rooms[''], [a.sid]);
    // a namespace with authorization, declared now
    const asked = [];
    const late = s.io.of('/late').authorization((data, fn) => { asked.push(data.query); data.late = 'yes'; fn(null, true); });
    const joined = once(late, 'connection');
    await a.post(['1::/late:?k=v']);
    const [sock] = await joined;
    assert.equal(sock.id, a.sid);
    assert.equal(sock.handshake.late, 'yes');
    assert.equal(asked.length, 1);
    await a.waitFor('1::/late');
    assert.deepEqual(s.io.rooms['/late'], [a.sid]);
    // options after the start apply to the next handshake
    s.io.set('transports', ['xhr-polling']);
    assert.match((await request(s.port, { path: '/socket.io/1/' })).text, /:xhr-polling$/);
    s.io.set('heartbeat timeout', null);
    assert.match((await request(s.port, { path: '/socket.io/1/' })).text, /^[\w-]+::60:xhr-polling$/);
    // global authorization switched on, then off again
    s.io.set('authorization', (data, fn) => fn(null, false));
    assert.equal((await request(s.port, { path: '/socket.io/1/' })).status, 403);
    s.io.set('authorization', false);
    assert.equal((await request(s.port, { path: '/socket.io/1/' })).status, 200);
  } finally {
    await a.close();
    await s.close();
  }
});

test('connection: socket id, handshake, transport; events with and without ack', T, async () => {
  let socket = null;
  const s = await attached({}, (io) => {
    io.sockets.on('connection', (sock) => {
      socket = sock;
      sock.on('echo', (...args) => {
        const last = args[args.length - 1];
        if (typeof last === 'function') { args.pop(); last(...args); } else sock.emit('echo', ...args);
      });
      sock.on('message', (data, ack) => { if (ack) ack(data); else sock.send(data); });
    });
  });
  const c = new PollClient(s.port, { query: 'user=ann&n=2' });
  try {
    const connected = once(s.io, 'connection');
    await c.connect();
    const [sock] = await connected; // io.on('connection') mirrors io.sockets
    assert.ok(sock instanceof sio.Socket);
    assert.equal(sock.id, c.sid);
    assert.equal(sock, socket);
    assert.equal(sock.transport, 'xhr-polling');
    assert.deepEqual({ user: sock.handshake.query.user, n: sock.handshake.query.n }, { user: 'ann', n: '2' });
    assert.equal(typeof sock.handshake.time, 'string');
    assert.equal(sock.handshake.address.address, '127.0.0.1');
    assert.equal(s.io.sockets.sockets[c.sid], sock);

    await c.post(['5:1+::{"name":"echo","args":[1,"a",{"b":null}]}']);
    await c.waitFor('6:::1+[1,"a",{"b":null}]');
    await c.post(['5:::{"name":"echo","args":["plain","é😀"]}']);
    await c.waitFor('5:::{"name":"echo","args":["plain","é😀"]}');
    await c.post(['3:::hello:with:colons', '3:2+::acked']);
    await c.waitFor('3:::hello:with:colons');
    await c.waitFor('6:::2+["acked"]');
  } finally { await c.close(); await s.close(); }
});

test('server emit with ack callback, json.send, volatile, disconnect reasons', T, async () => {
  const got = [];
  let sock;
  const s = await attached({}, (io) => {
    io.sockets.on('connection', (x) => {
      sock = x;
      x.on('disconnect', (reason) => got.push(['disconnect', reason]));
    });
  });
  const c = new PollClient(s.port);
  try {
    const connected = once(s.io.sockets, 'connection');
    await c.connect();
    await connected;
    const answered = new Promise((resolve) => sock.emit('ask', 'q', (...a) => resolve(a)));
    const ask = await c.waitFor((p) => p.startsWith('5:') && p.includes('"ask"'));
    const m = /^5:(\d+)\+::\{"name":"ask","args":\["q"\]\}$/.exec(ask);
    assert.ok(m, `ask packet ${ask}`);
    await c.post([`6:::${m[1]}+["answer",2]`]);
    assert.deepEqual(await answered, ['answer', 2]);

    sock.json.send({ a: [1, 2] });
    await c.waitFor('4:::{"a":[1,2]}');

    // send(data, fn) / json.send(data, fn): plain-id packets, fn runs on the client's ack
    const sent = new Promise((resolve) => sock.send('hey', (...a) => resolve(a)));
    const msg = await c.waitFor((p) => /^3:\d+::hey$/.test(p));
    await c.post([`6:::${/^3:(\d+)/.exec(msg)[1]}`]);
    assert.deepEqual(await sent, []);
    const jsent = new Promise((resolve) => sock.json.send({ b: 1 }, (...a) => resolve(a)));
    const jmsg = await c.waitFor((p) => /^4:\d+::\{"b":1\}$/.test(p));
    await c.post([`6:::${/^4:(\d+)/.exec(jmsg)[1]}`]);
    assert.deepEqual(await jsent, []);
    sock.volatile.emit('v', 1); // may or may not arrive; must not throw
    sock.send('after');
    await c.waitFor('3:::after');

    sock.disconnect();
    await c.waitFor('0::');
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(got, [['disconnect', 'booted']]);
    assert.equal(sock.disconnected, true);
    assert.equal(s.io.sockets.sockets[c.sid], undefined);
    // sending to a gone socket is silently dropped
    sock.emit('late', 1);
    sock.send('late');
  } finally { await c.close(); await s.close(); }
});

test('set/get/has/del reach the library store with async callbacks', T, async () => {
  let sock;
  const s = await attached({}, (io) => io.sockets.on('connection', (x) => { sock = x; }));
  const c = new PollClient(s.port);
  try {
    const connected = once(s.io.sockets, 'connection');
    await c.connect();
    await connected;
    const call = (fn, ...args) => new Promise((resolve) => sock[fn](...args, (...r) => resolve(r)));
    assert.deepEqual(await call('set', 'k', { x: [1, 'y'] }), [null]);
    assert.deepEqual(await call('get', 'k'), [null, { x: [1, 'y'] }]);
    assert.deepEqual(await call('has', 'k'), [null, true]);
    assert.deepEqual(await call('has', 'nope'), [null, false]);
    assert.deepEqual(await call('get', 'nope'), [null, null]);
    assert.deepEqual(await call('del', 'k'), [null]);
    assert.deepEqual(await call('has', 'k'), [null, false]);
    // a set without a callback is fine too
    sock.set('a', 1);
    assert.deepEqual(await call('get', 'a'), [null, 1]);
  } finally { await c.close(); await s.close(); }
});

test('global authorization: allow with added data, refuse (403), error (500)', T, async () => {
  let sock;
  const s = await attached({}, (io) => {
    io.set('authorization', function (data, cb) {
      assert.equal(this, io);
      if (data.query.deny) return cb(null, false);
      if (data.query.err) return cb(new Error('boom'), false);
      data.user = { name: data.query.name };
      return setTimeout(() => cb(null, true), 10); // asynchronous answers work
    });
    io.sockets.on('connection', (x) => { sock = x; });
  });
  const c = new PollClient(s.port, { query: 'name=zoe' });
  try {
    const deny = await request(s.port, { path: '/socket.io/1/?deny=1' });
    assert.equal(deny.status, 403);
    assert.equal(deny.text, 'handshake unauthorized');
    const err = await request(s.port, { path: '/socket.io/1/?err=1' });
    assert.equal(err.status, 500);
    assert.equal(err.text, 'handshake error');
    const connected = once(s.io.sockets, 'connection');
    await c.connect();
    await connected;
    assert.deepEqual(sock.handshake.user, { name: 'zoe' });
  } finally { await c.close(); await s.close(); }
});

test('namespaces: of(), authorization(fn), rooms, in/to, except, clients(), broadcast', T, async () => {
  const chatSockets = [];
  const s = await attached({}, (io) => {
    io.of('/chat').on('connection', (x) => {
      chatSockets.push(x);
      x.on('join', (room, ack) => { x.join(room); ack(room); });
      x.on('shout', (d) => x.broadcast.emit('shout', d));
      x.on('to-room', (room, d) => x.broadcast.to(room).emit('in-room', d));
    });
    io.of('/vip').authorization((data, cb) => cb(null, data.query.vip === '1'))
      .on('connection', () => {});
  });
  const a = new PollClient(s.port, { query: 'vip=1' });
  const b = new PollClient(s.port);
  try {
    await a.connect();
    await b.connect();
    await a.post(['1::/chat']);
    await b.post(['1::/chat']);
    await a.waitFor('1::/chat');
    await b.waitFor('1::/chat');
    await b.post(['1::/vip']);
    await b.waitFor('7::/vip:2');
    await a.post(['1::/vip']);
    await a.waitFor('1::/vip');

    const chat = s.io.of('/chat');
    assert.equal(s.io.of('/chat'), chat, 'of() returns the same namespace');
    await a.post(['5:1+:/chat:{"name":"join","args":["r1"]}']);
    await a.waitFor('6::/chat:1+["r1"]');
    const inRoom = chat.clients('r1');
    assert.deepEqual(inRoom.map((x) => x.id), [a.sid]);
    assert.ok(inRoom[0] instanceof sio.Socket);
    assert.deepEqual(chat.clients().map((x) => x.id).sort(), [a.sid, b.sid].sort());

    chat.in('r1').emit('room-only', 1);
    chat.except(a.sid).emit('not-a', 2);
    chat.json.send([true]);
    // a marker to both, after the others, so absence can be checked
    chat.emit('marker');
    await a.waitFor('5::/chat:{"name":"marker"}');
    await b.waitFor('5::/chat:{"name":"marker"}');
    assert.ok(a.packets.includes('5::/chat:{"name":"room-only","args":[1]}'));
    assert.ok(!b.packets.includes('5::/chat:{"name":"room-only","args":[1]}'));
    assert.ok(b.packets.includes('5::/chat:{"name":"not-a","args":[2]}'));
    assert.ok(!a.packets.includes('5::/chat:{"name":"not-a","args":[2]}'));
    assert.ok(a.packets.includes('4::/chat:[true]') && b.packets.includes('4::/chat:[true]'));

    await b.post(['5::/chat:{"name":"shout","args":["hey"]}']);
    await a.waitFor('5::/chat:{"name":"shout","args":["hey"]}');
    await b.post(['5::/chat:{"name":"to-room","args":["r1","x"]}']);
    await a.waitFor('5::/chat:{"name":"in-room","args":["x"]}');
    s.io.sockets.emit('main-marker');
    await b.waitFor('5:::{"name":"main-marker"}');
    assert.ok(!b.packets.some((p) => p.includes('"shout"')), 'broadcast excludes the sender');

    // leave: no more room traffic
    const sa = chat.socket(a.sid);
    assert.equal(sa, chatSockets.find((x) => x.id === a.sid));
    sa.leave('r1');
    for (let i = 0; i < 40 && chat.clients('r1').length; i++) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(chat.clients('r1'), []);
  } finally { await a.close(); await b.close(); await s.close(); }
});

test('POST bodies are handed over whole (Content-Length and chunked)', T, async () => {
  const s = await attached({}, (io) => {
    io.sockets.on('connection', (x) => x.on('message', (d) => x.send(d)));
  });
  const c = new PollClient(s.port);
  try {
    await c.connect();
    const big = 'x'.repeat(200000);
    const r = await c.post([`3:::${big}`]);
    assert.equal(r.status, 200);
    await c.waitFor((p) => p === `3:::${big}`, 8000);
    const r2 = await c.post(['3:::chunked-body'], { 'Transfer-Encoding': 'chunked' });
    assert.equal(r2.status, 200);
    await c.waitFor('3:::chunked-body');
  } finally { await c.close(); await s.close(); }
});

test('websocket upgrade is handed over; non-resource upgrades are destroyed', T, async (t) => {
  const WebSocket = loadWs();
  if (!WebSocket) { t.skip('ws is not installed (npm ci in conformance/)'); return; }
  const s = await attached({}, (io) => {
    io.sockets.on('connection', (x) => x.on('echo', (...a) => x.emit('echo', ...a)));
  });
  try {
    const hs = await request(s.port, { path: '/socket.io/1/' });
    const sid = hs.text.split(':')[0];
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/socket.io/1/websocket/${sid}`);
    const frames = [];
    const got = (want) => new Promise((resolve, reject) => {
      const t0 = setTimeout(() => reject(new Error(`no ${want}; got ${JSON.stringify(frames)}`)), 5000);
      const check = () => { if (frames.includes(want)) { clearTimeout(t0); resolve(); } else ws.once('message', check); };
      check();
    });
    ws.on('message', (d) => frames.push(d.toString()));
    await got('1::');
    ws.send('5:::{"name":"echo","args":["over ws"]}');
    await got('5:::{"name":"echo","args":["over ws"]}');
    ws.close();

    const other = new WebSocket(`ws://127.0.0.1:${s.port}/elsewhere`);
    const [err] = await Promise.race([once(other, 'error'), once(other, 'close')]);
    assert.ok(err === undefined || err instanceof Error || typeof err === 'number');
  } finally { await s.close(); }
});

test('inline Flash policy request on the HTTP port is answered by the library', T, async () => {
  const s = await attached({ transports: ['websocket', 'flashsocket'], 'flash policy port': -1 });
  try {
    const text = await new Promise((resolve, reject) => {
      const c = net.connect(s.port, '127.0.0.1');
      const chunks = [];
      c.on('data', (d) => chunks.push(d));
      c.on('end', () => resolve(Buffer.concat(chunks).toString()));
      c.on('error', reject);
      c.setTimeout(5000, () => { c.destroy(); reject(new Error('policy timeout')); });
      c.write('<policy-file-request/>\0');
    });
    assert.match(text, /<cross-domain-policy><allow-access-from domain="\*" to-ports="\*"\/><\/cross-domain-policy>$/);
  } finally { await s.close(); }
});

test('listen(port, cb): a real http.Server, bound when listen returns, as in 0.9', T, async () => {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  let io;
  let listened = false;
  io = sio.listen(port, { 'log level': 0, workers: 1 }, () => { listened = true; });
  assert.ok(io.server instanceof http.Server);
  // bound already: a second listener on the port fails before any turn of the loop
  const clash = net.createServer();
  const err = await new Promise((r) => { clash.once('error', r); clash.listen(port, '0.0.0.0', () => r(null)); });
  assert.equal(err && err.code, 'EADDRINUSE');
  try {
    assert.equal(listened, true);
    assert.equal(io.server.address().port, port);
    const r = await request(port, { path: '/' });
    assert.equal(r.text, 'Welcome to socket.io.');
    const hs = await request(port, { path: '/socket.io/1/' });
    assert.equal(hs.status, 200);
  } finally {
    await new Promise((r) => io.server.close(r));
  }
});
