'use strict';
// Raw TCP helpers (node:net) for byte-level checks: arbitrary request bytes, "closed without
// a response", and a hand-rolled RFC 6455 client that can send any frame and sees every byte.

const net = require('node:net');
const crypto = require('node:crypto');

class RawConn {
  constructor(sock) {
    this.sock = sock;
    this.data = Buffer.alloc(0);
    this.ended = false;      // peer sent FIN or the socket closed
    this.closed = false;
    this.error = null;
    this.listeners = [];
    sock.on('data', (d) => { this.data = Buffer.concat([this.data, d]); this._notify(); });
    sock.on('end', () => { this.ended = true; this._notify(); });
    sock.on('error', (err) => { this.error = err; this._notify(); });
    sock.on('close', () => { this.ended = true; this.closed = true; this._notify(); });
    this.closedPromise = new Promise((resolve) => sock.once('close', resolve));
  }

  _notify() { for (const l of this.listeners.slice()) l(); }

  write(bytes) { this.sock.write(bytes); }

  // Wait until cond(this) is true; rejects after timeoutMs.
  waitUntil(cond, timeoutMs = 5000, what = 'condition') {
    return new Promise((resolve, reject) => {
      const check = () => {
        let ok = false;
        try { ok = cond(this); } catch (e) { ok = false; }
        if (ok) { done(); resolve(this); }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${this.data.length} bytes: ${JSON.stringify(this.data.toString('latin1').slice(0, 500))}, ended=${this.ended}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.listeners = this.listeners.filter((l) => l !== check); };
      this.listeners.push(check);
      check();
    });
  }

  waitEnded(timeoutMs = 5000) { return this.waitUntil((c) => c.ended, timeoutMs, 'connection end'); }

  destroy() { this.sock.destroy(); }
}

function connect(port, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('TCP connect timeout')); }, timeoutMs);
    sock.once('connect', () => { clearTimeout(timer); resolve(new RawConn(sock)); });
    sock.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

// Send raw request bytes; resolve { data: Buffer, text, ended } once the peer closes the
// connection or `timeoutMs` passes (whichever first). `endAfter` lets callers stop early when
// the data satisfies a predicate.
async function exchange(port, bytes, { timeoutMs = 5000, until } = {}) {
  const c = await connect(port);
  c.write(bytes);
  try {
    await c.waitUntil((x) => x.ended || (until && until(x.data)), timeoutMs, 'response');
  } catch (e) { /* timeout: report what we have */ }
  const result = { data: c.data, text: c.data.toString('utf8'), ended: c.ended };
  c.destroy();
  return result;
}

// ---------------------------------------------------------------- RFC 6455 by hand

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function acceptKey(key) {
  return crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
}

// Build a client frame. opts: { fin=true, opcode=1, mask=true, rsv=0, payload (Buffer|string) }
function frame({ fin = true, opcode = 1, mask = true, rsv = 0, payload = Buffer.alloc(0) } = {}) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  const len = body.length;
  let header;
  if (len <= 125) {
    header = Buffer.alloc(2);
    header[1] = len;
  } else if (len <= 0xffff) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    header.writeUInt32BE(len >>> 0, 6);
  }
  header[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  if (!mask) return Buffer.concat([header, body]);
  header[1] |= 0x80;
  const key = crypto.randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = body[i] ^ key[i & 3];
  return Buffer.concat([header, key, masked]);
}

// Parse server frames from a buffer. Returns { frames, rest }. Each frame:
// { fin, rsv, opcode, masked, length, payload: Buffer, text }.
function parseFrames(buf) {
  const frames = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    const b0 = buf[off];
    const b1 = buf[off + 1];
    let len = b1 & 0x7f;
    let pos = off + 2;
    if (len === 126) {
      if (buf.length - pos < 2) break;
      len = buf.readUInt16BE(pos); pos += 2;
    } else if (len === 127) {
      if (buf.length - pos < 8) break;
      len = buf.readUInt32BE(pos) * 2 ** 32 + buf.readUInt32BE(pos + 4); pos += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    let key = null;
    if (masked) {
      if (buf.length - pos < 4) break;
      key = buf.subarray(pos, pos + 4); pos += 4;
    }
    if (buf.length - pos < len) break;
    let payload = Buffer.from(buf.subarray(pos, pos + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    frames.push({
      fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, length: len,
      payload, text: payload.toString('utf8'),
    });
    off = pos + len;
  }
  return { frames, rest: buf.subarray(off) };
}

class RawWs {
  constructor(conn) {
    this.conn = conn;
    this.status = null;
    this.statusLine = '';
    this.headers = {};
    this.headText = '';
    this.body = Buffer.alloc(0);     // every byte after the response head
  }

  get ended() { return this.conn.ended; }

  // All frames parsed from the bytes after the head (a corrupt stream may parse as junk).
  get frames() { return parseFrames(this.body).frames; }
  get texts() { return this.frames.filter((f) => f.opcode === 1).map((f) => f.text); }

  _sync() {
    const idx = this.conn.data.indexOf('\r\n\r\n');
    if (idx < 0) return false;
    this.body = this.conn.data.subarray(idx + 4);
    return true;
  }

  waitFrame(pred, timeoutMs = 5000, what = 'frame') {
    return this.conn.waitUntil(() => {
      this._sync();
      return this.frames.some(pred);
    }, timeoutMs, what).then(() => this.frames.find(pred));
  }

  waitText(text, timeoutMs = 5000) {
    return this.waitFrame((f) => f.opcode === 1 && f.text === text, timeoutMs, `text frame ${JSON.stringify(text)}`);
  }

  waitBytes(n, timeoutMs = 5000) {
    return this.conn.waitUntil(() => this._sync() && this.body.length >= n, timeoutMs, `${n} body bytes`);
  }

  waitEnded(timeoutMs = 5000) {
    return this.conn.waitEnded(timeoutMs).then(() => this._sync());
  }

  send(opts) { this.conn.write(frame(opts)); }
  sendText(text) { this.send({ opcode: 1, payload: text }); }
  destroy() { this.conn.destroy(); }
}

// Upgrade request for `path` with the given headers (null value = header omitted).
// Resolves with a RawWs once a full response head arrived, or with { ended: true } style
// RawWs (status null) when the connection closed without any response.
async function rawUpgrade(port, path, { headers = {}, key, version = '13', timeoutMs = 5000 } = {}) {
  const wsKey = key === undefined ? crypto.randomBytes(16).toString('base64') : key;
  const base = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': wsKey,
    'Sec-WebSocket-Version': version,
  };
  const all = { ...base, ...headers };
  let req = `GET ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(all)) if (v !== null && v !== undefined) req += `${k}: ${v}\r\n`;
  req += '\r\n';
  const conn = await connect(port);
  const rw = new RawWs(conn);
  rw.key = wsKey;
  conn.write(req);
  try {
    await conn.waitUntil((c) => c.ended || c.data.indexOf('\r\n\r\n') >= 0, timeoutMs, 'upgrade response');
  } catch (e) {
    rw.timedOut = true;
  }
  const idx = conn.data.indexOf('\r\n\r\n');
  if (idx >= 0) {
    rw.headText = conn.data.subarray(0, idx).toString('latin1');
    const lines = rw.headText.split('\r\n');
    rw.statusLine = lines[0];
    const m = /^HTTP\/1\.1 (\d{3})/.exec(lines[0]);
    rw.status = m ? Number(m[1]) : null;
    for (const line of lines.slice(1)) {
      const c = line.indexOf(':');
      if (c > 0) rw.headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
    }
    rw._sync();
  }
  return rw;
}

module.exports = { connect, exchange, RawConn, RawWs, rawUpgrade, frame, parseFrames, acceptKey };
