'use strict';
// Loads the N-API addon (build/Release/sio09_node.node) and libsio09.
//
// libsio09 is found, in order: $SIO09_LIB (a path to the .so); the worktree's
// target/release/libsio09.so, then target/debug/libsio09.so (../../../target from this
// package); then the system's libsio09.so.0 (ld.so search path).

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

function loadAddon() {
  const candidates = [
    process.env.SIO09_NODE_ADDON,
    path.join(ROOT, 'build', 'Release', 'sio09_node.node'),
    path.join(ROOT, 'build', 'Debug', 'sio09_node.node'),
  ].filter(Boolean);
  for (const p of candidates) {
    if (fs.existsSync(p)) return require(p);
  }
  throw new Error('sio09: the native addon is not built; run `npm run build` (node-gyp rebuild --nodedir=/usr) in '
    + ROOT);
}

function libraryPath() {
  if (process.env.SIO09_LIB) return process.env.SIO09_LIB;
  const target = path.resolve(ROOT, '..', '..', 'target');
  for (const p of [path.join(target, 'release', 'libsio09.so'), path.join(target, 'debug', 'libsio09.so')]) {
    if (fs.existsSync(p)) return p;
  }
  return 'libsio09.so.0';
}

const addon = loadAddon();
const libPath = libraryPath();
addon.load(libPath);

// Event kinds, packet types and flags of include/sio09.h.
const EV = {
  CONNECTION: 1, EVENT: 2, MESSAGE: 3, JSON: 4, DISCONNECT: 5, AUTHORIZE: 6, ACK: 7,
  STORE: 8, ERROR: 9, STOPPED: 10, HANDBACK: 11, ROOM: 13,
};
// SIO_EV_ROOM ids: what the cluster changed
const ROOM = { LEAVE: 0, JOIN: 1, GONE: 2 };
// sio_sessions: which sessions (0.9's io.handshaken / connected / open / closed)
const SESSIONS = { HANDSHAKEN: 0, CONNECTED: 1, OPEN: 2, CLOSED: 3, WITH_DATA: 256 };
const PK = { MESSAGE: 3, JSON: 4, EVENT: 5 };
const R = {
  OK: 0, INVALID_PARAM: 1, NOT_FOUND: 2, BUSY: 3, PANIC: 4, IO: 5, CONFIG: 6, STATE: 7,
  STOPPED: 8, BUFFER_TOO_SMALL: 9, UNSUPPORTED: 10,
};
const F_VOLATILE = 1;
// sio_server_adopt_connection_with flags
const ADOPT = { TLS: 1, SECURE: 2 };
const NSP_GLOBAL = 0xFFFFFFFF;
const STORE_OP = { set: 0, get: 1, has: 2, del: 3 };

module.exports = { addon, libPath, EV, PK, R, ADOPT, F_VOLATILE, NSP_GLOBAL, STORE_OP, SESSIONS, ROOM };
