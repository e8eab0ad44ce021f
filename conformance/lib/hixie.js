'use strict';
// A small hixie-75/76 websocket client on raw node:net sockets (PROTOCOL.md §3.2.3), written
// for this suite: it sends exactly the bytes a test asks for (keys, the 8-byte body now, later
// or never, frames split anywhere) and records every byte it receives.

const crypto = require('node:crypto');
const tcp = require('./tcp');

// The draft's own example (draft-hixie-thewebsocketprotocol-76 §1.3).
const SPEC = {
  key1: '4 @1  46546xW%0l 1 5',
  key2: '12998 5 Y3 1  .P00',
  key3: Buffer.from('^n:ds[4U', 'latin1'),
  answer: Buffer.from("8jKS'y:G*Co,Wxa-", 'latin1'),
};

// A Sec-WebSocket-Key for key number `number` with `spaces` spaces (number * spaces must stay
// below 2^32 for a valid key): the digits of number*spaces with the spaces and some letters
// mixed in, deterministically.
function makeKey(number, spaces) {
  const digits = String(BigInt(number) * BigInt(spaces)).split('');
  const out = [];
  const filler = 'aZ%?';
  for (let i = 0; i < digits.length; i++) {
    out.push(digits[i]);
    if (i % 2 === 0) out.push(filler[i % filler.length]);
  }
  // spaces strictly inside the key (never first or last, as the draft requires of clients)
  for (let s = 0; s < spaces; s++) out.splice(1 + ((s * 3) % (out.length - 1)), 0, ' ');
  return out.join('');
}

// The key number the draft defines: digits / spaces (null when the key is invalid).
function keyNumber(key) {
  const digits = key.replace(/[^0-9]/g, '');
  const spaces = key.replace(/[^ ]/g, '').length;
  if (digits === '' || spaces === 0) return null;
  const n = BigInt(digits);
  if (n > 0xffffffffn || n % BigInt(spaces) !== 0n) return null;
  return Number(n / BigInt(spaces));
}

// The 16-byte answer to keys `key1`/`key2` and the 8-byte `key3`.
function challengeAnswer(key1, key2, key3) {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(keyNumber(key1), 0);
  b.writeUInt32BE(keyNumber(key2), 4);
  return crypto.createHash('md5').update(Buffer.concat([b, key3])).digest();
}

// Parse the server's bytes after the head (and after the 16-byte answer for hixie-76):
// { texts: [string], close: bool (0xFF 0x00 seen), junk: bool (a byte that starts no frame),
//   rest: Buffer (an unfinished frame) }.
function parseFrames(buf) {
  const texts = [];
  let close = false;
  let junk = false;
  let off = 0;
  while (off < buf.length) {
    if (buf[off] === 0x00) {
      const end = buf.indexOf(0xff, off + 1);
      if (end < 0) break;
      texts.push(buf.subarray(off + 1, end).toString('utf8'));
      off = end + 1;
    } else if (buf[off] === 0xff && buf[off + 1] === 0x00) {
      close = true;
      off += 2;
    } else if (buf[off] === 0xff && off + 1 === buf.length) {
      break;
    } else {
      junk = true;
      break;
    }
  }
  return { texts, close, junk, rest: buf.subarray(off) };
}

// One frame as the client sends it.
function frame(text) {
  return Buffer.concat([Buffer.from([0x00]), Buffer.from(text, 'utf8'), Buffer.from([0xff])]);
}

const CLOSE = Buffer.from([0xff, 0x00]);

class HixieConn {
  constructor(conn, draft) {
    this.conn = conn;
    this.draft = draft;
    this.status = null;
    this.statusLine = '';
    this.headText = '';
    this.headerLines = [];   // [name, value] in order, names as sent
    this.headers = {};       // lower-case name -> value
  }

  get ended() { return this.conn.ended; }
  get data() { return this.conn.data; }

  // Bytes after the response head.
  get afterHead() {
    const idx = this.conn.data.indexOf('\r\n\r\n');
    return idx < 0 ? Buffer.alloc(0) : this.conn.data.subarray(idx + 4);
  }

  // The 16-byte challenge answer (hixie-76), or null while incomplete.
  get answer() {
    const b = this.afterHead;
    return this.draft === 76 && b.length >= 16 ? Buffer.from(b.subarray(0, 16)) : null;
  }

  // Bytes carrying frames (after the answer for hixie-76).
  get frameBytes() {
    const b = this.afterHead;
    return this.draft === 76 ? b.subarray(Math.min(16, b.length)) : b;
  }

  get parsed() { return parseFrames(this.frameBytes); }
  get texts() { return this.parsed.texts; }

  _readHead() {
    const idx = this.conn.data.indexOf('\r\n\r\n');
    if (idx < 0) return false;
    this.headText = this.conn.data.subarray(0, idx).toString('latin1');
    const lines = this.headText.split('\r\n');
    this.statusLine = lines[0];
    const m = /^HTTP\/1\.1 (\d{3})/.exec(lines[0]);
    this.status = m ? Number(m[1]) : null;
    this.headerLines = [];
    this.headers = {};
    for (const line of lines.slice(1)) {
      const c = line.indexOf(':');
      if (c > 0) {
        const name = line.slice(0, c);
        const value = line.slice(c + 1).replace(/^ /, '');
        this.headerLines.push([name, value]);
        this.headers[name.toLowerCase()] = value;
      }
    }
    return true;
  }

  waitAnswer(timeoutMs = 5000) {
    return this.conn.waitUntil(() => this.answer !== null, timeoutMs, 'the 16-byte answer');
  }

  waitText(text, timeoutMs = 5000) {
    return this.conn.waitUntil(() => this.texts.includes(text), timeoutMs, `hixie frame ${JSON.stringify(text)}`);
  }

  waitFrame(pred, timeoutMs = 5000, what = 'hixie frame') {
    return this.conn.waitUntil(() => this.texts.some(pred), timeoutMs, what).then(() => this.texts.find(pred));
  }

  waitEnded(timeoutMs = 5000) { return this.conn.waitEnded(timeoutMs); }

  write(bytes) { this.conn.write(bytes); }
  sendText(text) { this.conn.write(frame(text)); }
  sendClose() { this.conn.write(CLOSE); }
  destroy() { this.conn.destroy(); }
}

// Open a hixie upgrade of `path`. Options:
//   draft: 76 (default) or 75
//   key1, key2, key3: hixie-76 keys (default: the draft's example)
//   body: 'now' (key3 in the same write as the head, default), 'never' (the caller sends it)
//   headers: extra or overriding headers (null value = omitted); Origin defaults to
//            http://127.0.0.1:{port}
// Resolves once the response head arrived, or the connection ended, or timeoutMs passed.
async function upgrade(port, path, { draft = 76, key1 = SPEC.key1, key2 = SPEC.key2, key3 = SPEC.key3, body = 'now', headers = {}, timeoutMs = 5000 } = {}) {
  const base = {
    Upgrade: 'WebSocket',
    Connection: 'Upgrade',
    Host: `127.0.0.1:${port}`,
    Origin: `http://127.0.0.1:${port}`,
  };
  if (draft === 76) {
    base['Sec-WebSocket-Key1'] = key1;
    base['Sec-WebSocket-Key2'] = key2;
  }
  const all = { ...base, ...headers };
  let head = `GET ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(all)) if (v !== null && v !== undefined) head += `${k}: ${v}\r\n`;
  head += '\r\n';
  const conn = await tcp.connect(port);
  const hc = new HixieConn(conn, draft);
  const bytes = [Buffer.from(head, 'latin1')];
  if (draft === 76 && body === 'now') bytes.push(key3);
  conn.write(Buffer.concat(bytes));
  try {
    await conn.waitUntil((c) => c.ended || c.data.indexOf('\r\n\r\n') >= 0, timeoutMs, 'hixie upgrade response');
  } catch (e) {
    hc.timedOut = true;
  }
  hc._readHead();
  return hc;
}

module.exports = { SPEC, makeKey, keyNumber, challengeAnswer, parseFrames, frame, CLOSE, upgrade, HixieConn };
