'use strict';
// The module's surface without traffic: settings, configure, stores, parser, the addon's
// argument checks.

const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const sio = require('..');
const { addon } = require('../lib/native');

function manager(options) {
  const server = http.createServer();
  const io = sio.listen(server, { 'log level': 0, workers: 1, ...options });
  return { io, server };
}

test('module exports', () => {
  assert.equal(sio.protocol, 1);
  assert.equal(typeof sio.version, 'string');
  assert.equal(typeof sio.sio09Version, 'string');
  assert.deepEqual(sio.Manager.defaultTransports, ['websocket', 'htmlfile', 'xhr-polling', 'jsonp-polling']);
  for (const k of ['listen', 'Manager', 'Socket', 'SocketNamespace', 'MemoryStore', 'RedisStore', 'parser']) {
    assert.ok(sio[k], k);
  }
});

test('settings: set/get/enable/disable/enabled/disabled, set:<key> events, options override defaults', () => {
  const { io } = manager({ 'close timeout': 5, transports: ['websocket'] });
  try {
    assert.equal(io.get('close timeout'), 5);
    assert.deepEqual(io.get('transports'), ['websocket']);
    assert.equal(io.get('heartbeat interval'), 25);
    assert.equal(io.get('resource'), '/socket.io');
    const seen = [];
    io.on('set:polling duration', (v, k) => seen.push([k, v]));
    assert.equal(io.set('polling duration', 7), io);
    assert.equal(io.set('polling duration'), 7, 'set(key) with one argument reads');
    assert.deepEqual(seen, [['polling duration', 7]]);
    io.disable('heartbeats');
    assert.equal(io.disabled('heartbeats'), true);
    io.enable('heartbeats');
    assert.equal(io.enabled('heartbeats'), true);
    io.set('my own key', { any: 'thing' }); // unknown keys are stored and ignored
    assert.deepEqual(io.get('my own key'), { any: 'thing' });
  } finally { io.close(); }
});

test('configure: with and without env; this is the manager; chainable', () => {
  const { io } = manager();
  const before = process.env.NODE_ENV;
  try {
    delete process.env.NODE_ENV;
    const calls = [];
    assert.equal(io.configure(function () { calls.push(['all', this === io]); }), io);
    io.configure('development', function () { calls.push(['dev', this === io]); });
    io.configure('production', function () { calls.push(['prod', this === io]); });
    process.env.NODE_ENV = 'production';
    io.configure('production', function () { calls.push(['prod2', this === io]); });
    assert.deepEqual(calls, [['all', true], ['dev', true], ['prod2', true]]);
  } finally {
    if (before === undefined) delete process.env.NODE_ENV; else process.env.NODE_ENV = before;
    io.close();
  }
});

test('log: honours log, log level and log colors', () => {
  const { io } = manager({ 'log colors': false });
  try {
    const lines = [];
    const write = process.stdout.write;
    process.stdout.write = (s) => { lines.push(String(s)); return true; };
    try {
      io.set('log level', 1);
      io.log.info('hidden');
      io.log.warn('shown', 2);
      io.set('log colors', true);
      io.log.error('red');
      io.disable('log');
      io.log.error('off');
    } finally { process.stdout.write = write; }
    assert.deepEqual(lines, ['warn: shown 2\n', '   \x1b[31merror -\x1b[39m red\n']);
  } finally { io.close(); }
});

test('invalid option values are reported, not fatal', () => {
  const { io } = manager();
  const warned = [];
  const logger = { warn: (m) => warned.push(m), info() {}, debug() {}, error() {} };
  try {
    io.set('logger', logger);
    io.set('heartbeat interval', 'soon');
    assert.equal(warned.length, 1);
    assert.match(warned[0], /heartbeat interval/);
  } finally { io.close(); }
});

test('RedisStore: connection settings become the library store URL', () => {
  assert.equal(new sio.RedisStore().toOption(), 'redis://127.0.0.1:6379');
  assert.equal(new sio.RedisStore({ redisPub: { host: 'cache', port: 6380, password: 'p@ss' } }).toOption(),
    'redis://:p%40ss@cache:6380');
  const client = { host: 'r.local', port: 7000, options: { auth_pass: 'x' }, selected_db: 2 };
  assert.equal(new sio.RedisStore({ redisClient: client }).toOption(), 'redis://:x@r.local:7000/2');
  assert.throws(() => new sio.RedisStore({ port: 'nope' }), /invalid port/);
  assert.equal(new sio.MemoryStore().toOption(), 'memory');
});

test('socket.set: with a RedisStore the library gets String(value), as node_redis 0.7.3 stored it', () => {
  const Socket = require('../lib/socket');
  const sent = (store, value) => {
    const s = new Socket({ settings: { store } }, null, 'sid', 0);
    let json = null;
    s._store = (op, key, fn, v) => { json = v; };
    s.set('k', value);
    return json;
  };
  const redisStore = new sio.RedisStore();
  // what redis@0.7.3 stored for these (HSET from Node, read back with redis-cli)
  assert.equal(sent(redisStore, undefined), '"undefined"');
  assert.equal(sent(redisStore, NaN), '"NaN"');
  assert.equal(sent(redisStore, -Infinity), '"-Infinity"');
  assert.equal(sent(redisStore, new Date(0)), JSON.stringify(String(new Date(0))));
  assert.equal(sent(redisStore, { toString() { return 'mine'; } }), '"mine"');
  assert.equal(sent(redisStore, Buffer.from('h\u00e9llo')), '"h\u00e9llo"');
  assert.equal(sent(redisStore, [1, [2, null], { a: 1 }]), '"1,2,,[object Object]"');
  assert.equal(sent(redisStore, 'alice'), '"alice"');
  // no string form: handed over as JSON (the library stores '[object Object]')
  assert.equal(sent(redisStore, Object.create(null)), '{}');
  // a MemoryStore keeps values as given
  assert.equal(sent(new sio.MemoryStore(), { a: [1] }), '{"a":[1]}');
  assert.equal(sent(new sio.MemoryStore(), 42), '42');
});

test('parser: encode/decode packets and payloads like 0.9', () => {
  const p = sio.parser;
  assert.equal(p.encodePacket({ type: 'event', name: 'a', args: [1], endpoint: '/c', id: 3, ack: 'data' }), '5:3+:/c:{"name":"a","args":[1]}');
  assert.equal(p.encodePacket({ type: 'message', data: '' }), '3::');
  assert.equal(p.encodePacket({ type: 'ack', ackId: 12, args: ['x'] }), '6:::12+["x"]');
  assert.equal(p.encodePacket({ type: 'error', reason: 'client not handshaken', advice: 'reconnect' }), '7:::1+0');
  assert.deepEqual(p.decodePacket('5:9+::{"name":"echo","args":[1]}'),
    { type: 'event', endpoint: '', id: '9', ack: 'data', name: 'echo', args: [1] });
  assert.deepEqual(p.decodePacket('3:::multi:colon'), { type: 'message', endpoint: '', data: 'multi:colon' });
  assert.deepEqual(p.decodePacket('4:::{bad'), { type: 'json', endpoint: '', data: false });
  assert.deepEqual(p.decodePacket('nonsense'), {});
  const payload = p.encodePayload(['3:::a', '5:::{"name":"é😀"}']);
  assert.equal(payload, '\ufffd5\ufffd3:::a\ufffd18\ufffd5:::{"name":"é😀"}');
  assert.deepEqual(p.decodePayload(payload).map((x) => x.type), ['message', 'event']);
});

test('addon: bad arguments throw TypeErrors; a closed server throws, never crashes', () => {
  const { io } = manager();
  const h = io._h();
  assert.throws(() => addon.emit(h, 'x', 'ev', '[]', 0), TypeError);
  assert.throws(() => addon.emit(h, -1, 'ev', '[]', 0), TypeError);
  assert.throws(() => addon.emit(h, 1.5, 'ev', '[]', 0), TypeError);
  assert.throws(() => addon.emit({}, 1, 'ev', '[]', 0), TypeError);
  assert.throws(() => addon.broadcast(h, 0, null, ['x'], 5, 'e', '[]', 0), TypeError);
  assert.throws(() => addon.adopt(h, -3, null), TypeError);
  assert.throws(() => addon.set(h, 'no such option', '1'), /sio_set/);
  // unknown socket ids: the library answers "not found" (or drops on the shard)
  const r = addon.emit(h, 2 ** 52, 'ev', '[]', 0);
  assert.ok(r === 0 || r === 2, `emit to an unknown socket -> ${r}`);
  assert.equal(addon.lookup(h, 0, 'no-such-sid'), null);
  // a socket id beyond 2^53 travels as BigInt
  const r2 = addon.emit(h, 2n ** 60n, 'ev', '[]', 0);
  assert.ok(r2 === 0 || r2 === 2);
  io.close();
  assert.throws(() => addon.emit(h, 1, 'ev', '[]', 0), /closed/);
  io.close(); // idempotent
});

test('emitting unserialisable data throws in JavaScript, as 0.9 did', () => {
  const { io } = manager();
  try {
    const cyclic = {};
    cyclic.self = cyclic;
    assert.throws(() => io.sockets.emit('x', cyclic), TypeError);
    assert.throws(() => io.sockets.emit('x', 1n), TypeError);
    io.sockets.emit('x', undefined, () => {}); // a callback on a broadcast is dropped
  } finally { io.close(); }
});
