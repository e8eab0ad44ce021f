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

  // ------------------------------------------------------------ the 0.9 JavaScript surface
  //
  // A server given this store connects the library to Redis (toOption); the library does
  // the cluster's work. The 0.9.19 methods below serve app code that uses the store object
  // itself (publish/subscribe between nodes, client(id) data of ids that are not live
  // sessions here): they use a node_redis client as 0.9.19 did, made on first use from
  // `options.redis` or the `redis` package, or the client objects the app passed.

  _redis() {
    if (this._conn) return this._conn;
    const o = this.options;
    let redis = o.redis;
    if (!redis) {
      try {
        redis = require('redis');
      } catch (err) {
        throw new Error('RedisStore: publish/subscribe/client() need the `redis` package '
          + `(npm install redis@0.7.3) or options.redis: ${err.message.split('\n')[0]}`);
      }
    }
    const made = [];
    const client = (given) => {
      if (given && typeof given.hget === 'function') return given;
      const opt = given && typeof given === 'object' ? given : {};
      const c = redis.createClient(opt.port, opt.host, opt);
      made.push(c);
      return c;
    };
    const nodeId = typeof o.nodeId === 'function' ? o.nodeId() : Math.abs(Math.random() * Math.random() * Date.now() | 0);
    this._conn = {
      pub: client(o.redisPub),
      sub: client(o.redisSub),
      cmd: client(o.redisClient),
      made,
      nodeId,
      pack: typeof o.pack === 'function' ? o.pack : JSON.stringify,
      unpack: typeof o.unpack === 'function' ? o.unpack : JSON.parse,
    };
    if (typeof this._conn.sub.setMaxListeners === 'function') this._conn.sub.setMaxListeners(0);
    this.setMaxListeners(0);
    return this._conn;
  }

  get nodeId() { return this._redis().nodeId; }

  get pub() { return this._redis().pub; }

  get sub() { return this._redis().sub; }

  get cmd() { return this._redis().cmd; }

  /** Publishes `args` on channel `name` to the other nodes (this node's id rides along). */
  publish(name, ...args) {
    const c = this._redis();
    c.pub.publish(name, c.pack({ nodeId: c.nodeId, args }));
    this.emit('publish', name, ...args);
  }

  /**
   * Subscribes to `name`: `consumer(...args)` runs for messages other nodes publish there,
   * `fn()` once the subscription is in place.
   */
  subscribe(name, consumer, fn) {
    const c = this._redis();
    c.sub.subscribe(name);
    if (consumer || fn) {
      const onSubscribe = (ch) => {
        if (ch !== name) return;
        c.sub.removeListener('subscribe', onSubscribe);
        const onMessage = (mch, raw) => {
          if (mch !== name) return;
          let msg;
          try { msg = c.unpack(raw); } catch (e) { return; }
          if (msg && msg.nodeId !== c.nodeId && consumer) consumer(...(Array.isArray(msg.args) ? msg.args : []));
        };
        c.sub.on('message', onMessage);
        const onUnsubscribe = (uch) => {
          if (uch !== name) return;
          c.sub.removeListener('message', onMessage);
          this.removeListener('unsubscribe', onUnsubscribe);
        };
        this.on('unsubscribe', onUnsubscribe);
        if (fn) fn();
      };
      c.sub.on('subscribe', onSubscribe);
    }
    this.emit('subscribe', name, consumer, fn);
  }

  /** Unsubscribes from `name`; `fn()` once Redis confirmed. */
  unsubscribe(name, fn) {
    const c = this._redis();
    c.sub.unsubscribe(name);
    if (fn) {
      const onUnsubscribe = (ch) => {
        if (ch !== name) return;
        c.sub.removeListener('unsubscribe', onUnsubscribe);
        fn();
      };
      c.sub.on('unsubscribe', onUnsubscribe);
    }
    this.emit('unsubscribe', name, fn);
  }

  /** Forgets the clients' data (now or after `expiration` s) and closes the connections. */
  destroy(expiration) {
    super.destroy(expiration);
    if (this._conn) {
      for (const c of [this._conn.pub, this._conn.sub, this._conn.cmd]) {
        try { c.end(); } catch (e) { /* already closed */ }
      }
    }
    return this;
  }
}

/**
 * One client's data in Redis (0.9.19's layout: a hash named by the id, values String(value)):
 * through the library for a live session here, else with the store's command client.
 */
class RedisClient extends MemoryClient {
  get(key, fn) {
    const s = this._live();
    if (s) { s.get(key, fn); return this; }
    this.store.cmd.hget(this.id, key, fn);
    return this;
  }

  set(key, value, fn) {
    const s = this._live();
    if (s) { s.set(key, value, fn); return this; }
    this.store.cmd.hset(this.id, key, value, fn);
    return this;
  }

  del(key, fn) {
    const s = this._live();
    if (s) { s.del(key, fn); return this; }
    this.store.cmd.hdel(this.id, key, fn);
    return this;
  }

  has(key, fn) {
    const s = this._live();
    if (s) { s.has(key, fn); return this; }
    this.store.cmd.hexists(this.id, key, (err, has) => (err ? fn(err) : fn(null, !!has)));
    return this;
  }

  destroy(expiration) {
    if (typeof expiration !== 'number') this.store.cmd.del(this.id);
    else this.store.cmd.expire(this.id, expiration);
    return this;
  }
}
RedisStore.Client = RedisClient;

module.exports = { Store, MemoryStore, RedisStore, MemoryClient, RedisClient };
