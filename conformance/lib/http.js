'use strict';
// Raw HTTP helpers (node:http, no keep-alive) and the socket.io handshake helper.

const http = require('node:http');

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

// request(target, { method, path, headers, body, timeout, agent, signal }) ->
//   { status, headers, rawHeaders, body: Buffer, text }
// agent defaults to a no-keep-alive agent; a signal aborts the request.
// Rejects on socket errors / when the server closes the connection without a response
// (err.code is then e.g. 'ECONNRESET' and err.noResponse is true).
function request(target, opts = {}) {
  const method = opts.method || 'GET';
  const timeout = opts.timeout || 10000;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: target.port,
      method,
      path: opts.path || '/',
      headers: opts.headers || {},
      agent: opts.agent || agent,
      signal: opts.signal,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body, text: body.toString('utf8') });
      });
      res.on('error', (err) => { clearTimeout(timer); reject(err); });
      res.on('aborted', () => { clearTimeout(timer); reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET', noResponse: true })); });
    });
    const timer = setTimeout(() => {
      const err = new Error(`HTTP ${method} ${opts.path} timed out after ${timeout} ms`);
      err.code = 'ETIMEDOUT';
      req.destroy(err);
    }, timeout);
    req.on('error', (err) => {
      clearTimeout(timer);
      if (err.code !== 'ETIMEDOUT') err.noResponse = true;
      reject(err);
    });
    if (opts.body !== undefined && opts.body !== null) req.write(opts.body);
    req.end();
  });
}

function get(target, path, headers) {
  return request(target, { method: 'GET', path, headers });
}

const HANDSHAKE_RE = /^([^:]+):([^:]*):([^:]*):(.*)$/;

// Successful handshake -> { sid, heartbeatTimeout, closeTimeout, transports[], text, res }.
// Throws when the answer is not a 200 with a parseable body.
async function handshake(target, query = '', headers = {}) {
  const q = query ? (query.startsWith('?') ? query : '?' + query) : `?t=${Date.now()}`;
  const res = await request(target, { path: `/socket.io/1/${q}`, headers });
  if (res.status !== 200) {
    throw new Error(`handshake failed: ${res.status} ${JSON.stringify(res.text)}`);
  }
  const m = HANDSHAKE_RE.exec(res.text);
  if (!m) throw new Error(`unparseable handshake body ${JSON.stringify(res.text)}`);
  return {
    sid: m[1],
    heartbeatTimeout: m[2],
    closeTimeout: m[3],
    transports: m[4] === '' ? [] : m[4].split(','),
    text: res.text,
    res,
  };
}

module.exports = { request, get, handshake, HANDSHAKE_RE, agent };
