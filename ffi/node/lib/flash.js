'use strict';
// The Flash socket policy server of socket.io 0.9 (PROTOCOL.md §3.3): `io.flashPolicyServer`.
//
// While `flashsocket` is among the transports and `flash policy server` is on, a TCP
// listener on `flash policy port` answers every connection with the policy document built
// from `origins` and closes it. It is created, moved and stopped as those settings change,
// like 0.9's. The inline request on the HTTP port is answered by the library (attach.js
// hands such connections over).

const net = require('node:net');

function policyDocument(origins) {
  const rules = origins.map((origin) => {
    const text = String(origin);
    const i = text.indexOf(':');
    const host = i < 0 ? text : text.slice(0, i);
    const port = i < 0 ? '*' : text.slice(i + 1);
    return `<allow-access-from domain="${host}" to-ports="${port}"/>`;
  });
  return '<?xml version="1.0"?><!DOCTYPE cross-domain-policy SYSTEM '
    + '"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd"><cross-domain-policy>'
    + rules.join('') + '</cross-domain-policy>';
}

// `origins` as a list: every string (alone or in an array) split on whitespace and commas,
// as the library reads it (PROTOCOL.md: 0.9 took the whole string as one entry).
function originList(value) {
  const items = Array.isArray(value) ? value : [value];
  const list = [];
  for (const item of items) {
    if (typeof item !== 'string') continue;
    for (const o of item.split(/[\s,]+/)) if (o) list.push(o);
  }
  return list.length ? list : ['*:*'];
}

/** One policy listener: `port`, `origins`, `buffer` (the document), `compile()`, `close()`. */
class FlashPolicyServer extends net.Server {
  constructor(manager, origins) {
    super((socket) => {
      socket.on('error', () => { /* the peer went away */ });
      socket.end(this.buffer);
    });
    this.manager = manager;
    this.origins = originList(origins);
    this.port = 843;
    this.buffer = null;
    this.compile();
    this.on('error', (err) => {
      manager.log.warn(`flash policy server: ${err.message}`);
    });
  }

  /** Rebuilds `buffer` from `origins`. */
  compile() {
    this.buffer = Buffer.from(policyDocument(this.origins), 'utf8');
    return this;
  }

  /** Listens on `port` (a negative port: no listener). */
  start(port) {
    this.port = Number(port);
    if (this.port >= 0) this.listen(this.port);
    return this;
  }

  close(cb) {
    try { super.close(cb); } catch (e) { if (typeof cb === 'function') cb(e); }
    this.emit('stopped');
    return this;
  }
}

// Keeps `manager.flashPolicyServer` in step with the settings, as 0.9 did.
function initFlashPolicy(manager) {
  let server = null;
  const wanted = () => (manager.get('transports') || []).includes('flashsocket');
  const create = () => {
    if (!manager.enabled('flash policy server')) return;
    const s = new FlashPolicyServer(manager, manager.get('origins'));
    s.once('stopped', () => { if (server === s) server = null; });
    s.start(manager.get('flash policy port'));
    server = s;
    manager.flashPolicyServer = s;
  };
  manager.on('set:origins', (value) => {
    if (!server) return;
    server.origins = originList(value);
    server.compile();
  });
  manager.on('set:flash policy port', (value) => {
    if (!wanted()) return;
    if (server) {
      if (server.port === Number(value)) return;
      server.close();
    }
    create();
  });
  manager.on('set:flash policy server', (value) => {
    if (wanted()) {
      if (server && !value) server.close();
      else if (!server && value) create();
    }
  });
  manager.on('set:transports', () => {
    if (!server && wanted()) create();
  });
  if (wanted()) create();
}

module.exports = { initFlashPolicy, FlashPolicyServer, policyDocument };
