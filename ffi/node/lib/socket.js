'use strict';
// Socket: one client in one namespace (socket.io 0.9 `Socket`), backed by a libsio09
// socket id. Sending goes straight to the library (which copies); events arrive from the
// manager's event loop.

const { EventEmitter } = require('node:events');
const { addon, PK, R, F_VOLATILE, STORE_OP } = require('./native');
const { RedisStore } = require('./stores');

const $emit = EventEmitter.prototype.emit;

function noop() {}

const NO_FLAGS = Object.freeze({ json: false, volatile: false, broadcast: false, room: null });

class Socket extends EventEmitter {
  constructor(manager, namespace, sid, nativeId) {
    super();
    this.id = sid;
    this.namespace = namespace;
    this.manager = manager;
    this.disconnected = false;
    this.flags = {};
    this._native = nativeId || 0;
    this._handshake = null;
    this._transport = null;
    this._acks = null; // tokens of pending server->client acks (cleared at disconnect)
    this._resetFlags();
    // 0.9: an error listener is pre-installed, so a client event named `error` never throws
    this.on('error', noop);
  }

  get handshake() {
    if (this._handshake) return this._handshake;
    const other = this.manager._handshakeOf(this.id);
    return other || undefined;
  }

  get transport() { return this._transport || this.manager._transportOf(this.id) || undefined; }

  get log() { return this.manager.log; }

  get store() { return this.manager.store; }

  get json() { this.flags.json = true; this._dirty = true; return this; }

  get volatile() { this.flags.volatile = true; this._dirty = true; return this; }

  get broadcast() { this.flags.broadcast = true; this._dirty = true; return this; }

  to(room) { this.flags.room = room; this._dirty = true; return this; }

  in(room) { return this.to(room); }

  _resetFlags() {
    this.flags = { json: false, volatile: false, broadcast: false, room: null };
    this._dirty = false;
  }

  // The flags for this send, reset for the next one (flags apply to one send only).
  _takeFlags() {
    if (!this._dirty) return NO_FLAGS;
    const f = this.flags;
    this._resetFlags();
    return f;
  }

  // ---------------------------------------------------------------- rooms

  join(name, fn) {
    if (this._native) addon.join(this.manager._h(), this._native, String(name));
    else this._roomOf(String(name), false);
    this.manager.onJoin(this.id, this.namespace.name + '/' + name);
    if (typeof fn === 'function') {
      this.log.warn('Client#join callback is deprecated');
      fn();
    }
    return this;
  }

  leave(name, fn) {
    if (this._native) addon.leave(this.manager._h(), this._native, String(name));
    else this._roomOf(String(name), true);
    this.manager.onLeave(this.id, this.namespace.name + '/' + name);
    if (typeof fn === 'function') {
      this.log.warn('Client#leave callback is deprecated');
      fn();
    }
    return this;
  }

  // join/leave for a session this module has no socket id for here (another node of the
  // cluster, or another namespace): the library applies it wherever the session lives
  _roomOf(name, leave) {
    const nsp = this.namespace && this.namespace._nsp;
    if (nsp === null || nsp === undefined) return;
    const h = this.manager._h();
    if (!h) return;
    if (leave) addon.leaveSid(h, nsp, this.id, name);
    else addon.joinSid(h, nsp, this.id, name);
  }

  // ---------------------------------------------------------------- sending

  send(data, fn) {
    const flags = this._takeFlags();
    const json = flags.json;
    const text = json ? stringifyValue(data) : messageText(data);
    if (flags.broadcast) {
      this.namespace._broadcast(flags.room, [this.id], json ? PK.JSON : PK.MESSAGE, null, text, flags.volatile);
      return this;
    }
    if (!this._native) return this._remote(json ? PK.JSON : PK.MESSAGE, null, text, flags.volatile, fn);
    const h = this.manager._h();
    if (typeof fn === 'function') {
      // 0.9: `3:N::data` / `4:N::json`, the client acks automatically, fn runs then.
      const token = this.manager._addAck(this, fn);
      const r = addon.sendAck(h, this._native, text, token, json ? 1 : 0);
      if (r !== R.OK) this.manager._dropAck(this, token);
      return this;
    }
    const v = flags.volatile ? F_VOLATILE : 0;
    if (json) addon.json(h, this._native, text, v);
    else addon.send(h, this._native, text, v);
    return this;
  }

  emit(ev, ...args) {
    if (ev === 'newListener' || ev === 'removeListener') return $emit.call(this, ev, ...args);
    const flags = this._takeFlags();
    const fn = args.length > 0 && typeof args[args.length - 1] === 'function' ? args.pop() : null;
    const name = String(ev);
    const json = JSON.stringify(args);
    if (flags.broadcast) {
      // callbacks cannot be attached to broadcasts (PROTOCOL.md §5.5): ignored
      this.namespace._broadcast(flags.room, [this.id], PK.EVENT, name, json, flags.volatile);
      return this;
    }
    if (!this._native) return this._remote(PK.EVENT, name, json, flags.volatile, fn);
    const h = this.manager._h();
    if (fn) {
      const token = this.manager._addAck(this, fn);
      const r = addon.emitAck(h, this._native, name, json, token);
      if (r !== R.OK) this.manager._dropAck(this, token);
    } else {
      addon.emit(h, this._native, name, json, flags.volatile ? F_VOLATILE : 0);
    }
    return this;
  }

  // A socket of a session this module has no connection for (on another node of a
  // RedisStore cluster, as 0.9's `io.sockets.socket(id)` allowed): the library routes the
  // packet to wherever the session lives; with `fn`, the client's ack comes back from
  // there (from an sio09 node: 0.9.19 nodes do not route acks).
  _remote(packet, name, data, volatile, fn) {
    const nsp = this._nspId();
    if (nsp === null) return this;
    const h = this.manager._h();
    if (typeof fn === 'function') {
      const token = this.manager._addAck(this, fn);
      const r = addon.emitToSidAck(h, nsp, this.id, packet, name, data, token);
      if (r !== R.OK) this.manager._dropAck(this, token);
      return this;
    }
    addon.emitToSid(h, nsp, this.id, packet, name, data, volatile ? F_VOLATILE : 0);
    return this;
  }

  // The library's namespace id, or null before the namespace is declared there.
  _nspId() {
    const nsp = this.namespace && this.namespace._nsp;
    return nsp === null || nsp === undefined || !this.manager._started ? null : nsp;
  }

  $emit(...args) { return $emit.apply(this, args); }

  disconnect() {
    if (!this.disconnected && this._native) {
      this.log.info('booting client');
      addon.disconnect(this.manager._h(), this._native);
    } else if (!this.disconnected) {
      // a session this module has no socket id for here (another node of the cluster):
      // the library asks its owner (0.9's disconnect-remote)
      const nsp = this.namespace && this.namespace._nsp;
      if (nsp !== null && nsp !== undefined && this.manager._started) {
        this.log.info('booting client');
        addon.disconnectSid(this.manager._h(), nsp, this.id);
      }
    }
    return this;
  }

  // ---------------------------------------------------------------- client data

  set(key, value, fn) {
    const json = JSON.stringify(this._storesStrings() ? jsString(value) : value);
    this._store(STORE_OP.set, key, fn, json === undefined ? 'null' : json);
    return this;
  }

  // Whether the store keeps values as 0.9.19's RedisStore does, `String(value)` (node_redis
  // 0.7.3 stringifies its arguments). The library converts JSON values the same way; doing
  // it here also covers what JSON cannot carry (undefined, NaN, Dates, own toString).
  _storesStrings() {
    const store = this.manager.settings.store;
    if (store instanceof RedisStore) return true;
    if (!store || typeof store.toOption !== 'function') return false;
    return String(store.toOption()).startsWith('redis');
  }

  get(key, fn) { this._store(STORE_OP.get, key, fn); return this; }

  has(key, fn) { this._store(STORE_OP.has, key, fn); return this; }

  del(key, fn) { this._store(STORE_OP.del, key, fn); return this; }

  _store(op, key, fn, value) {
    const cb = typeof fn === 'function' ? fn : noop;
    const m = this.manager;
    const token = m._addStoreCallback(op, cb);
    // a session elsewhere (another node of the cluster): its data by id, in the shared store
    const r = this._native
      ? addon.store(m._h(), op, this._native, String(key), token, value)
      : addon.storeSid(m._h(), op, this.id, String(key), token, value === undefined ? null : value);
    if (r !== R.OK) {
      m._takeStoreCallback(token);
      process.nextTick(cb, new Error(`client store: ${addon.resultStr(r)}`));
    }
  }
}

// JavaScript's String(value), or the value as given when it has no string form (an object
// without a prototype, which node_redis would have thrown on; the library then stores it as
// '[object Object]').
function jsString(value) {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch (e) {
    return value;
  }
}

function messageText(data) {
  if (data === undefined || data === null) return '';
  return typeof data === 'string' ? data : String(data);
}

function stringifyValue(data) {
  const s = JSON.stringify(data);
  return s === undefined ? 'null' : s;
}

module.exports = Socket;
module.exports.stringifyValue = stringifyValue;
module.exports.messageText = messageText;
