'use strict';
// Stores. The session data and the room bus live in libsio09, not in JavaScript: these
// classes only select what the library does through its `store` option.
//
// - MemoryStore: the library's in-process store (`store` = "memory").
// - RedisStore: the library's Redis store (`store` = redis://[:password@]host:port[/db]),
//   which speaks the 0.9.19 RedisStore wire format, so sio09 nodes and socket.io 0.9.19
//   nodes can share one Redis. Of the 0.9.19 constructor options only the connection
//   settings are honoured (host, port, password, db — given directly or through the
//   `redisPub`/`redisSub`/`redisClient` option objects or client objects); the client
//   objects themselves are not used (the library keeps its own connections), and `pack`,
//   `unpack` and `nodeId` are ignored.

const { EventEmitter } = require('node:events');

/**
 * The 0.9 store surface: `client(id)` (one object per id, with `set/get/has/del/destroy`),
 * `destroyClient(id, expiration)`, `destroy(expiration)`, and `publish/subscribe/unsubscribe`.
 *
 * When the store is a running server's (`io.store`), `client(sid)` of a session the server
 * knows reads and writes that session's data in the library (what `socket.set/get` see);
 * any other id keeps its data in this object, as 0.9's MemoryStore did.
 */
class Store extends EventEmitter {
  constructor(options) {
    super();
    this.options = options || {};
    this.clients = {};
    this._manager = null;
  }

  /** The text given to the library's `store` option. */
  toOption() { return 'memory'; }

  client(id) {
    if (!this.clients[id]) this.clients[id] = new (this.constructor.Client || MemoryClient)(this, id);
    return this.clients[id];
  }

  destroyClient(id, expiration) {
    if (this.clients[id]) {
      this.clients[id].destroy(expiration);
      delete this.clients[id];
    }
    return this;
  }

  destroy(expiration) {
    for (const id of Object.keys(this.clients)) this.destroyClient(id, expiration);
    this.clients = {};
    return this;
  }

  publish() {}

  subscribe() {}

  unsubscribe() {}

  // the library-backed socket of session `id`, when this store is a running server's
  _socketOf(id) {
    const m = this._manager;
    if (!m || !m._started) return null;
    for (const s of m._sockets.values()) if (s.id === String(id) && !s.disconnected) return s;
    return null;
  }
}

/** One client's data (0.9 `Store.Client`): in the library for a live session, else here. */
class MemoryClient {
  constructor(store, id) {
    this.store = store;
    this.id = id;
    this.data = {};
  }

  _live() { return this.store._socketOf(this.id); }

  get(key, fn) {
    const s = this._live();
    if (s) { s.get(key, fn); return this; }
    fn(null, this.data[key] === undefined ? null : this.data[key]);
    return this;
  }

  set(key, value, fn) {
    const s = this._live();
    if (s) { s.set(key, value, fn); return this; }
    this.data[key] = value;
    if (fn) fn(null);
    return this;
  }

  has(key, fn) {
    const s = this._live();
    if (s) { s.has(key, fn); return this; }
    fn(null, Object.prototype.hasOwnProperty.call(this.data, key));
    return this;
  }

  del(key, fn) {
    const s = this._live();
    if (s) { s.del(key, fn); return this; }
    delete this.data[key];
    if (fn) fn(null);
    return this;
  }

  /** Forgets the data now, or `expiration` seconds from now. */
  destroy(expiration) {
    if (typeof expiration !== 'number') {
      this.data = {};
    } else {
      const t = setTimeout(() => { this.data = {}; }, expiration * 1000);
      if (t.unref) t.unref();
    }
    return this;
  }
}

class MemoryStore extends Store {}
MemoryStore.Client = MemoryClient;
Store.Client = MemoryClient;

function pick(objs, names) {
  for (const o of objs) {
    if (!o || typeof o !== 'object') continue;
    for (const n of names) {
      if (o[n] !== undefined && o[n] !== null && o[n] !== '') return o[n];
    }
  }
  return undefined;
}

class RedisStore extends Store {
  constructor(opts) {
    super(opts);
    opts = opts || {};
    // each of these is either an options object ({ host, port, password, db }) or a client
    // object; node_redis clients expose host/port and keep the password in auth_pass/options
    const sources = [opts, opts.redisPub, opts.redisSub, opts.redisClient];
    const withOptions = [];
    for (const s of sources) {
      if (s && typeof s === 'object') {
        withOptions.push(s);
        if (s.options && typeof s.options === 'object') withOptions.push(s.options);
        if (s.connection_options && typeof s.connection_options === 'object') withOptions.push(s.connection_options);
      }
    }
    this.host = String(pick(withOptions, ['host']) || '127.0.0.1');
    const port = Number(pick(withOptions, ['port']) || 6379);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new Error(`RedisStore: invalid port ${JSON.stringify(pick(withOptions, ['port']))}`);
    }
    this.port = port;
    const pw = pick(withOptions, ['password', 'auth_pass', 'pass']);
    this.password = pw === undefined ? null : String(pw);
    const db = pick(withOptions, ['db', 'database', 'selected_db']);
    this.db = db === undefined ? null : Number(db);
    if (this.db !== null && (!Number.isInteger(this.db) || this.db < 0)) {
      throw new Error(`RedisStore: invalid db ${JSON.stringify(db)}`);
    }
  }

  toOption() {
    const auth = this.password !== null ? `:${encodeURIComponent(this.password)}@` : '';
    const host = this.host.includes(':') && !this.host.startsWith('[') ? `[${this.host}]` : this.host;
    const db = this.db !== null ? `/${this.db}` : '';
    return `redis://${auth}${host}:${this.port}${db}`;
  }
}

module.exports = { Store, MemoryStore, RedisStore, MemoryClient };
