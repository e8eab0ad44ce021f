'use strict';
// Manager (`io`): settings, namespaces, and the link to one libsio09 server.
//
// The library is started lazily, on the next turn of the event loop after construction
// (or at once when a connection has to be handed over first), so that the synchronous
// set-up code of an app (`io.set(...)`, `io.of('/chat').authorization(...)`) is seen
// before the library starts: libsio09 declares namespaces and authorization hooks only
// before its start (ffi/SPEC.md).

const { EventEmitter } = require('node:events');
const tty = require('node:tty');
const fs = require('node:fs');
const net = require('node:net');
const { addon, EV, R, NSP_GLOBAL, SESSIONS, ROOM } = require('./native');
const Logger = require('./logger');
const SocketNamespace = require('./namespace');
const Socket = require('./socket');
const { Store, MemoryStore } = require('./stores');
const { attachHttp, resumeDecrypted } = require('./attach');
const Static = require('./static');
const { initFlashPolicy } = require('./flash');

const DEFAULT_TRANSPORTS = ['websocket', 'htmlfile', 'xhr-polling', 'jsonp-polling'];

// Options the library understands (its 0.9 names plus sio09's own), given as text.
const LIBRARY_OPTIONS = new Set([
  'origins', 'log', 'log level', 'log colors', 'heartbeats', 'resource', 'transports',
  'blacklist', 'close timeout', 'heartbeat interval', 'heartbeat timeout', 'polling duration',
  'flash policy server', 'flash policy port', 'destroy upgrade', 'destroy buffer size',
  'browser client', 'browser client cache', 'browser client minification',
  'browser client etag', 'browser client expires', 'browser client gzip',
  'client store expiration', 'match origin protocol', 'workers', 'io driver',
  'broadcast writes per tick', 'browser client path',
]);
// Options in seconds whose falsy values (null, '') 0.9 treated as 0.
const SECONDS_OPTIONS = new Set(['heartbeat timeout', 'close timeout', 'heartbeat interval', 'polling duration']);
// Options that live in JavaScript only.
const JS_OPTIONS = new Set(['authorization', 'logger', 'static', 'store', 'browser client handler',
  'flash policy port']);

function optionText(value) {
  if (Array.isArray(value)) return value.map((v) => String(v)).join(',');
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  return null;
}

function defaultSettings(manager) {
  return {
    origins: '*:*',
    log: true,
    store: new MemoryStore(),
    logger: new Logger(),
    static: null, // set to a Static in the constructor
    heartbeats: true,
    resource: '/socket.io',
    transports: DEFAULT_TRANSPORTS.slice(),
    authorization: false,
    blacklist: ['disconnect'],
    'log level': 3,
    'log colors': tty.isatty(1),
    'close timeout': 60,
    'heartbeat interval': 25,
    'heartbeat timeout': 60,
    'polling duration': 20,
    'flash policy server': true,
    'flash policy port': 10843,
    'destroy upgrade': true,
    'destroy buffer size': 10E7,
    'browser client': true,
    'browser client cache': true,
    'browser client minification': false,
    'browser client etag': false,
    'browser client expires': 315360000,
    'browser client gzip': false,
    'browser client handler': false,
    'client store expiration': 15,
    'match origin protocol': false,
  };
}

class Manager extends EventEmitter {
  // server: an http.Server to attach to, or null with options.port set by listen(port).
  constructor(server, options) {
    super();
    this.namespaces = {};
    this._handle = addon.create();
    this._started = false;
    this._stopped = false;
    this._startTimer = null;
    this._nspById = new Map();
    this._sockets = new Map(); // native socket id -> Socket
    this._token = 0;
    this._acks = new Map();    // token -> { socket, fn }
    this._storeCbs = new Map(); // token -> { op, fn }
    this._authPending = new Map();
    this._warned = new Set();
    this._wsVersions = new Map(); // sid -> websocket draft of the upgrade handed over
    this._tls = false; // an https.Server whose TLS the library terminates (attach.js)
    this.settings = defaultSettings(this);
    this.settings.static = new Static(this);
    this.server = server || null;
    // 0.9's live maps, kept current from the library's events
    this.rooms = {};
    this.roomClients = {};
    this.transports = {};
    this.sockets = this.of('');

    if (options && typeof options === 'object') {
      for (const key of Object.keys(options)) this.settings[key] = options[key];
    }
    // the dedicated Flash policy listener is this module's (flash.js), not the library's
    this._setLibrary('flash policy port', '-1');
    for (const key of Object.keys(this.settings)) this._push(key, this.settings[key], true);

    // 1.0 forward compatibility, as 0.9.19: io.on('connection') sees main namespace connections
    this.sockets.on('connection', (socket) => { this.emit('connection', socket); });

    if (server) attachHttp(this, server);
    initFlashPolicy(this);
    // The library starts on the next turn of the loop (or when a connection must be handed
    // over first), once the app's set-up code has chosen its store; everything else may
    // also change later.
    this._startTimer = setImmediate(() => { this._startTimer = null; this._start(); });
    this.log.info('socket.io started');
  }

  get static() { return this.get('static'); }

  // ---------------------------------------------------------------- 0.9 room maps

  /** 0.9: `id` joined `name` (`''` the main namespace, `/nsp` a namespace, `/nsp/room`). */
  onJoin(id, name) {
    if (!this.roomClients[id]) this.roomClients[id] = {};
    if (!this.rooms[name]) this.rooms[name] = [];
    if (!this.rooms[name].includes(id)) {
      this.rooms[name].push(id);
      this.roomClients[id][name] = true;
    }
  }

  /** 0.9: `id` left room `name`. */
  onLeave(id, name) {
    const members = this.rooms[name];
    if (!members) return;
    const i = members.indexOf(id);
    if (i >= 0) members.splice(i, 1);
    if (!members.length) delete this.rooms[name];
    if (this.roomClients[id]) delete this.roomClients[id][name];
  }

  // the cluster changed a membership: another node's session, or ours joined / left there
  _onRoom(op, sid, name) {
    if (op === ROOM.JOIN) this.onJoin(sid, name);
    else if (op === ROOM.LEAVE) this.onLeave(sid, name);
    else if (op === ROOM.GONE) this._forgetClient(sid);
  }

  // the session `id` is gone: out of every room
  _forgetClient(id) {
    const rooms = this.roomClients[id];
    if (rooms) for (const name of Object.keys(rooms)) this.onLeave(id, name);
    delete this.roomClients[id];
    delete this.transports[id];
    this._wsVersions.delete(id);
  }

  // called by attach.js for a websocket/flashsocket upgrade it hands over
  _noteUpgrade(sid, version) { this._wsVersions.set(sid, version); }

  // ---------------------------------------------------------------- settings

  get log() {
    const logger = this.settings.logger || new Logger();
    logger.enabled = !!this.settings.log;
    logger.level = Number(this.settings['log level']);
    if (!Number.isFinite(logger.level)) logger.level = 3;
    logger.colors = !!this.settings['log colors'];
    return logger;
  }

  get store() {
    const store = this.settings.store;
    if (store instanceof Store) store._manager = this;
    return store;
  }

  get(key) { return this.settings[key]; }

  set(key, value) {
    if (arguments.length === 1) return this.get(key);
    this.settings[key] = value;
    this._push(key, value, false);
    this.emit('set:' + key, value, key);
    return this;
  }

  enable(key) { return this.set(key, true); }

  disable(key) { return this.set(key, false); }

  enabled(key) { return !!this.settings[key]; }

  disabled(key) { return !this.settings[key]; }

  configure(env, fn) {
    if (typeof env === 'function') {
      env.call(this);
    } else if (env === (process.env.NODE_ENV || 'development')) {
      fn.call(this);
    }
    return this;
  }

  _warnOnce(key, msg) {
    if (this._warned.has(key)) return;
    this._warned.add(key);
    this.log.warn(msg);
  }

  // Hands a setting to the library when it is one of its options.
  _push(key, value, initial) {
    if (key === 'store') {
      const store = value;
      if (store === undefined || store === null || store === false) return;
      const text = store instanceof Store || (store && typeof store.toOption === 'function')
        ? store.toOption() : null;
      if (text === null) {
        this._warnOnce('store-object', 'sio09: a custom store object cannot be used; the library keeps its own store');
        return;
      }
      if (initial && text === 'memory') return;
      this._setLibrary('store', text);
      return;
    }
    if (JS_OPTIONS.has(key)) {
      if (key === 'authorization') this._syncGlobalAuth();
      if (key === 'static') this._syncHandback();
      if (key === 'browser client handler' && typeof value === 'function') {
        this._warnOnce('bch', 'sio09: `browser client handler` is not supported; the library serves the client itself');
      }
      return;
    }
    if (!LIBRARY_OPTIONS.has(key)) return; // unknown keys are stored and ignored (0.9)
    if (initial && defaultSettings(null)[key] !== undefined && sameValue(defaultSettings(null)[key], value)) return;
    if (key === 'log colors' && initial) return; // the library decides from its own stdout
    if (key === 'resource' && value instanceof RegExp) {
      this._warnOnce('resource-re', 'sio09: a RegExp `resource` is not supported; keep a string');
      return;
    }
    // 0.9 wrote a falsy timeout as an empty handshake field and fired it at once: the
    // library's 0 does the same
    const text = SECONDS_OPTIONS.has(key) && (value === null || value === '' || value === false || value === undefined)
      ? '0' : optionText(value);
    if (text === null) {
      this.log.warn(`sio09: option "${key}": unsupported value ${String(value)}`);
      return;
    }
    this._setLibrary(key, text);
    if (key === 'resource') this._syncHandback();
  }

  _setLibrary(key, text) {
    if (!this._handle) return;
    try {
      addon.set(this._handle, key, text);
    } catch (err) {
      this.log.warn(`sio09: option "${key}" = ${JSON.stringify(text)}: ${err.message}`);
    }
  }

  // ---------------------------------------------------------------- namespaces

  of(nsp) {
    nsp = nsp === undefined || nsp === null ? '' : String(nsp);
    if (this.namespaces[nsp]) return this.namespaces[nsp];
    const ns = new SocketNamespace(this, nsp);
    this.namespaces[nsp] = ns;
    if (this._started) {
      // declared at the end of this tick, so that an `.authorization(fn)` chained to
      // `of()` is declared with it (no connect slips in between without authorization)
      ns._pendingDeclare = true;
      process.nextTick(() => this._flushDeclare(ns));
    }
    return ns;
  }

  // Declares `ns` now if its declaration is still pending (something needs its id).
  _flushDeclare(ns) {
    if (!ns._pendingDeclare) return;
    ns._pendingDeclare = false;
    if (this._handle) this._declare(ns);
  }

  _declare(ns) {
    try {
      ns._nsp = ns.auth ? addon.ofWithAuthorization(this._handle, ns.name) : addon.of(this._handle, ns.name);
      ns._authRegistered = !!ns.auth;
      this._nspById.set(ns._nsp, ns);
    } catch (err) {
      this.log.warn(`sio09: namespace "${ns.name}" is not served: ${err.message}`);
    }
  }

  // Namespace authorization goes through the host (SIO_EV_AUTHORIZE) only while the
  // namespace has an authorization function: a pending authorization holds back the
  // connect, and packets that follow it in the same payload reach no handlers (as in 0.9).
  _declareAuth(ns) {
    if (!this._started || ns._pendingDeclare || ns._nsp === null || !this._handle) return ns;
    const want = typeof ns.auth === 'function';
    if (want === ns._authRegistered) return ns;
    try {
      if (want) addon.authorization(this._handle, ns._nsp);
      else addon.authorizationOff(this._handle, ns._nsp);
      ns._authRegistered = want;
    } catch (err) {
      this.log.warn(`sio09: authorization for namespace "${ns.name}": ${err.message}`);
    }
    return ns;
  }

  // The handshake goes through the host only while `authorization` is a function.
  _syncGlobalAuth() {
    if (!this._started || !this._handle) return;
    const want = typeof this.settings.authorization === 'function';
    if (want === !!this._globalAuth) return;
    try {
      if (want) addon.authorization(this._handle, NSP_GLOBAL);
      else addon.authorizationOff(this._handle, NSP_GLOBAL);
      this._globalAuth = want;
    } catch (err) {
      this.log.warn(`sio09: global authorization: ${err.message}`);
    }
  }

  // ---------------------------------------------------------------- 0.9 session maps
  //
  // Live views of the library's sessions, as 0.9's manager maps: handshaken (id ->
  // handshake data), connected and open (id -> true), closed (id -> buffered packets; the
  // library keeps those itself, so the arrays are empty).

  _sessionSet(which) {
    if (!this._started || !this._handle) return which & SESSIONS.WITH_DATA ? {} : [];
    try {
      return JSON.parse(addon.sessions(this._handle, which));
    } catch (err) {
      this.log.warn(`sio09: sessions: ${err.message}`);
      return which & SESSIONS.WITH_DATA ? {} : [];
    }
  }

  get handshaken() { return this._sessionSet(SESSIONS.HANDSHAKEN | SESSIONS.WITH_DATA); }

  get connected() { return Object.fromEntries(this._sessionSet(SESSIONS.CONNECTED).map((id) => [id, true])); }

  get open() { return Object.fromEntries(this._sessionSet(SESSIONS.OPEN).map((id) => [id, true])); }

  get closed() { return Object.fromEntries(this._sessionSet(SESSIONS.CLOSED).map((id) => [id, []])); }

  // ---------------------------------------------------------------- hand-back
  //
  // A keep-alive connection handed to the library still belongs to the app: a later
  // request on it outside the resource, or for a static file (which Node serves, see
  // static.js), comes back as SIO_EV_HANDBACK and is given to the http.Server as a new
  // connection, with the bytes the library had read fed to Node's parser first.

  _handbackPaths() {
    const resource = this.get('resource');
    if (typeof resource !== 'string') return [];
    const st = this.get('static');
    return st && typeof st.handbackPaths === 'function' ? st.handbackPaths(resource) : [];
  }

  _syncHandback() {
    if (!this._started || !this._handle || !this.server) return;
    try {
      addon.setHandback(this._handle, true, this._handbackPaths());
    } catch (err) {
      this.log.warn(`sio09: connection hand-back: ${err.message}`);
    }
  }

  _onHandback(fd, peer, bytes) {
    const server = this.server;
    let sock = null;
    try {
      if (!server || typeof server.emit !== 'function') throw new Error('no http.Server to give it to');
      sock = new net.Socket({ fd, readable: true, writable: true });
    } catch (err) {
      this.log.warn(`sio09: a connection handed back (${peer}) could not be resumed: ${err.message}`);
      try { fs.closeSync(fd); } catch (e) { /* already closed */ }
      return;
    }
    this._handbacks = (this._handbacks || 0) + 1;
    if (this._tls) resumeDecrypted(server, sock, peer);
    else server.emit('connection', sock);
    if (bytes && bytes.length) sock.emit('data', bytes);
  }

  // ---------------------------------------------------------------- start / stop

  _h() {
    if (!this._started) this._start();
    return this._handle;
  }

  _start() {
    if (this._started || !this._handle) return;
    this._started = true;
    if (this._startTimer) { clearImmediate(this._startTimer); this._startTimer = null; }
    for (const name of Object.keys(this.namespaces)) this._declare(this.namespaces[name]);
    this._syncGlobalAuth();
    addon.start(this._handle, (batch) => this._onEvents(batch));
    // with a RedisStore, other nodes' joins and leaves (and theirs for our sessions) keep
    // io.rooms / io.roomClients cluster-wide, as 0.9.19's did
    try { addon.setRoomEvents(this._handle, true); } catch (e) { /* an older library */ }
    try {
      addon.listen(this._handle, null);
    } catch (err) {
      this.log.warn('error raised: ' + err.message);
      return;
    }
    this._syncHandback();
  }

  /**
   * Not in socket.io 0.9: stops the library server (sessions end, the port closes) and
   * releases it. `cb` runs once it is released.
   */
  close(cb) {
    if (this._startTimer) { clearImmediate(this._startTimer); this._startTimer = null; }
    if (this._handle) {
      const h = this._handle;
      this._handle = null;
      this._stopped = true;
      try { addon.stop(h, 0); } catch (e) { /* already closed */ }
      addon.close(h);
    }
    if (typeof cb === 'function') setImmediate(cb);
  }

  // ---------------------------------------------------------------- events from the library

  _onEvents(batch) {
    let firstError = null;
    for (let i = 0; i < batch.length; i += 7) {
      try {
        this._onEvent(batch[i], batch[i + 1], batch[i + 2], batch[i + 3], batch[i + 4], batch[i + 5], batch[i + 6]);
      } catch (err) {
        if (firstError === null) firstError = err;
      }
    }
    // an exception from an application handler is rethrown (uncaught, as in 0.9), after the
    // rest of the batch was delivered
    if (firstError !== null) throw firstError;
  }

  _onEvent(kind, nsp, sock, id, sid, name, data) {
    switch (kind) {
      case EV.EVENT: {
        const socket = this._sockets.get(sock);
        if (!socket) return;
        const args = parseArgs(data);
        if (id) args.push(this._ackFunction(sock, id));
        socket.$emit(name, ...args);
        return;
      }
      case EV.MESSAGE:
      case EV.JSON: {
        const socket = this._sockets.get(sock);
        if (!socket) return;
        let value = data;
        if (kind === EV.JSON) {
          try { value = JSON.parse(data); } catch (e) { value = false; }
        }
        if (id) socket.$emit('message', value, this._ackFunction(sock, id));
        else socket.$emit('message', value);
        return;
      }
      case EV.CONNECTION: return this._onConnection(nsp, sock, sid, name, data);
      case EV.DISCONNECT: return this._onDisconnect(sock, sid, name);
      case EV.ACK: {
        const entry = this._acks.get(id);
        if (!entry) return;
        this._acks.delete(id);
        if (entry.socket._acks) entry.socket._acks.delete(id);
        entry.fn.apply(entry.socket, parseArgs(data));
        return;
      }
      case EV.STORE: return this._onStore(id, data);
      case EV.AUTHORIZE: return this._onAuthorize(nsp, id, data);
      case EV.ERROR:
        this.log.warn(`sio09: ${name}${sid ? ' (' + sid + ')' : ''}`);
        return;
      case EV.HANDBACK: return this._onHandback(Number(id), name, data);
      case EV.ROOM: return this._onRoom(Number(id), sid, name);
      case EV.STOPPED:
        this._stopped = true;
        return;
      default:
    }
  }

  _ackFunction(sock, ackId) {
    let handle = this._handle;
    return (...args) => {
      if (!handle || handle !== this._handle) return;
      this.log.debug('sending data ack packet');
      addon.ack(handle, sock, ackId, JSON.stringify(args));
    };
  }

  _onConnection(nsp, sock, sid, transport, data) {
    const ns = this._nspById.get(nsp);
    if (!ns) return;
    let socket = ns.sockets[sid];
    if (!socket || socket._native !== sock) {
      socket = new Socket(this, ns, sid, sock);
      ns.sockets[sid] = socket;
    }
    socket.disconnected = false;
    this._sockets.set(sock, socket);
    try { socket._handshake = data ? JSON.parse(data) : null; } catch (e) { socket._handshake = null; }
    socket._transport = transport || null;
    if (transport && !this.transports[sid]) {
      const info = { id: sid, name: transport, open: true };
      if (transport === 'websocket' || transport === 'flashsocket') {
        info.protocolVersion = this._wsVersions.get(sid);
      }
      this.transports[sid] = info;
    }
    this.onJoin(sid, ns.name);
    ns.$emit('connection', socket);
  }

  _onDisconnect(sock, sid, reason) {
    const socket = this._sockets.get(sock);
    if (!socket) return;
    this._sockets.delete(sock);
    const ns = socket.namespace;
    if (ns.sockets[socket.id] === socket) delete ns.sockets[socket.id];
    socket.disconnected = true;
    // out of this namespace and its rooms; out of everything when no namespace is left
    const prefix = ns.name + '/';
    const rooms = this.roomClients[sid];
    if (rooms) {
      for (const name of Object.keys(rooms)) {
        if (name === ns.name || name.startsWith(prefix)) this.onLeave(sid, name);
      }
    }
    // every namespace a session is in is one of its rooms: none left, the session is gone
    const left = this.roomClients[sid];
    if (!left || Object.keys(left).length === 0) this._forgetClient(sid);
    if (socket._acks) {
      for (const t of socket._acks) this._acks.delete(t);
      socket._acks = null;
    }
    socket.$emit('disconnect', reason);
  }

  _handshakeOf(sid) {
    for (const s of this._sockets.values()) if (s.id === sid && s._handshake) return s._handshake;
    return null;
  }

  _transportOf(sid) {
    for (const s of this._sockets.values()) if (s.id === sid && s._transport) return s._transport;
    return null;
  }

  _nextToken() {
    this._token = this._token >= Number.MAX_SAFE_INTEGER ? 1 : this._token + 1;
    return this._token;
  }

  _addAck(socket, fn) {
    const token = this._nextToken();
    this._acks.set(token, { socket, fn });
    if (!socket._acks) socket._acks = new Set();
    socket._acks.add(token);
    return token;
  }

  _dropAck(socket, token) {
    this._acks.delete(token);
    if (socket._acks) socket._acks.delete(token);
  }

  _addStoreCallback(op, fn) {
    const token = this._nextToken();
    this._storeCbs.set(token, { op, fn });
    return token;
  }

  _takeStoreCallback(token) {
    const e = this._storeCbs.get(token);
    this._storeCbs.delete(token);
    return e;
  }

  _onStore(token, data) {
    const entry = this._takeStoreCallback(token);
    if (!entry) return;
    let value = null;
    try { value = data ? JSON.parse(data) : null; } catch (e) { value = null; }
    if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.error === 'string'
        && Object.keys(value).length === 1 && entry.op !== 1) {
      entry.fn(new Error(value.error));
      return;
    }
    if (entry.op === 1 || entry.op === 2) entry.fn(null, entry.op === 2 ? !!value : value);
    else entry.fn(null);
  }

  _onAuthorize(nsp, request, data) {
    const global = nsp === NSP_GLOBAL;
    const ns = global ? null : this._nspById.get(nsp);
    const fn = global ? this.settings.authorization : (ns && ns.auth);
    const handle = this._handle;
    if (typeof fn !== 'function') {
      addon.authReply(handle, request, true, null, null);
      if (global) this.log.debug('client authorized');
      else this.log.debug('client authorized for ' + (ns ? ns.name : ''));
      return;
    }
    let hs;
    try { hs = data ? JSON.parse(data) : {}; } catch (e) { hs = {}; }
    let answered = false;
    const reply = (err, authorized) => {
      if (answered) return;
      answered = true;
      if (!this._handle || this._handle !== handle) return;
      if (err) {
        const msg = err instanceof Error ? err.message : String(err);
        addon.authReply(handle, request, false, msg, null);
        return;
      }
      let json = null;
      if (authorized) {
        try {
          const now = JSON.stringify(hs);
          if (now !== data) json = now;
        } catch (e) { json = null; }
      }
      addon.authReply(handle, request, !!authorized, null, json);
    };
    try {
      fn.call(global ? this : ns, hs, reply);
    } catch (err) {
      reply(err, false);
      throw err;
    }
  }
}

function parseArgs(data) {
  if (!data) return [];
  try {
    const v = JSON.parse(data);
    return Array.isArray(v) ? v : [v];
  } catch (e) {
    return [];
  }
}

function sameValue(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

Manager.defaultTransports = DEFAULT_TRANSPORTS;

module.exports = Manager;
