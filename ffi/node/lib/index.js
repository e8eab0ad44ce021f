'use strict';
// sio09 for Node.js: the socket.io 0.9 server API over libsio09 (the sio09 Rust server,
// through its C ABI). `require('sio09')` is meant as a drop-in for `require('socket.io')`
// 0.9.19. See ../README.md for what is and is not supported.

const { EventEmitter } = require('node:events');
const { addon, libPath } = require('./native');
const Manager = require('./manager');
const SocketNamespace = require('./namespace');
const Socket = require('./socket');
const Logger = require('./logger');
const { Store, MemoryStore, RedisStore } = require('./stores');
const parser = require('./parser');

// The server object of `listen(port)`: libsio09 owns the listening socket, so this is a
// small stand-in for the http.Server 0.9 created (address(), close(), 'listening').
class LibraryServer extends EventEmitter {
  constructor(port) {
    super();
    this._port = port;
    this._io = null;
    this.listening = false;
  }

  address() {
    if (!this.listening || !this._io || !this._io._handle) return null;
    return { address: '0.0.0.0', family: 'IPv4', port: addon.localPort(this._io._handle) };
  }

  _onListening() {
    this.listening = true;
    this.emit('listening');
  }

  close(cb) {
    this.listening = false;
    if (this._io) this._io.close(() => { this.emit('close'); if (typeof cb === 'function') cb(); });
    else if (typeof cb === 'function') setImmediate(cb);
    return this;
  }
}

function listen(server, options, fn) {
  if (typeof server === 'function') {
    console.warn('Socket.IO\'s `listen()` method expects an `http.Server` instance\n'
      + 'as its first parameter (an Express 2-style app was given).');
  }
  if (typeof options === 'function') {
    fn = options;
    options = {};
  }
  if (server === undefined) server = 80;
  if (typeof server === 'number') {
    if (options && options.key) {
      throw new Error('sio09: listen(port, { key, ... }) (HTTPS) is not supported; '
        + 'terminate TLS in front of the server');
    }
    const port = server;
    const facade = new LibraryServer(port);
    const io = new Manager(null, options);
    facade._io = io;
    io.server = facade;
    io._listenPort = port;
    io._listenCallback = fn;
    return io;
  }
  return new Manager(server, options);
}

module.exports = {
  version: '0.9.16', // what socket.io 0.9.19 itself reports as `version`
  protocol: 1,
  clientVersion: '0.9.16',
  sio09Version: addon.version(),
  libraryPath: libPath,
  listen,
  Manager,
  SocketNamespace,
  Socket,
  Logger,
  Store,
  MemoryStore,
  RedisStore,
  parser,
};
