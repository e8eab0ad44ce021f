'use strict';
// socket.io-client 0.9.16 helpers. The client copies its `transports` option into a shared
// global list, so the transport is forced through the module's global `io.transports`
// before every connect (TEST-APP.md).

const io = require('socket.io-client');

function connect(target, { nsp = '', transport = 'websocket', query, options = {} } = {}) {
  io.transports = [transport];
  let url = `${target.url}${nsp}`;
  if (query) url += (query.startsWith('?') ? query : '?' + query);
  return io.connect(url, {
    'force new connection': true,
    reconnect: false,
    'connect timeout': 5000,
    'try multiple transports': false,
    ...options,
  });
}

// Wait for `event` on an emitter (client socket or namespace); resolves with the args array.
function waitEvent(emitter, event, timeoutMs = 5000, pred) {
  return new Promise((resolve, reject) => {
    const handler = (...args) => {
      if (pred && !pred(...args)) return;
      clearTimeout(timer);
      emitter.removeListener(event, handler);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.removeListener(event, handler);
      reject(new Error(`event ${JSON.stringify(event)} not received within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.on(event, handler);
  });
}

// Wait for `connect`; rejects early on `error`/`connect_failed`.
function waitConnect(emitter, timeoutMs = 8000) {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      emitter.removeListener('connect', onConnect);
      emitter.removeListener('error', onError);
      emitter.removeListener('connect_failed', onFailed);
    };
    const onConnect = () => { cleanup(); resolve(); };
    const onError = (e) => { cleanup(); reject(new Error(`client error before connect: ${e}`)); };
    const onFailed = () => { cleanup(); reject(new Error('connect_failed')); };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`no connect within ${timeoutMs} ms`)); }, timeoutMs);
    emitter.on('connect', onConnect);
    emitter.on('error', onError);
    emitter.on('connect_failed', onFailed);
  });
}

// emit(name, ...args) with an ack callback; resolves with the ack's args array.
function emitAck(emitter, name, args = [], timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${name} within ${timeoutMs} ms`)), timeoutMs);
    emitter.emit(name, ...args, (...ackArgs) => { clearTimeout(timer); resolve(ackArgs); });
  });
}

function disconnectAll(...sockets) {
  for (const s of sockets) {
    if (!s) continue;
    try {
      const sock = s.socket || s;
      sock.options.reconnect = false;
      if (sock.reconnecting && sock.reconnectionTimer) clearTimeout(sock.reconnectionTimer);
      sock.reconnecting = false;
      sock.disconnect();
    } catch (e) { /* ignore */ }
  }
}

module.exports = { io, connect, waitEvent, waitConnect, emitAck, disconnectAll };
