#!/usr/bin/env node
'use strict';
// Runs an unchanged socket.io 0.9 app on this module: `require('socket.io')` (and
// `require('socket.io/...')` of the package root) resolve to sio09's lib/index.js.
//
//   node ffi/node/bin/sio-app.js path/to/app.js [args...]
//   node ffi/node/bin/sio-app.js                 (default: conformance/reference-app.js)

const Module = require('node:module');
const path = require('node:path');

const SIO09 = path.resolve(__dirname, '..', 'lib', 'index.js');
const original = Module._resolveFilename;
Module._resolveFilename = function resolve(request, ...rest) {
  if (request === 'socket.io') return SIO09;
  return original.call(this, request, ...rest);
};

const app = process.argv[2]
  ? path.resolve(process.argv[2])
  : path.resolve(__dirname, '..', '..', '..', 'conformance', 'reference-app.js');
// the app sees its own argv as if started directly: node app.js [args...]
process.argv.splice(1, process.argv[2] ? 2 : 1, app);
require(app);
