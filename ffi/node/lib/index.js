'use strict';
// sio09 for Node.js: the socket.io 0.9 server API over libsio09 (the sio09 Rust server,
// through its C ABI). `require('sio09')` is meant as a drop-in for `require('socket.io')`
// 0.9.19. See ../README.md for what is and is not supported.

const http = require('node:http');
const https = require('node:https');
const { addon, libPath } = require('./native');
const Manager = require('./manager');
const SocketNamespace = require('./namespace');
const Socket = require('./socket');
const Logger = require('./logger');
const { Store, MemoryStore, RedisStore } = require('./stores');
const parser = require('./parser');

// `listen(port[, host][, options][, fn])` does what 0.9 did: it creates an `http.Server`
// (an `https.Server` when `options.key` is given), whose requests outside the resource are
// answered `200 Welcome to socket.io.`, calls its `listen` (the port is bound when this
// returns, as in 0.9), and attaches to it like `listen(server)`: requests under the
// resource are handed to libsio09 with their connection.
function listen(server, host, options, fn) {
  if (typeof server === 'function') {
    console.warn('sio09: `listen()` expects an `http.Server` as its first argument; an Express 2 '
      + 'style app was given (Express 3 apps: pass `http.createServer(app)`).');
  }
  // listen(port, host, options, fn) | listen(port, options, fn) | listen(port, fn)
  if (typeof host !== 'string') {
    fn = options;
    options = host;
    host = undefined;
  }
  if (typeof options === 'function') {
    fn = options;
    options = {};
  }
  if (server === undefined) server = 80;
  if (typeof server === 'number' || (typeof server === 'string' && /^\d+$/.test(server))) {
    const port = Number(server);
    server = options && options.key ? https.createServer(options) : http.createServer();
    server.on('request', (req, res) => {
      res.writeHead(200);
      res.end('Welcome to socket.io.');
    });
    if (host !== undefined) server.listen(port, host, fn);
    else server.listen(port, fn);
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
