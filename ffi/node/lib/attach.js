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

const { addon, R } = require('./native');

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

function socketFd(socket) {
  if (!socket || socket.destroyed || socket.encrypted) return -1;
  const h = socket._handle;
  if (!h || typeof h.fd !== 'number') return -1;
  return h.fd;
}

// Hands the connection over; returns true when the library took it.
function handOver(io, socket, bytes) {
  const fd = socketFd(socket);
  if (fd < 0) return false;
  const h = io._h();
  if (!h) return false;
  const r = addon.adopt(h, fd, bytes);
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
  if (req.socket && req.socket.encrypted) {
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

module.exports = { attachHttp, ownsUrl, requestHead, checkRequest };
