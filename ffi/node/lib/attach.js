'use strict';
// Attaching to a host's http.Server (`sio.listen(server)`), as socket.io 0.9 did: the
// server's existing 'request' listeners are removed and called only for requests outside
// the resource; an 'upgrade' listener is added.
//
// A request under the resource is not answered by Node: its TCP connection is handed to
// libsio09 with sio_server_adopt_connection(dup(fd), bytes), where bytes are the request
// rebuilt from what Node's parser consumed (request line, raw headers, and the body, which
// is read first when there is one; for 'upgrade', plus the head bytes Node passes along).
// Node's socket is then destroyed, which closes only Node's descriptor: the connection
// lives on in the library, which serves it (and what follows on it) from then on.
//
// An https.Server is taken over one step earlier (see attachTls): every TCP connection
// goes to the library still encrypted, and rustls in the library terminates TLS with the
// server's own key and certificate. Requests that are the app's come back decrypted
// (manager.js _onHandback) and reach the server as 'secureConnection'; a later socket.io
// request on such a connection goes to the library again as a decrypted stream.

const tls = require('node:tls');
const { addon, R, ADOPT } = require('./native');

// On a connection the library handed back decrypted: the client's address ("ip:port").
const DECRYPTED = Symbol('sio09 decrypted stream');

const POLICY_REQUEST = '<policy-file-request/>';

function ownsUrl(resource, url) {
  if (typeof resource !== 'string' || typeof url !== 'string') return false;
  if (!url.startsWith(resource)) return false;
  // the prefix matches only at a `/`, `?` or end boundary (PROTOCOL.md Q-1, as sio09)
  const next = url.charAt(resource.length);
  return next === '' || next === '/' || next === '?';
}

// The request head as bytes: request line plus the raw headers as received (Node keeps
// header text as latin1). With bodyLength !== null the framing headers are replaced by a
// Content-Length for the (already de-chunked) body.
function requestHead(req, bodyLength) {
  let s = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (bodyLength !== null) {
      const k = raw[i].toLowerCase();
      if (k === 'content-length' || k === 'transfer-encoding') continue;
    }
    s += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  if (bodyLength !== null) s += `Content-Length: ${bodyLength}\r\n`;
  s += '\r\n';
  return Buffer.from(s, 'latin1');
}

// The descriptor of a connection the library can take: a plain TCP socket, or a decrypted
// stream it handed back (not a TLSSocket Node terminates: its bytes are Node's to decrypt).
function socketFd(socket) {
  if (!socket || socket.destroyed) return -1;
  if (socket.encrypted && socket[DECRYPTED] === undefined) return -1;
  const h = socket._handle;
  if (!h || typeof h.fd !== 'number') return -1;
  return h.fd;
}

// Hands the connection over; returns true when the library took it. `flags`: ADOPT.TLS
// for a connection whose TLS the library terminates.
function handOver(io, socket, bytes, flags = 0) {
  const fd = socketFd(socket);
  if (fd < 0) return false;
  const h = io._h();
  if (!h) return false;
  const peer = socket[DECRYPTED];
  const r = peer === undefined && flags === 0
    ? addon.adopt(h, fd, bytes)
    : addon.adopt(h, fd, bytes, peer === undefined ? flags : ADOPT.SECURE, peer === undefined ? null : peer);
  if (r !== R.OK) {
    io.log.warn(`sio09: could not hand a connection to the library: ${r >= 0x10000 ? 'errno ' + (r & 0xffff) : addon.resultStr(r)}`);
    return false;
  }
  // Node's descriptor only; the library's duplicate keeps the connection open
  socket.destroy();
  return true;
}

function hasBody(req) {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0' && cl.trim() !== '0';
}

function adoptRequest(io, req, res) {
  if (req.socket && req.socket.encrypted && req.socket[DECRYPTED] === undefined) {
    // only when the https.Server's TLS settings are beyond the library's (see tlsSettings)
    res.writeHead(501, { 'Content-Type': 'text/plain' });
    res.end('sio09: socket.io requests over TLS terminated in Node cannot be handed to libsio09');
    return;
  }
  if (!hasBody(req)) {
    if (!handOver(io, req.socket, requestHead(req, null))) failRequest(res);
    return;
  }
  // Read the body first, so that Node's parser has consumed all of this request.
  const limit = Number(io.get('destroy buffer size'));
  const chunks = [];
  let total = 0;
  let over = false;
  req.on('data', (chunk) => {
    if (over) return;
    total += chunk.length;
    if (Number.isFinite(limit) && total > limit) {
      over = true;
      chunks.length = 0;
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (over) {
      // the library answers an over-long declared body with 413; the body we saw was too
      // long, so answer the same here
      res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('Payload Too Large');
      return;
    }
    const body = Buffer.concat(chunks, total);
    const bytes = Buffer.concat([requestHead(req, body.length), body]);
    if (!handOver(io, req.socket, bytes)) failRequest(res);
  });
  req.on('error', () => { /* the connection went away; nothing to hand over */ });
}

function failRequest(res) {
  if (res.headersSent || res.destroyed) return;
  try {
    res.writeHead(503, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end('socket.io server unavailable');
  } catch (e) { /* gone */ }
}

const SEGMENTS = /^\/([^/]+)\/?([^/]+)?\/?([^/]+)?\/?$/;

// What 0.9's Manager#checkRequest saw in a URL under the resource: the path after the
// resource (query and fragment stripped), protocol, transport and session id segments,
// and whether the path is one of the static files. null for a URL outside the resource.
function checkRequest(io, url) {
  const resource = io.get('resource');
  if (!ownsUrl(resource, url)) return null;
  let rest = url.slice(resource.length);
  const cut = rest.search(/[?#]/);
  if (cut >= 0) rest = rest.slice(0, cut);
  const data = { path: rest, protocol: undefined, transport: undefined, id: undefined, static: false };
  const pieces = rest.match(SEGMENTS);
  if (pieces) {
    data.protocol = Number(pieces[1]);
    data.transport = pieces[2];
    data.id = pieces[3];
    data.static = !!io.static.has(rest);
  }
  return data;
}

// The websocket draft a client speaks, as 0.9 named it (`protocolVersion`).
function websocketDraft(headers) {
  const v = headers['sec-websocket-version'];
  if (v === '13') return '16';
  if (v === '7' || v === '8') return '07-12';
  return headers['sec-websocket-key1'] !== undefined ? 'hixie-76' : 'hixie-75';
}

function attachHttp(io, server) {
  if (server instanceof tls.Server) attachTls(io, server);
  const previous = server.listeners('request').slice();
  server.removeAllListeners('request');

  server.on('request', function onRequest(req, res) {
    const data = checkRequest(io, req.url);
    if (!data) {
      for (const fn of previous) fn.call(this, req, res);
      return;
    }
    // static files and bare resource URLs are Node's to answer, as in 0.9; protocol
    // requests (handshakes, transports) go to the library with their connection
    if (data.static || (!data.transport && !data.protocol)) {
      if (data.static && io.enabled('browser client')) {
        io.static.write(data.path, req, res);
      } else {
        res.writeHead(200);
        res.end('Welcome to socket.io.');
        io.log.info('unhandled socket.io url');
      }
      return;
    }
    if (data.id && req.headers.upgrade !== undefined
        && (data.transport === 'websocket' || data.transport === 'flashsocket')) {
      // an upgrade without `Connection: upgrade` reaches 'request'; the library upgrades it
      io._noteUpgrade(data.id, websocketDraft(req.headers));
    }
    adoptRequest(io, req, res);
  });

  server.on('upgrade', (req, socket, head) => {
    const data = checkRequest(io, req.url);
    if (data) {
      if (data.id && (data.transport === 'websocket' || data.transport === 'flashsocket')) {
        io._noteUpgrade(data.id, websocketDraft(req.headers));
      }
      const bytes = head && head.length ? Buffer.concat([requestHead(req, null), head]) : requestHead(req, null);
      if (!handOver(io, socket, bytes)) socket.destroy();
      return;
    }
    if (io.enabled('destroy upgrade')) {
      io.log.debug('destroying non-socket.io upgrade');
      socket.end();
    }
  });

  // The inline Flash policy request (`<policy-file-request/>\0` on the HTTP port) is not
  // HTTP: Node's parser fails on it. Hand such connections to the library, which answers
  // them (when flashsocket is enabled) like on its own port.
  server.prependListener('clientError', (err, socket) => {
    const raw = err && err.rawPacket ? Buffer.from(err.rawPacket) : null;
    if (raw && raw.toString('latin1').startsWith(POLICY_REQUEST) && !socket.destroyed) {
      if (handOver(io, socket, raw)) return;
    }
    // Keep Node's default answer when nobody else listens for client errors.
    if (server.listenerCount('clientError') === 1) {
      if (socket.writable) {
        try { socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'); } catch (e) { socket.destroy(); }
      } else {
        socket.destroy();
      }
    }
  });

  server.on('error', (err) => { io.log.warn('error raised: ' + err); });

  server.on('close', () => {
    // keep serving handed-over connections, but do not hold the process open for them
    if (io._handle && io._started) {
      try { addon.ref(io._handle, false); } catch (e) { /* closed */ }
    }
  });
}

// PEM text from a tls option value (string, Buffer, or an array of them); null when the
// value is of another shape (e.g. `{ pem, passphrase }` objects).
function pemText(v) {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (Array.isArray(v) && v.length > 0) {
    const parts = v.map(pemText);
    return parts.every((p) => typeof p === 'string') ? parts.join('\n') : null;
  }
  return null;
}

// The key and certificate of a tls.Server as PEM text, or { why } when its settings ask
// for what the library's TLS does not do (it serves one certificate, no client
// certificates, no encrypted keys).
function tlsSettings(server) {
  if (server.pfx) return { why: 'a `pfx` bundle (give `key` and `cert` as PEM instead)' };
  if (server.passphrase) return { why: 'an encrypted key (`passphrase`)' };
  if (server.requestCert) return { why: 'client certificates (`requestCert`)' };
  if (Array.isArray(server._contexts) && server._contexts.length) return { why: 'per-host certificates (`addContext`)' };
  if (server.privateKeyEngine || server.privateKeyIdentifier || server.clientCertEngine) return { why: 'an OpenSSL engine' };
  const key = pemText(server.key);
  const cert = pemText(server.cert);
  if (!key || !cert) return { why: 'no PEM `key` and `cert`' };
  if (Array.isArray(server.key) && server.key.length > 1) return { why: 'several keys' };
  return { key, cert };
}

// An https.Server: the library terminates TLS. Its key and certificate go to the library
// (as PEM text; read once when it starts), and Node's own TLS listener on the server is
// replaced by one that hands each new TCP connection over before a byte is read. Returns
// false (Node keeps terminating TLS) when the settings are beyond the library's.
function attachTls(io, server) {
  const nodeTls = server.listeners('connection').filter((fn) => fn.name === 'tlsConnectionListener');
  const settings = tlsSettings(server);
  const why = settings.why
    || (nodeTls.length !== 1 ? "this Node version's https.Server (no TLS connection listener found)" : null);
  if (why) {
    io.log.warn(`sio09: the https.Server uses ${why}; Node keeps terminating its TLS, and `
      + 'socket.io requests on it are answered 501');
    return false;
  }
  for (const [option, pem] of [['tls cert', settings.cert], ['tls key', settings.key]]) {
    try {
      addon.set(io._handle, option, pem);
    } catch (err) {
      io.log.warn(`sio09: the https.Server's \`${option === 'tls key' ? 'key' : 'cert'}\` was refused: ${err.message}`);
      return false;
    }
  }
  io._tls = true;
  const nodeListener = nodeTls[0];
  server.removeListener('connection', nodeListener);
  server.prependListener('connection', function onTcpConnection(socket) {
    // Node reads nothing from a new socket before its 'connection' listeners ran.
    if (io._tls && handOver(io, socket, null, ADOPT.TLS)) return;
    nodeListener.call(this, socket);
  });
  return true;
}

// A decrypted stream the library handed back, as the https.Server's next connection.
// `peer`: the client's "ip:port" (the stream itself is a Unix socket).
function resumeDecrypted(server, sock, peer) {
  sock[DECRYPTED] = peer;
  sock.encrypted = true;
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(peer || '');
  if (m) {
    const v6 = m[1].includes(':');
    for (const [k, v] of [['remoteAddress', m[1]], ['remotePort', Number(m[2])], ['remoteFamily', v6 ? 'IPv6' : 'IPv4']]) {
      Object.defineProperty(sock, k, { value: v, configurable: true, enumerable: true });
    }
  }
  server.emit('secureConnection', sock);
}

module.exports = { attachHttp, attachTls, resumeDecrypted, ownsUrl, requestHead, checkRequest };
