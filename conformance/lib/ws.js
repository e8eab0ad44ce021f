'use strict';
// Raw websocket helper on `ws` (strict RFC 6455 client): one socket.io session per object.
// Frames are collected as strings; tests wait for frames matching a predicate.

const WebSocket = require('ws');
const { handshake } = require('./http');

class WsSession {
  constructor(ws, sid) {
    this.ws = ws;
    this.sid = sid;
    this.frames = [];       // every text frame received, in order
    this.binary = [];       // binary frames (should never happen)
    this.waiters = [];
    this.closed = false;
    this.closeCode = null;
    this.closeReason = '';
    this.error = null;
    this.pongs = [];
    this._cursor = 0;       // index of the first frame not consumed by next()
    this.closedPromise = new Promise((resolve) => { this._resolveClosed = resolve; });
    ws.on('message', (data, isBinary) => {
      if (isBinary) { this.binary.push(Buffer.from(data)); return; }
      this.frames.push(data.toString('utf8'));
      this._check();
    });
    ws.on('pong', (data) => { this.pongs.push(Buffer.from(data)); this._check(); });
    ws.on('error', (err) => { this.error = err; });
    ws.on('close', (code, reason) => {
      this.closed = true;
      this.closeCode = code;
      this.closeReason = reason ? reason.toString() : '';
      this._resolveClosed({ code, reason: this.closeReason });
      this._check();
    });
  }

  _check() {
    for (const w of this.waiters.slice()) w.check();
  }

  // Wait for a frame (from index `from`) satisfying pred (string | RegExp | function).
  // Resolves with the frame string; rejects after timeoutMs or when the socket closes first.
  waitFor(pred, timeoutMs = 5000, from = 0) {
    const match = toPredicate(pred);
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          for (let i = from; i < this.frames.length; i++) {
            if (match(this.frames[i])) { done(); return resolve(this.frames[i]); }
          }
          if (this.closed) {
            done();
            return reject(new Error(`socket closed (code ${this.closeCode}) before a frame matching ${describe(pred)}; frames: ${JSON.stringify(this.frames).slice(0, 2000)}`));
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no frame matching ${describe(pred)} within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames).slice(0, 2000)}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((x) => x !== w); };
      this.waiters.push(w);
      w.check();
    });
  }

  // Wait for the next frame after the ones already consumed by next(), in order.
  async next(timeoutMs = 5000) {
    const idx = this._cursor;
    const f = await this.waitFor(() => true, timeoutMs, idx);
    // waitFor returns the first frame from idx: that is frames[idx]
    this._cursor = idx + 1;
    return f;
  }

  // Wait for a frame matching pred that arrives after the current end of the list.
  waitForNew(pred, timeoutMs = 5000) {
    return this.waitFor(pred, timeoutMs, this.frames.length);
  }

  count(pred) {
    const match = toPredicate(pred);
    return this.frames.filter(match).length;
  }

  send(text) {
    this.ws.send(text);
  }

  // Send an event packet; returns the packet text.
  emit(name, args, { id, endpoint = '' } = {}) {
    const data = args === undefined ? { name } : { name, args };
    const p = `5:${id === undefined ? '' : id}:${endpoint}:${JSON.stringify(data)}`;
    this.ws.send(p);
    return p;
  }

  // Emit with a data ack (`5:N+:...`) and wait for `6:{ep}:N+[...]`; resolves with the args array.
  async call(name, args, { id, endpoint = '', timeoutMs = 5000 } = {}) {
    if (id === undefined) { this._ackId = (this._ackId || 100) + 1; id = this._ackId; }
    this.emit(name, args, { id: `${id}+`, endpoint });
    const prefix = `6::${endpoint}:${id}`;
    const frame = await this.waitFor((f) => f === prefix || f.startsWith(prefix + '+'), timeoutMs);
    return frame === prefix ? [] : JSON.parse(frame.slice(prefix.length + 1));
  }

  waitClosed(timeoutMs = 5000) {
    return Promise.race([
      this.closedPromise,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`websocket not closed within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames).slice(0, 1000)}`)), timeoutMs)),
    ]);
  }

  close() {
    if (!this.closed) {
      try { this.ws.terminate(); } catch (e) { /* ignore */ }
    }
  }
}

function toPredicate(pred) {
  if (typeof pred === 'function') return pred;
  if (pred instanceof RegExp) return (f) => pred.test(f);
  return (f) => f === pred;
}

function describe(pred) {
  if (typeof pred === 'function') return pred.name || 'predicate';
  return String(pred instanceof RegExp ? pred : JSON.stringify(pred));
}

// Open a websocket for an existing sid. Resolves once the upgrade succeeded.
function openWs(target, sid, { query = '', headers = {}, origin, timeoutMs = 10000, path } = {}) {
  const url = `${target.wsUrl}${path || `/socket.io/1/websocket/${sid}`}${query ? (query.startsWith('?') ? query : '?' + query) : ''}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, origin, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const session = new WsSession(ws, sid);
    const onErr = (err) => { cleanup(); ws.terminate(); reject(err); };
    const onOpen = () => { cleanup(); resolve(session); };
    const onUnexpected = (req, res) => {
      cleanup();
      const err = new Error(`unexpected upgrade response ${res.statusCode}`);
      err.status = res.statusCode;
      ws.terminate();
      reject(err);
    };
    const cleanup = () => {
      ws.off('error', onErr); ws.off('open', onOpen); ws.off('unexpected-response', onUnexpected);
    };
    ws.on('error', onErr);
    ws.on('open', onOpen);
    ws.on('unexpected-response', onUnexpected);
  });
}

// Handshake + websocket + wait for the first `1::` frame.
async function connectWs(target, { query = '', headers = {}, origin, expectConnect = true } = {}) {
  const hs = await handshake(target, query);
  const s = await openWs(target, hs.sid, { headers, origin });
  s.handshake = hs;
  if (expectConnect) await s.waitFor('1::', 5000);
  return s;
}

// Connect a websocket client to a namespace (after connectWs) and wait for the echo.
async function joinNamespace(s, nsp, timeoutMs = 5000) {
  s.send(`1::${nsp}`);
  await s.waitFor(`1::${nsp}`, timeoutMs);
}

module.exports = { WsSession, openWs, connectWs, joinNamespace, WebSocket };
