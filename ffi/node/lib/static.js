'use strict';
// `io.static`: the static files under the resource (the browser client, its custom
// builds, the Flash objects, and files an app adds with `io.static.add`), served by Node
// with the semantics of socket.io 0.9's static server (PROTOCOL.md §7): built on first
// request, kept in `cache` while `browser client cache` is on, ETags with `browser client
// etag`, long expiry for versioned paths, gzip with `browser client gzip`, 304s.
//
// The Node module serves these itself (the library's own static path is used by the
// standalone server): requests reach Node's http.Server first, the app's `static` object
// and `browser client handler` are JavaScript, and a page load asks for the client once.

const path = require('node:path');
const zlib = require('node:zlib');
const fs = require('node:fs');

const MIME = {
  js: { type: 'application/javascript', encoding: 'utf8', gzip: true },
  swf: { type: 'application/x-shockwave-flash', encoding: 'binary', gzip: false },
};

// `/socket.io+websocket+xhr-polling[.v1.2.3].js`: a custom build
const BUNDLE = /\+((?:\+)?[\w-]+)*(?:\.v\d+\.\d+\.\d+)?(?:\.js)$/;
// Registered keys that stand for a family of paths (see `has`)
const PATTERN_KEYS = new Set(['/socket.io.v', '/socket.io+']);
// `/socket.io.v1.2.3.js`: a versioned path (long expiry, no ETag)
const VERSIONED = /\.v\d+\.\d+\.\d+(?:\.js)$/;

let clientPackage = null;

// socket.io-client 0.9.16, the browser client the files are built from: the package's own
// dependency, else the one named by `browser client path`, else the development
// checkout's conformance/node_modules.
function loadClient(manager) {
  if (clientPackage) return clientPackage;
  const tried = [];
  const candidates = ['socket.io-client'];
  const configured = manager && manager.get('browser client path');
  if (typeof configured === 'string' && configured) candidates.push(path.resolve(configured));
  candidates.push(path.resolve(__dirname, '..', '..', '..', 'conformance', 'node_modules', 'socket.io-client'));
  for (const c of candidates) {
    try {
      const pkg = require(c);
      if (pkg && typeof pkg.builder === 'function') {
        clientPackage = pkg;
        return pkg;
      }
    } catch (err) {
      tried.push(`${c}: ${err.message.split('\n')[0]}`);
    }
  }
  throw new Error(`the browser client (socket.io-client 0.9.16) is not installed (${tried.join('; ')})`);
}

// The ETag of a build: the client version and a short id of its transports.
function buildId(version, transports) {
  const digits = transports.join('').split('').map((c) => String(c.charCodeAt(0)).slice(-1));
  return `${version}:${digits.join('')}`;
}

class Static {
  constructor(manager) {
    this.manager = manager;
    this.cache = {};
    this.paths = {};
    this._init();
  }

  _init() {
    const self = this;
    const build = (transports, callback) => {
      let client;
      try { client = loadClient(self.manager); } catch (err) { callback(err); return; }
      client.builder(transports, { minify: self.manager.enabled('browser client minification') }, (err, content) => {
        callback(err, content ? Buffer.from(content) : null, buildId(client.version, transports));
      });
    };
    const dist = (file) => () => path.join(loadClient(self.manager).dist, file);
    this.add('/static/flashsocket/WebSocketMain.swf', { file: dist('WebSocketMain.swf') });
    this.add('/static/flashsocket/WebSocketMainInsecure.swf', { file: dist('WebSocketMainInsecure.swf') });
    this.add('/socket.io.js', (p, callback) => build(self.manager.get('transports'), callback));
    this.add('/socket.io.v', { mime: MIME.js }, (p, callback) => build(self.manager.get('transports'), callback));
    this.add('/socket.io+', { mime: MIME.js }, (p, callback) => {
      const available = self.manager.get('transports') || [];
      const m = p.match(BUNDLE);
      if (!m) { callback('No valid transports'); return; }
      const wanted = m[0].split('.')[0].split('+').slice(1).filter((t) => available.includes(t));
      if (!wanted.length) { callback('No valid transports'); return; }
      build(wanted, callback);
    });
    // builds depend on the transports: drop them when the transports change
    this.manager.on('set:transports', () => {
      delete self.cache['/socket.io.js'];
      for (const key of Object.keys(self.cache)) if (BUNDLE.test(key)) delete self.cache[key];
    });
  }

  /**
   * The entry serving `p`, or false. Paths match exactly (PROTOCOL.md Q-36: 0.9 matched any
   * path containing a registered one, so `/socket.io.jsx` served the client): the files
   * added with `add`, `/socket.io.js`, `/socket.io.vX.Y.Z.js`, the custom builds
   * `/socket.io+transport[+...][.vX.Y.Z].js` and the two Flash objects.
   */
  has(p) {
    if (typeof p !== 'string') return false;
    if (this.paths[p] && !PATTERN_KEYS.has(p)) return this.paths[p];
    if (p === '/socket.io.js') return this.paths['/socket.io.js'] || false;
    if (/^\/socket\.io\.v\d+\.\d+\.\d+\.js$/.test(p)) return this.paths['/socket.io.v'] || false;
    if (/^\/socket\.io\+[\w+-]+(?:\.v\d+\.\d+\.\d+)?\.js$/.test(p)) return this.paths['/socket.io+'] || false;
    return false;
  }

  // The paths, under the resource, whose requests Node answers (handed back by the
  // library on a kept-alive connection); an entry ending in `*` is a prefix.
  handbackPaths(resource) {
    return Object.keys(this.paths).map((k) => (PATTERN_KEYS.has(k) ? `${resource}${k}*` : `${resource}${k}`));
  }

  /**
   * Adds a static file: `add(path, { file })`, `add(path, fn(path, cb(err, buffer[, etag])))`
   * or `add(path, { mime }, fn)`. The MIME type comes from the extension (js, swf) unless
   * given. Returns false when the entry has no content source or no MIME type.
   */
  add(p, options, callback) {
    if (!callback && typeof options === 'function') {
      callback = options;
      options = {};
    }
    options = options || {};
    const ext = /(?:\.(\w{1,4}))$/.exec(p);
    options.mime = options.mime || (ext ? MIME[ext[1]] : false);
    if (callback) options.callback = callback;
    if (!(options.file || options.callback) || !options.mime) return false;
    this.paths[p] = options;
    // the library hands such requests on kept-alive connections back to Node
    if (this.manager && typeof this.manager._syncHandback === 'function') this.manager._syncHandback();
    return true;
  }

  /** Answers the request for `p` (the path under the resource) on `res`. */
  write(p, req, res) {
    const self = this;
    const m = this.manager;
    const send = (status, headers, content, encoding) => {
      try {
        res.writeHead(status, headers || undefined);
        res.end(req.method !== 'HEAD' && content ? content : '', encoding || undefined);
      } catch (e) { /* the client went away */ }
    };
    const answer = (reply) => {
      if (req.headers['if-none-match'] === reply.etag && m.enabled('browser client etag')) {
        send(304);
        return;
      }
      const gzip = String(req.headers['accept-encoding'] || '').toLowerCase().includes('gzip');
      const headers = { 'Content-Type': reply.mime.type };
      if (m.enabled('browser client etag') && reply.etag && !reply.versioned) headers.Etag = reply.etag;
      if (reply.versioned) {
        const expires = Number(m.get('browser client expires'));
        headers['Cache-Control'] = `private, x-gzip-ok="", max-age=${expires}`;
        headers.Date = new Date().toUTCString();
        headers.Expires = new Date(Date.now() + expires * 1000).toUTCString();
      }
      if (gzip && reply.gzip) {
        headers['Content-Length'] = reply.gzip.length;
        headers['Content-Encoding'] = 'gzip';
        headers.Vary = 'Accept-Encoding';
        send(200, headers, reply.gzip.content);
      } else {
        headers['Content-Length'] = reply.length;
        send(200, headers, reply.content);
      }
      m.log.debug('served static content ' + p);
    };

    if (m.enabled('browser client cache') && this.cache[p]) {
      answer(this.cache[p]);
      return;
    }
    const handler = m.get('browser client handler');
    if (typeof handler === 'function') {
      handler.call(this, req, res);
      return;
    }
    const details = this.has(p);
    if (!details) {
      send(404, null, 'File not found');
      return;
    }
    const ready = (err, content, etag) => {
      if (err || !content) {
        m.log.warn('Unable to serve file. ' + ((err && err.message) || err || 'no content'));
        send(500, null, 'Error serving static ' + p);
        return;
      }
      let version = '0.9.16';
      try { version = loadClient(m).version; } catch (e) { /* keep the default */ }
      const reply = {
        content,
        length: content.length,
        mime: details.mime,
        etag: etag || version,
        versioned: VERSIONED.test(p),
      };
      // 0.9 keeps every built file here; `browser client cache` decides whether it is used
      self.cache[p] = reply;
      if (details.mime.gzip && m.enabled('browser client gzip')) {
        zlib.gzip(content, { level: 9 }, (gzErr, gz) => {
          if (!gzErr) reply.gzip = { content: gz, length: gz.length };
          answer(reply);
        });
      } else {
        answer(reply);
      }
    };
    try {
      if (details.file) {
        const file = typeof details.file === 'function' ? details.file() : details.file;
        fs.readFile(file, ready);
      } else if (details.callback) {
        details.callback.call(this, p, ready);
      } else {
        send(404, null, 'File handle not found');
      }
    } catch (err) {
      ready(err);
    }
  }
}

module.exports = Static;
