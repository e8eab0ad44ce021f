'use strict';
// Preloaded (NODE_OPTIONS=--require) by orig-suite.js into every process of socket.io
// 0.9.19's own test suite. It restores one default of the Node versions that suite was
// written for, which ../shared/orig-suite/node20-compat.js does not restore yet:
//
// The suite's hixie-76 websocket client (support/node-websocket-client) feeds binary
// strings (the key numbers and the 8-byte body) to an MD5 hash without naming an encoding.
// Node <= 5 read such strings as latin1 bytes, which is what the draft means; Node >= 6
// reads them as UTF-8, so every byte >= 0x80 is hashed as two bytes and the client expects
// a wrong challenge answer. The reference passes only because its server makes the same
// mistake; a server that answers as the draft says (sio09) is rejected. With the old
// default the client checks the draft's answer. The module under test uses no Hash of a
// string without an encoding.
const { Hash } = require('node:crypto');

const update = Hash.prototype.update;
Hash.prototype.update = function updateLatin1ByDefault(data, encoding) {
  if (typeof data === 'string' && encoding === undefined) return update.call(this, data, 'latin1');
  return update.call(this, data, encoding);
};
