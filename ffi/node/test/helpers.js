'use strict';
// Test helpers: a server on a free loopback port and a raw xhr-polling client (plain
// node:http, no keep-alive) that speaks the 0.9 wire format directly.

const http = require('node:http');
const path = require('node:path');
const sio = require('..');

function request(port, { method = 'GET', path: p, body = null, headers = {}, timeout = 8000 }) {
  return new Promise((resolve, reject) => {
    const h = { Connection: 'close', ...headers };
    if (body !== null && h['Content-Length'] === undefined && h['Transfer-Encoding'] === undefined) {
      h['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error(`${method} ${p} timed out`)));
    req.on('error', reject);
    if (body !== null) {
      if (h['Transfer-Encoding'] === 'chunked') {
        // two chunks, so the body is really de-chunked by Node before the hand-over
        const mid = Math.floor(body.length / 2);
        req.write(body.slice(0, mid));
        req.end(body.slice(mid));
        return;
      }
      req.end(body);
    } else {
      req.end();
    }
  });
}

function decodePayload(text) {
  if (!text.startsWith('\ufffd')) return text === '' ? [] : [text];
  const out = [];
  let i = 0;
  while (i < text.length && text[i] === '\ufffd') {
    const j = text.indexOf('\ufffd', i + 1);
    const n = Number(text.slice(i + 1, j));
    out.push(text.substr(j + 1, n));
    i = j + 1 + n;
  }
  return out;
}

function encodePayload(packets) {
  if (packets.length === 1) return packets[0];
  return packets.map((p) => `\ufffd${p.length}\ufffd${p}`).join('');
}

// An xhr-polling session: connect() handshakes and takes the first GET (1::); then a
// poll loop collects packets; post() sends packets; waitFor() waits for a packet.
class PollClient {
  constructor(port, { query = '', resource = '/socket.io' } = {}) {
    this.port = port;
    this.query = query;
    this.resource = resource;
    this.packets = [];
    this.closed = false;
    this.waiters = [];
  }

  async connect() {
    const q = this.query ? `?${this.query}` : '';
    const hs = await request(this.port, { path: `${this.resource}/1/${q}` });
    if (hs.status !== 200) {
      const e = new Error(`handshake ${hs.status}: ${hs.text}`);
      e.status = hs.status;
      e.text = hs.text;
      throw e;
    }
    this.sid = hs.text.split(':')[0];
    const first = await this._get();
    if (first[0] !== '1::') throw new Error(`first poll: ${JSON.stringify(first)}`);
    this._loop();
    return this;
  }

  _url() { return `${this.resource}/1/xhr-polling/${this.sid}?t=${Date.now()}`; }

  async _get() {
    const res = await request(this.port, { path: this._url(), timeout: 30000 });
    return decodePayload(res.text);
  }

  async _loop() {
    while (!this.closed) {
      let got;
      try { got = await this._get(); } catch (e) { if (!this.closed) this.closed = true; break; }
      for (const p of got) {
        this.packets.push(p);
        if (p === '0::' || p.startsWith('7:::1')) this.closed = true;
        if (p === '2::') this.post(['2::']).catch(() => {});
      }
      this._check();
    }
    this._check();
  }

  _check() {
    this.waiters = this.waiters.filter((w) => {
      const hit = this.packets.find(w.pred);
      if (hit !== undefined) { clearTimeout(w.timer); w.resolve(hit); return false; }
      return true;
    });
  }

  post(packets, headers) {
    return request(this.port, { method: 'POST', path: this._url(), body: encodePayload(packets), headers });
  }

  waitFor(pred, ms = 5000) {
    const fn = typeof pred === 'string' ? (p) => p === pred : pred;
    const hit = this.packets.find(fn);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = { pred: fn, resolve };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no packet matching ${pred} within ${ms} ms; got ${JSON.stringify(this.packets)}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    await request(this.port, { path: `${this.resource}/1/xhr-polling/${this.sid}?disconnect=1` }).catch(() => {});
  }
}

// An http.Server with an app route, a manager attached, listening on a free port.
async function attached(options = {}, setup) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`app: ${req.method} ${req.url}`);
  });
  const io = sio.listen(server, { 'log level': 0, workers: 1, ...options });
  if (setup) setup(io);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    io, server, port,
    async close() {
      io.close();
      await new Promise((r) => server.close(r));
    },
  };
}

function once(emitter, ev, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${ev} within ${ms} ms`)), ms);
    emitter.once(ev, (...args) => { clearTimeout(t); resolve(args); });
  });
}

// ws@8 from the conformance suite's dependencies, when installed.
function loadWs() {
  try {
    return require(require.resolve('ws', { paths: [path.resolve(__dirname, '..', '..', '..', 'conformance')] }));
  } catch (e) {
    return null;
  }
}

module.exports = { request, PollClient, attached, once, decodePayload, encodePayload, loadWs, sio };
