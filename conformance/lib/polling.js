'use strict';
// HTTP-transport helpers (xhr-polling, jsonp-polling, htmlfile; PROTOCOL.md §2.8, §3.4–§3.7):
// requests with a choice of agent (keep-alive for cheap long-poll loops) and abort signals,
// U+FFFD payload encoding/decoding with UTF-16 lengths, JSONP unwrapping, form `d=` bodies,
// a polling session that keeps one GET pending and collects packets, and a raw htmlfile
// stream reader that sees every chunk.

const http = require('node:http');
const { handshake, request } = require('./http');
const tcp = require('./tcp');

const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const closeAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

// req(target, { method, path, headers, body, timeout, agent, signal }) ->
//   { status, headers, rawHeaders, body: Buffer, text }
// agent: 'keep-alive' (default), 'close', or an http.Agent. A signal aborts the request
// (rejects with err.name 'AbortError').
function req(target, opts = {}) {
  let agent = opts.agent === undefined || opts.agent === 'keep-alive' ? keepAliveAgent : opts.agent;
  if (agent === 'close') agent = closeAgent;
  return request(target, { ...opts, agent });
}

// Header names of a response, lower-cased, without the incidental ones of §3.8.
function headerNames(res, incidental = ['date', 'keep-alive', 'connection']) {
  const names = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const n = res.rawHeaders[i].toLowerCase();
    if (!incidental.includes(n)) names.push(n);
  }
  return names.sort();
}

// ---------------------------------------------------------------- §2.8 payloads

const FFFD = '\uFFFD';

// Encode packets (strings) as a payload: one packet unframed, several U+FFFD-framed with
// UTF-16 lengths (JavaScript String.length).
function encodePayload(packets) {
  if (packets.length === 1) return packets[0];
  return packets.map((p) => `${FFFD}${p.length}${FFFD}${p}`).join('');
}

// Decode a payload (the reference algorithm, strict enough for assertions).
function decodePayload(text) {
  if (text === '') return [];
  if (text[0] !== FFFD) return [text];
  const out = [];
  let i = 1;
  let len = '';
  while (i < text.length) {
    const ch = text[i];
    if (ch === FFFD) {
      const n = Number(len);
      if (!Number.isFinite(n) || len === '') throw new Error(`bad payload length ${JSON.stringify(len)} in ${JSON.stringify(text).slice(0, 300)}`);
      out.push(text.substr(i + 1, n));
      i += n + 1;
      len = '';
      if (i < text.length) {
        if (text[i] !== FFFD) throw new Error(`payload frame not followed by U+FFFD at ${i} in ${JSON.stringify(text).slice(0, 300)}`);
        i++;
      }
    } else {
      len += ch;
      i++;
    }
  }
  return out;
}

// ---------------------------------------------------------------- §3.6 JSONP

const JSONP_RE = /^io\.j\[(\d+)\]\(("(?:[^"\\]|\\[\s\S])*")\);$/;

// 'io.j[3]("1::");' -> { index: 3, text: '1::' } (throws when not in that exact form).
function unwrapJsonp(body) {
  const m = JSONP_RE.exec(body);
  if (!m) throw new Error(`not a JSONP poll body: ${JSON.stringify(body).slice(0, 300)}`);
  return { index: Number(m[1]), text: JSON.parse(m[2]), literal: m[2] };
}

// The form body the 0.9.16 client submits for a payload: d=<urlencoded JSON string literal>.
function formBody(payload) {
  return 'd=' + encodeURIComponent(JSON.stringify(payload));
}

const FORM_HEADERS = { 'Content-Type': 'application/x-www-form-urlencoded' };

// ---------------------------------------------------------------- polling session

let tick = 0;

// One xhr-polling or jsonp-polling session. poll() issues one GET and resolves with the
// decoded packets; start() keeps one GET pending at all times and collects every packet in
// `packets` (waitFor/count like the websocket helper).
class PollSession {
  constructor(target, transport, sid, { jsonpIndex = 0, agent } = {}) {
    this.target = target;
    this.transport = transport;
    this.sid = sid;
    this.jsonpIndex = jsonpIndex;
    this.agent = agent;
    this.packets = [];
    this.bodies = [];
    this.waiters = [];
    this.running = false;
    this.closed = false;
    this.error = null;
    this.controller = null;
    this._ackId = 100;
  }

  get path() { return `/socket.io/1/${this.transport}/${this.sid}`; }

  url() {
    tick++;
    return this.transport === 'jsonp-polling'
      ? `${this.path}?t=${Date.now()}-${tick}&i=${this.jsonpIndex}`
      : `${this.path}?t=${Date.now()}-${tick}`;
  }

  // Decode a GET response body into packets.
  decode(res) {
    const text = this.transport === 'jsonp-polling' ? unwrapJsonp(res.text).text : res.text;
    return decodePayload(text);
  }

  async poll({ timeout = 15000, signal } = {}) {
    const res = await req(this.target, { path: this.url(), timeout, signal, agent: this.agent });
    if (res.status !== 200) throw new Error(`poll answered ${res.status} ${JSON.stringify(res.text)}`);
    const packets = this.decode(res);
    this.bodies.push(res.text);
    return packets;
  }

  // POST a payload (string, or array of packets to be framed).
  async post(payload, { headers = {}, timeout = 10000 } = {}) {
    const text = Array.isArray(payload) ? encodePayload(payload) : payload;
    const jsonp = this.transport === 'jsonp-polling';
    const res = await req(this.target, {
      method: 'POST', path: this.url(), timeout, agent: this.agent,
      headers: jsonp ? { ...FORM_HEADERS, ...headers } : { 'Content-Type': 'text/plain;charset=UTF-8', ...headers },
      body: jsonp ? formBody(text) : text,
    });
    if (res.status !== 200 || res.text !== '1') throw new Error(`POST answered ${res.status} ${JSON.stringify(res.text)}`);
    return res;
  }

  emit(name, args, { id, endpoint = '' } = {}) {
    const data = args === undefined ? { name } : { name, args };
    const p = `5:${id === undefined ? '' : id}:${endpoint}:${JSON.stringify(data)}`;
    return this.post(p).then(() => p);
  }

  // Emit with a data ack and wait (in the collected packets) for the ack; needs start().
  async call(name, args, { endpoint = '', timeoutMs = 5000 } = {}) {
    const id = ++this._ackId;
    const prefix = `6::${endpoint}:${id}`;
    const from = this.packets.length;
    await this.emit(name, args, { id: `${id}+`, endpoint });
    const p = await this.waitFor((f) => f === prefix || f.startsWith(prefix + '+'), timeoutMs, from);
    return p === prefix ? [] : JSON.parse(p.slice(prefix.length + 1));
  }

  // Keep one GET pending; every packet but 8:: goes to `packets`. onPacket may answer 2:: etc.
  start(onPacket) {
    if (this.running) return;
    this.running = true;
    const loop = async () => {
      while (this.running) {
        this.controller = new AbortController();
        let packets;
        try {
          packets = await this.poll({ signal: this.controller.signal, timeout: 60000 });
        } catch (err) {
          if (this.running) { this.error = err; this.running = false; this.closed = true; this._check(); }
          return;
        }
        for (const p of packets) {
          if (p === '8::') continue;
          this.packets.push(p);
          if (onPacket) onPacket(p);
        }
        this._check();
        if (packets.includes('0::') || packets.includes('7:::1+0')) { this.running = false; this.closed = true; this._check(); return; }
      }
    };
    this.loopDone = loop();
  }

  // Stop polling: aborts the pending GET.
  stop() {
    this.running = false;
    if (this.controller) { try { this.controller.abort(); } catch (e) { /* ignore */ } }
  }

  close() { this.stop(); }

  _check() { for (const w of this.waiters.slice()) w.check(); }

  waitFor(pred, timeoutMs = 5000, from = 0) {
    const match = toPredicate(pred);
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          for (let i = from; i < this.packets.length; i++) {
            if (match(this.packets[i])) { done(); return resolve(this.packets[i]); }
          }
          if (this.closed) {
            done();
            return reject(new Error(`polling stopped (${this.error ? this.error.message : 'closed'}) before a packet matching ${describe(pred)}; packets: ${JSON.stringify(this.packets).slice(0, 1500)}`));
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no packet matching ${describe(pred)} within ${timeoutMs} ms; packets: ${JSON.stringify(this.packets).slice(0, 1500)}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((x) => x !== w); };
      this.waiters.push(w);
      w.check();
    });
  }

  count(pred) { return this.packets.filter(toPredicate(pred)).length; }
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

// Handshake + first GET (expects exactly `1::`). Returns a PollSession (not started).
async function connectPolling(target, transport = 'xhr-polling', { query = '', jsonpIndex = 0, agent } = {}) {
  const hs = await handshake(target, query);
  const s = new PollSession(target, transport, hs.sid, { jsonpIndex, agent });
  s.handshake = hs;
  const first = await s.poll();
  if (first.length !== 1 || first[0] !== '1::') throw new Error(`first poll got ${JSON.stringify(first)}`);
  return s;
}

// ---------------------------------------------------------------- §3.4 htmlfile stream

// Raw TCP GET of an htmlfile URL; parses the response head and the chunked body as it
// arrives. `chunks` are the chunk payloads (Buffers) in order; `ended` becomes true at the
// terminating zero-length chunk; `scripts` are the decoded texts of <script>_("…");</script>.
class HtmlfileStream {
  constructor(conn) {
    this.conn = conn;
    this.head = null;
    this.status = null;
    this.headers = {};
    this.rawHeaderNames = [];
    this._chunks = [];
    this._terminated = false;  // zero-length chunk seen
    this.chunkError = null;
  }

  // chunk payloads received so far (Buffers), and whether the zero-length chunk came
  get chunks() { this._parse(); return this._chunks; }
  get terminated() { this._parse(); return this._terminated; }

  _parse() {
    const data = this.conn.data;
    const idx = data.indexOf('\r\n\r\n');
    if (idx < 0) return;
    if (this.head === null) {
      this.head = data.subarray(0, idx).toString('latin1');
      const lines = this.head.split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
      this.status = m ? Number(m[1]) : null;
      for (const line of lines.slice(1)) {
        const c = line.indexOf(':');
        if (c > 0) {
          const name = line.slice(0, c).trim().toLowerCase();
          this.rawHeaderNames.push(name);
          this.headers[name] = line.slice(c + 1).trim();
        }
      }
    }
    // re-parse all chunks from the start of the body (simple and exact)
    const chunks = [];
    let off = idx + 4;
    let terminated = false;
    for (;;) {
      const le = data.indexOf('\r\n', off);
      if (le < 0) break;
      const sizeText = data.subarray(off, le).toString('latin1');
      if (!/^[0-9a-fA-F]+$/.test(sizeText)) { this.chunkError = `bad chunk size line ${JSON.stringify(sizeText)}`; break; }
      const size = parseInt(sizeText, 16);
      if (data.length < le + 2 + size + 2) break;
      if (data.subarray(le + 2 + size, le + 4 + size).toString('latin1') !== '\r\n') { this.chunkError = 'chunk not followed by CRLF'; break; }
      if (size === 0) { terminated = true; break; }
      chunks.push(Buffer.from(data.subarray(le + 2, le + 2 + size)));
      off = le + 4 + size;
    }
    this._chunks = chunks;
    this._terminated = terminated;
  }

  get ended() { return this.conn.ended; }

  // Decoded script texts of every chunk after the first (null for a chunk not in the form).
  get scripts() {
    return this.chunks.slice(1).map((c) => decodeScriptChunk(c.toString('utf8')));
  }

  waitUntil(cond, timeoutMs = 5000, what = 'condition') {
    return this.conn.waitUntil(() => { this._parse(); return cond(this); }, timeoutMs, what);
  }

  waitHead(timeoutMs = 5000) { return this.waitUntil((s) => s.head !== null, timeoutMs, 'response head'); }

  async waitScript(pred, timeoutMs = 5000) {
    const match = toPredicate(pred);
    await this.waitUntil((s) => s.scripts.some((x) => x !== null && match(x)), timeoutMs, `script chunk matching ${describe(pred)}`);
    return this.scripts.find((x) => x !== null && match(x));
  }

  waitTerminated(timeoutMs = 5000) {
    return this.waitUntil((s) => s.terminated || s.conn.ended, timeoutMs, 'end of the chunked body');
  }

  destroy() { this.conn.destroy(); }
  end() { this.conn.sock.end(); }
}

const SCRIPT_RE = /^<script>_\(("(?:[^"\\]|\\[\s\S])*")\);<\/script>$/;

// '<script>_("1::\/chat");</script>' -> '1::/chat' (null when not in that exact form)
function decodeScriptChunk(text) {
  const m = SCRIPT_RE.exec(text);
  if (!m) return null;
  try { return JSON.parse(m[1]); } catch (e) { return null; }
}

async function openHtmlfile(target, sid, { query = 't=1', headers = {} } = {}) {
  const conn = await tcp.connect(target.port);
  let head = `GET /socket.io/1/htmlfile/${sid}${query ? '?' + query : ''} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  conn.write(head + '\r\n');
  const s = new HtmlfileStream(conn);
  s.sid = sid;
  return s;
}

// Handshake + htmlfile stream + wait for the `1::` script chunk.
async function connectHtmlfile(target, { query = '' } = {}) {
  const hs = await handshake(target, query);
  const s = await openHtmlfile(target, hs.sid);
  s.handshake = hs;
  await s.waitScript('1::', 5000);
  return s;
}

function postTo(target, transport, sid, body, { headers = {}, agent } = {}) {
  return req(target, { method: 'POST', path: `/socket.io/1/${transport}/${sid}?t=${Date.now()}`, body, headers, agent });
}

module.exports = {
  req, headerNames, keepAliveAgent, closeAgent,
  FFFD, encodePayload, decodePayload,
  unwrapJsonp, formBody, FORM_HEADERS,
  PollSession, connectPolling,
  HtmlfileStream, openHtmlfile, connectHtmlfile, decodeScriptChunk, postTo,
};
