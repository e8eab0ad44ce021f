#!/usr/bin/env node
'use strict';
// The test app of /work/shared/TEST-APP.md on the reference server, socket.io 0.9.19.
//
//   PORT=3000 node reference-app.js        (or: node reference-app.js --port 3000)
//
// Options come from SIO_* environment variables: SIO_X_Y -> option "x y".
// Values: `0`/`1` for boolean options, numbers for numeric options, comma lists for
// `transports`, `blacklist` and `origins`, strings otherwise.

// socket.io 0.9.19's policyfile dependency reads process.EventEmitter (removed from modern Node).
process.EventEmitter = require('events').EventEmitter;

// socket.io 0.9.19's hixie-76 handshake feeds binary strings (the key numbers, the 8-byte
// body) to an MD5 hash without naming an encoding. Node <= 5 read such strings as latin1
// bytes, as intended; Node >= 6 reads them as UTF-8, so every byte >= 0x80 is hashed as two
// bytes and the answer is not the draft's. Restore the old default for strings.
{
  const Hash = require('crypto').Hash;
  const update = Hash.prototype.update;
  Hash.prototype.update = function (data, encoding) {
    if (typeof data === 'string' && encoding === undefined) return update.call(this, data, 'latin1');
    return update.call(this, data, encoding);
  };
}

const http = require('http');
const sio = require('socket.io');

// ---------------------------------------------------------------- options
const BOOLEAN_OPTIONS = new Set([
  'log', 'log colors', 'heartbeats', 'flash policy server', 'destroy upgrade',
  'browser client', 'browser client cache', 'browser client minification',
  'browser client etag', 'browser client gzip', 'match origin protocol',
]);
const LIST_OPTIONS = new Set(['transports', 'blacklist', 'origins']);

function parseValue(name, raw) {
  if (LIST_OPTIONS.has(name)) {
    return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  }
  if (BOOLEAN_OPTIONS.has(name)) {
    if (raw === '0' || raw.toLowerCase() === 'false') return false;
    if (raw === '1' || raw.toLowerCase() === 'true') return true;
    throw new Error(`option "${name}": expected 0 or 1, got ${JSON.stringify(raw)}`);
  }
  if (/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

function optionsFromEnv(env) {
  const opts = {};
  for (const key of Object.keys(env)) {
    if (!key.startsWith('SIO_')) continue;
    const name = key.slice(4).toLowerCase().replace(/_/g, ' ');
    opts[name] = parseValue(name, env[key]);
  }
  // Keep the output quiet unless asked otherwise.
  if (!('log level' in opts)) opts['log level'] = 1;
  // No dedicated Flash policy listener on port 10843 unless asked for: the inline
  // policy answer on the main port is what the test app promises.
  if (!('flash policy port' in opts)) opts['flash policy port'] = -1;
  return opts;
}

function portFromArgs(argv, env) {
  const i = argv.indexOf('--port');
  if (i >= 0 && argv[i + 1]) return Number(argv[i + 1]);
  const eq = argv.find((a) => a.startsWith('--port='));
  if (eq) return Number(eq.slice(7));
  if (env.PORT) return Number(env.PORT);
  return 3000;
}

const port = portFromArgs(process.argv.slice(2), process.env);
const options = optionsFromEnv(process.env);
// SIO_STORE=redis://host:port: join a cluster with 0.9.19's RedisStore (redis@0.7.3, the
// client it ships with), as the interop tests do; the option itself is not a 0.9 setting.
const storeUrl = typeof options.store === 'string' ? options.store : null;
delete options.store;

// SIO_TLS_CERT / SIO_TLS_KEY (sio09's `tls cert` / `tls key`): serve https and wss, as
// 0.9 did with `io.listen(port, { key, cert })` (an https.Server). Not socket.io options.
const tlsCert = options['tls cert'];
const tlsKey = options['tls key'];
delete options['tls cert'];
delete options['tls key'];

// ---------------------------------------------------------------- HTTP outside the resource
const appHandler = (req, res) => {
  const body = `probe app: ${req.method} ${req.url}`;
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
};
const server = tlsCert && tlsKey
  ? require('https').createServer({
    cert: require('fs').readFileSync(tlsCert),
    key: require('fs').readFileSync(tlsKey),
  }, appHandler)
  : http.createServer(appHandler);

// Node >= 12 gives every socket of an http.Server an own setEncoding() that throws, and
// leaves it on sockets handed to 'upgrade' listeners. socket.io 0.9.19's hixie-75/76
// transport calls setEncoding('utf8') on the upgraded socket (it was allowed then), so on
// plain Node 20 it writes the 101 head and ends the connection. Remove the own property
// before socket.io's 'upgrade' listener runs; net.Socket's own setEncoding then applies.
server.prependListener('upgrade', (req, socket) => {
  if (Object.prototype.hasOwnProperty.call(socket, 'setEncoding')) delete socket.setEncoding;
});

const io = sio.listen(server, options);

if (storeUrl && /^redis:/.test(storeUrl)) {
  const u = new URL(storeUrl);
  const redis = require('redis');
  const client = () => {
    const c = redis.createClient(Number(u.port) || 6379, u.hostname);
    c.on('error', (e) => process.stderr.write(`reference-app: redis: ${e && e.message}\n`));
    return c;
  };
  io.set('store', new sio.RedisStore({
    redis, redisPub: client(), redisSub: client(), redisClient: client(),
  }));
}

// Global authorization: deny=1 refuses, autherr=1 fails with an error.
io.set('authorization', (data, cb) => {
  const q = (data && data.query) || {};
  if (q.autherr === '1') return cb(new Error('authorization failure'), false);
  if (q.deny === '1') return cb(null, false);
  return cb(null, true);
});

// socket.io 0.9.19 attaches no 'error' listener to upgraded (websocket) sockets, so a peer
// that resets its connection (a browser closing a page, a benchmark client) crashes the
// whole process with an unhandled ECONNRESET. Keep the reference alive for the suite: the
// socket still closes and socket.io still sees the close.
server.on('connection', (socket) => { socket.on('error', () => {}); });
// Over TLS the upgraded socket is the TLSSocket: the same guard for it.
server.on('secureConnection', (socket) => { socket.on('error', () => {}); });

// Modern Node's HTTP parser rejects the inline Flash policy request before socket.io's sniffer
// sees it; answer it here instead (only when flashsocket is enabled, like the reference).
server.on('clientError', (err, socket) => {
  const raw = err && err.rawPacket ? Buffer.from(err.rawPacket) : null;
  const transports = io.get('transports') || [];
  if (raw && raw.toString('latin1').startsWith('<policy-file-request/>\0') &&
      transports.indexOf('flashsocket') !== -1 && io.flashPolicyServer &&
      socket.writable) {
    try { socket.end(io.flashPolicyServer.buffer); } catch (e) { socket.destroy(); }
    return;
  }
  if (socket.writable) {
    try { socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'); } catch (e) { /* */ }
  } else {
    socket.destroy();
  }
});

// ---------------------------------------------------------------- namespaces and handlers
function hasAck(args) {
  return args.length > 0 && typeof args[args.length - 1] === 'function';
}

function install(nsp, name) {
  nsp.on('connection', (socket) => {
    const sid = socket.id;
    nsp.in('monitor').emit('arrived', sid, name);

    socket.on('echo', (...args) => {
      if (hasAck(args)) {
        const ack = args.pop();
        ack(...args);
      } else {
        socket.emit('echo', ...args);
      }
    });

    socket.on('message', (data, ack) => {
      if (typeof ack === 'function') return ack(data);
      if (typeof data === 'string') socket.send(data);
      else socket.json.send(data);
    });

    socket.on('whoami', (ack) => { if (typeof ack === 'function') ack(sid, name); });

    socket.on('handshake-query', (ack) => {
      if (typeof ack === 'function') ack(socket.handshake.query);
    });

    socket.on('join', (room, ack) => {
      socket.join(room);
      if (typeof ack === 'function') ack(room);
    });

    socket.on('leave', (room, ack) => {
      socket.leave(room);
      if (typeof ack === 'function') ack(room);
    });

    socket.on('to-room', (room, data) => { nsp.in(room).emit('room', room, data); });

    socket.on('broadcast-room', (room, data) => {
      socket.broadcast.to(room).emit('room', room, data);
    });

    socket.on('room', (...args) => {
      const ack = hasAck(args) ? args.pop() : null;
      const roomName = args[0];
      nsp.in(roomName).emit('room', ...args);
      if (ack) ack();
    });

    socket.on('broadcast', (data) => { socket.broadcast.emit('broadcast', data); });

    socket.on('emit-all', (data) => { nsp.emit('all', data); });

    socket.on('set', (key, value, ack) => {
      socket.set(key, value, () => { if (typeof ack === 'function') ack(true); });
    });

    socket.on('get', (key, ack) => {
      socket.get(key, (err, value) => {
        if (typeof ack === 'function') ack(value === undefined ? null : value);
      });
    });

    socket.on('disconnect-me', () => { socket.disconnect(); });

    socket.on('send-json', (data) => { socket.json.send(data); });

    socket.on('emit-many', (n, tag) => {
      const t = tag === undefined ? null : tag;
      for (let i = 0; i < n; i++) socket.emit('seq', i, t);
    });

    socket.on('emit-later', (ms, data) => {
      setTimeout(() => { socket.emit('later', data); }, ms);
    });

    socket.on('server-ack', (data) => {
      // A callback that declares a parameter: the reference encodes `5:N+:...`.
      socket.emit('ask', data, function (first) { // eslint-disable-line no-unused-vars
        socket.emit('got-ack', Array.prototype.slice.call(arguments));
      });
    });

    socket.on('server-ack-plain', (data) => {
      // A callback that declares no parameter: the reference encodes `5:N:...`.
      socket.emit('ask', data, function () {
        socket.emit('got-ack', Array.prototype.slice.call(arguments));
      });
    });

    // Cluster events: act on another session by id, wherever it lives.
    socket.on('emit-to', (id, data) => { nsp.socket(id).emit('direct', data); });

    socket.on('kick', (id) => { nsp.socket(id).disconnect(); });

    socket.on('ask-of', (id, data, ack) => {
      // emit `ask(data)` with an ack to another session by id; its answer acks ours
      nsp.socket(id).emit('ask', data, function () {
        if (typeof ack === 'function') ack.apply(null, arguments);
      });
    });

    socket.on('set-of', (id, key, value, ack) => {
      nsp.socket(id).set(key, value, (err) => { if (typeof ack === 'function') ack(!err); });
    });

    socket.on('has-of', (id, key, ack) => {
      nsp.socket(id).has(key, (err, has) => { if (typeof ack === 'function') ack(!err && !!has); });
    });

    socket.on('del-of', (id, key, ack) => {
      nsp.socket(id).del(key, (err) => { if (typeof ack === 'function') ack(!err); });
    });

    socket.on('get-of', (id, key, ack) => {
      nsp.socket(id).get(key, (err, value) => {
        if (typeof ack === 'function') ack(value === undefined ? null : value);
      });
    });

    // Membership cluster-wide: ids of the room (the namespace for none or ''), sorted.
    socket.on('clients', (room, ack) => {
      const ids = nsp.clients(room === null || room === undefined || room === '' ? undefined : room)
        .map((s) => s.id).sort();
      if (typeof ack === 'function') ack(ids);
    });

    socket.on('join-of', (id, room, ack) => {
      nsp.socket(id).join(room);
      if (typeof ack === 'function') ack(true);
    });

    socket.on('leave-of', (id, room, ack) => {
      nsp.socket(id).leave(room);
      if (typeof ack === 'function') ack(true);
    });

    socket.on('watch', (ack) => {
      socket.join('monitor');
      if (typeof ack === 'function') ack(true);
    });

    socket.on('disconnect', (reason) => {
      nsp.in('monitor').emit('gone', sid, name, reason === undefined ? null : reason);
    });
  });
}

install(io.sockets, '');
install(io.of('/chat'), '/chat');
install(io.of('/vip').authorization((data, cb) => {
  cb(null, !!(data && data.query && data.query.vip === '1'));
}), '/vip');
install(io.of('/private').authorization((data, cb) => { cb(null, false); }), '/private');
install(io.of('/broken').authorization((data, cb) => {
  cb('namespace auth failure', false);
}), '/broken');

// ---------------------------------------------------------------- process
server.on('error', (err) => {
  process.stderr.write(`reference-app: ${err && err.stack || err}\n`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});

function stop() {
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
