'use strict';
// SocketNamespace: `io.sockets`, `io.of('/chat')` (socket.io 0.9). `emit`/`send` go to the
// members of the namespace (or of a room with `in`/`to`), as one libsio09 broadcast.

const { EventEmitter } = require('node:events');
const { addon, PK, F_VOLATILE } = require('./native');
const Socket = require('./socket');

const $emit = EventEmitter.prototype.emit;

class SocketNamespace extends EventEmitter {
  constructor(manager, name) {
    super();
    this.manager = manager;
    this.name = name || '';
    this.sockets = {};
    this.auth = false;
    this._authRegistered = false;
    this._pendingDeclare = false;
    this._nsp = null; // libsio09 namespace id, once declared
    this._resetFlags();
  }

  get log() { return this.manager.log; }

  get store() { return this.manager.store; }

  get json() { this.flags.json = true; return this; }

  get volatile() { this.flags.volatile = true; return this; }

  in(room) { this.flags.room = room || null; return this; }

  to(room) { return this.in(room); }

  except(id) { this.flags.exceptions.push(id); return this; }

  _resetFlags() {
    this.flags = { json: false, volatile: false, room: null, exceptions: [] };
  }

  setFlags() { this._resetFlags(); return this; }

  _takeFlags() {
    const f = this.flags;
    this._resetFlags();
    return f;
  }

  send(data) {
    const f = this._takeFlags();
    const text = f.json ? Socket.stringifyValue(data) : Socket.messageText(data);
    this._broadcast(f.room, f.exceptions, f.json ? PK.JSON : PK.MESSAGE, null, text, f.volatile);
    return this;
  }

  emit(name, ...args) {
    if (name === 'newListener' || name === 'removeListener') return $emit.call(this, name, ...args);
    const f = this._takeFlags();
    // callbacks cannot be attached to broadcasts (PROTOCOL.md §5.5): a trailing function is dropped
    if (args.length > 0 && typeof args[args.length - 1] === 'function') args.pop();
    this._broadcast(f.room, f.exceptions, PK.EVENT, String(name), JSON.stringify(args), f.volatile);
    return this;
  }

  $emit(...args) { return $emit.apply(this, args); }

  // room: bare room name in this namespace, or null for the namespace itself;
  // except: session ids (strings) to leave out.
  _broadcast(room, except, packet, name, data, volatile) {
    const m = this.manager;
    m._flushDeclare(this);
    if (this._nsp === null) return; // not declared in the library (see Manager#of)
    let ids = null;
    if (except && except.length) {
      ids = [];
      for (const sid of except) {
        const id = this._nativeIdOf(sid);
        if (id) ids.push(id);
      }
    }
    addon.broadcast(m._h(), this._nsp, room === null || room === undefined || room === '' ? null : String(room),
      ids, packet, name, data, volatile ? F_VOLATILE : 0);
  }

  _nativeIdOf(sid) {
    const s = this.sockets[sid];
    if (s && s._native) return s._native;
    if (this._nsp === null || !this.manager._started) return 0;
    return addon.lookup(this.manager._h(), this._nsp, String(sid)) || 0;
  }

  // The sockets in `room` of this namespace (the namespace itself without one), as 0.9
  // answered from its room map: in join order, current right after join()/leave(). The
  // namespace's own list also takes in sessions the library has admitted whose connection
  // event is still on its way here (their client may already have its `1::`).
  clients(room) {
    const key = this.name + (room ? '/' + room : '');
    const ids = (this.manager.rooms[key] || []).slice();
    if (!room) {
      this.manager._flushDeclare(this);
      if (this._nsp !== null && this.manager._started && this.manager._handle) {
        let live = [];
        try { live = JSON.parse(addon.clients(this.manager._handle, this._nsp, null)); } catch (e) { live = []; }
        const known = new Set(ids);
        for (const sid of live) if (!known.has(sid)) ids.push(sid);
      }
    }
    return ids.map((sid) => this.socket(sid));
  }

  socket(sid) {
    sid = String(sid);
    this.manager._flushDeclare(this);
    const existing = this.sockets[sid];
    if (existing) return existing;
    // a socket object for a session this namespace has no connection event for (yet)
    const id = this._nsp !== null && this.manager._started ? addon.lookup(this.manager._h(), this._nsp, sid) : null;
    const s = new Socket(this.manager, this, sid, id || 0);
    if (id) {
      this.sockets[sid] = s;
      this.manager._sockets.set(id, s);
    }
    return s;
  }

  authorization(fn) {
    this.auth = typeof fn === 'function' ? fn : false;
    this.manager._declareAuth(this);
    return this;
  }
}

module.exports = SocketNamespace;
