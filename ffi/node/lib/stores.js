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

class Store extends EventEmitter {
  constructor(options) {
    super();
    this.options = options || {};
  }

  /** The text given to the library's `store` option. */
  toOption() { return 'memory'; }
}

class MemoryStore extends Store {}

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

module.exports = { Store, MemoryStore, RedisStore };
