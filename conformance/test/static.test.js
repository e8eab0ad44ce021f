'use strict';
// §7 static client serving: the browser client build, versioned paths (cache headers), ETag and
// 304, gzip, minification, custom builds, the Flash SWF files, `browser client` off, HEAD, Q-36.
// Builds differ between hosts (the reference builds subsets from source): only header lines,
// headers and the transports named in a build are compared, never whole build bodies across
// targets.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { startTarget, kind } = require('../lib/target');
const { req } = require('../lib/polling');

const T = { timeout: 30000 };

const DEV_HEADER = '/*! Socket.IO.js build:0.9.16, development.';
const MIN_HEADER = '/*! Socket.IO.min.js build:0.9.16, production.';
const DEFAULT_ETAG = '0.9.16:91851971646982581044521885036510252188503';
const WELCOME = 'Welcome to socket.io.';
const DIST = path.dirname(require.resolve('socket.io-client/dist/socket.io.js'));
const MARKERS = {
  websocket: 'exports.websocket = WS;',
  flashsocket: 'exports.flashsocket = Flashsocket;',
  htmlfile: 'exports.htmlfile = HTMLFile;',
  'xhr-polling': "exports['xhr-polling'] = XHRPolling;",
  'jsonp-polling': "exports['jsonp-polling'] = JSONPPolling;",
};

// shared target: default static options
let target;
before(async () => { target = await startTarget(); });
after(async () => { if (target) await target.stop(); });

async function withTarget(options, fn) {
  const t = await startTarget(options);
  try { return await fn(t); } finally { await t.stop(); }
}

const get = (t, p, headers = {}) => req(t, { path: p, headers });
const sha1 = (b) => crypto.createHash('sha1').update(b).digest('hex');

function assertBuild(res, header = DEV_HEADER) {
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/javascript');
  assert.equal(res.headers['content-length'], String(res.body.length));
  assert.ok(res.text.startsWith(header), `build starts with ${JSON.stringify(res.text.slice(0, 60))}`);
}

function assertTransports(res, names) {
  for (const n of names) assert.ok(res.text.includes(MARKERS[n]), `build contains the ${n} transport`);
}

test('static: /socket.io/socket.io.js -> 200 application/javascript, development build with the default transports', T, async () => {
  const res = await get(target, '/socket.io/socket.io.js');
  assertBuild(res);
  assertTransports(res, ['websocket', 'htmlfile', 'xhr-polling', 'jsonp-polling']);
  assert.equal(res.headers.etag, undefined, 'no Etag unless browser client etag');
  assert.equal(res.headers['content-encoding'], undefined);
  assert.equal(res.headers['cache-control'], undefined, 'no Cache-Control on the unversioned path');
});

test('static: HEAD /socket.io/socket.io.js -> same status and headers, empty body', T, async () => {
  const full = await get(target, '/socket.io/socket.io.js');
  const head = await req(target, { method: 'HEAD', path: '/socket.io/socket.io.js' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers['content-type'], 'application/javascript');
  assert.equal(head.headers['content-length'], full.headers['content-length']);
});

test('static: versioned /socket.io/socket.io.v0.9.16.js -> Cache-Control private, x-gzip-ok, max-age=315360000, Expires = Date + 10 years', T, async () => {
  const before_ = Date.now();
  const res = await get(target, '/socket.io/socket.io.v0.9.16.js');
  assertBuild(res);
  assert.equal(res.headers['cache-control'], 'private, x-gzip-ok="", max-age=315360000');
  const date = Date.parse(res.headers.date);
  const expires = Date.parse(res.headers.expires);
  assert.ok(Number.isFinite(date) && Number.isFinite(expires), `Date ${res.headers.date} / Expires ${res.headers.expires}`);
  assert.ok(Math.abs(date - before_) < 10000, 'Date is now');
  assert.ok(Math.abs(expires - date - 315360000 * 1000) <= 2000, `Expires - Date = ${(expires - date) / 1000} s`);
  assert.equal(res.headers.etag, undefined);
  const plain = await get(target, '/socket.io/socket.io.js');
  assert.equal(sha1(res.body), sha1(plain.body), 'the versioned path serves the same build');
});

test('static: any version number is accepted (/socket.io/socket.io.v1.2.3.js serves the current build)', T, async () => {
  const res = await get(target, '/socket.io/socket.io.v1.2.3.js');
  assertBuild(res);
  assert.equal(res.headers['cache-control'], 'private, x-gzip-ok="", max-age=315360000');
});

test('static: /socket.io/socket.io.min.js is not a served path -> Welcome to socket.io.', T, async () => {
  const res = await get(target, '/socket.io/socket.io.min.js');
  assert.equal(res.status, 200);
  assert.equal(res.text, WELCOME);
});

test('Q-36 /socket.io/socket.io.jsx and /socket.io/x/socket.io.js are not the client on sio09 (reference: substring match)', T, async () => {
  for (const p of ['/socket.io/socket.io.jsx', '/socket.io/x/socket.io.js']) {
    const res = await get(target, p);
    if (kind === 'reference') {
      // quirk Q-36: observed the paths match by substring and serve the client build
      assertBuild(res);
    } else {
      assert.ok(!res.text.startsWith('/*! Socket.IO'), `${p} served the client: ${res.status}`);
      assert.notEqual(res.headers['content-type'], 'application/javascript', p);
    }
  }
});

for (const [name, file] of [['WebSocketMain.swf', 'WebSocketMain.swf'], ['WebSocketMainInsecure.swf', 'WebSocketMainInsecure.swf']]) {
  test(`static: /socket.io/static/flashsocket/${name} -> 200 application/x-shockwave-flash, the client's dist file`, T, async () => {
    const dist = fs.readFileSync(path.join(DIST, file));
    const res = await get(target, `/socket.io/static/flashsocket/${name}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/x-shockwave-flash');
    assert.equal(res.headers['content-length'], String(dist.length));
    assert.equal(res.body.length, dist.length);
    assert.equal(sha1(res.body), sha1(dist));
  });
}

test('static: custom build /socket.io/socket.io+websocket.js -> 200 build containing websocket', T, async () => {
  const res = await get(target, '/socket.io/socket.io+websocket.js');
  assertBuild(res);
  assertTransports(res, ['websocket']);
});

test('static: custom versioned build /socket.io/socket.io+xhr-polling.v0.9.16.js -> cache headers, xhr-polling inside', T, async () => {
  const res = await get(target, '/socket.io/socket.io+xhr-polling.v0.9.16.js');
  assertBuild(res);
  assertTransports(res, ['xhr-polling']);
  assert.equal(res.headers['cache-control'], 'private, x-gzip-ok="", max-age=315360000');
});

test('static: custom build without a valid transport -> 500 "Error serving static /socket.io+bogus.js"', T, async () => {
  const res = await get(target, '/socket.io/socket.io+bogus.js');
  assert.equal(res.status, 500);
  assert.equal(res.text, 'Error serving static /socket.io+bogus.js');
});

test('static: gzip off by default (Accept-Encoding: gzip gets the plain build)', T, async () => {
  const res = await get(target, '/socket.io/socket.io.js', { 'Accept-Encoding': 'gzip' });
  assertBuild(res);
  assert.equal(res.headers['content-encoding'], undefined);
});

// ---------------------------------------------------------------- options

test('static: SIO_BROWSER_CLIENT_ETAG=1 -> Etag on builds and files; If-None-Match -> 304 without body', T, async () => {
  await withTarget({ SIO_BROWSER_CLIENT_ETAG: 1 }, async (t) => {
    const res = await get(t, '/socket.io/socket.io.js');
    assertBuild(res);
    assert.equal(res.headers.etag, DEFAULT_ETAG);
    const cached = await get(t, '/socket.io/socket.io.js', { 'If-None-Match': DEFAULT_ETAG });
    assert.equal(cached.status, 304);
    assert.equal(cached.body.length, 0);
    const other = await get(t, '/socket.io/socket.io.js', { 'If-None-Match': '"something-else"' });
    assert.equal(other.status, 200);
    assert.equal(other.body.length, res.body.length);
    const swf = await get(t, '/socket.io/static/flashsocket/WebSocketMain.swf');
    assert.equal(swf.headers.etag, '0.9.16');
    assert.equal((await get(t, '/socket.io/static/flashsocket/WebSocketMain.swf', { 'If-None-Match': '0.9.16' })).status, 304);
  });
});

test('static: SIO_BROWSER_CLIENT_ETAG=1 versioned path -> no Etag header, but If-None-Match still -> 304', T, async () => {
  await withTarget({ SIO_BROWSER_CLIENT_ETAG: 1 }, async (t) => {
    const res = await get(t, '/socket.io/socket.io.v0.9.16.js');
    assertBuild(res);
    assert.equal(res.headers.etag, undefined);
    const cached = await get(t, '/socket.io/socket.io.v0.9.16.js', { 'If-None-Match': DEFAULT_ETAG });
    assert.equal(cached.status, 304);
    assert.equal(cached.body.length, 0);
  });
});

test('static: SIO_BROWSER_CLIENT_GZIP=1 + Accept-Encoding gzip -> Content-Encoding gzip, Vary, body gunzips to the plain build', T, async () => {
  await withTarget({ SIO_BROWSER_CLIENT_GZIP: 1 }, async (t) => {
    const plain = await get(t, '/socket.io/socket.io.js');
    assertBuild(plain);
    assert.equal(plain.headers['content-encoding'], undefined, 'no gzip without Accept-Encoding');
    for (const ae of ['gzip, deflate', 'deflate, GZip']) {
      const gz = await get(t, '/socket.io/socket.io.js', { 'Accept-Encoding': ae });
      assert.equal(gz.status, 200);
      assert.equal(gz.headers['content-type'], 'application/javascript');
      assert.equal(gz.headers['content-encoding'], 'gzip', ae);
      assert.equal(gz.headers.vary, 'Accept-Encoding');
      assert.equal(gz.headers['content-length'], String(gz.body.length));
      assert.ok(gz.body.length < plain.body.length);
      assert.equal(sha1(zlib.gunzipSync(gz.body)), sha1(plain.body));
    }
  });
});

test('static: SIO_BROWSER_CLIENT_GZIP=1 never gzips the SWF files', T, async () => {
  await withTarget({ SIO_BROWSER_CLIENT_GZIP: 1 }, async (t) => {
    const res = await get(t, '/socket.io/static/flashsocket/WebSocketMain.swf', { 'Accept-Encoding': 'gzip' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal(res.body.length, fs.statSync(path.join(DIST, 'WebSocketMain.swf')).size);
  });
});

test('static: SIO_BROWSER_CLIENT_MINIFICATION=1 -> the production build header, smaller than development', T, async () => {
  await withTarget({ SIO_BROWSER_CLIENT_MINIFICATION: 1 }, async (t) => {
    const res = await get(t, '/socket.io/socket.io.js');
    assertBuild(res, MIN_HEADER);
    const dev = await get(target, '/socket.io/socket.io.js');
    assert.ok(res.body.length < dev.body.length, `${res.body.length} < ${dev.body.length}`);
  });
});

test('static: SIO_BROWSER_CLIENT=0 -> static paths answer 200 Welcome to socket.io.', T, async () => {
  await withTarget({ SIO_BROWSER_CLIENT: 0 }, async (t) => {
    for (const p of ['/socket.io/socket.io.js', '/socket.io/socket.io.v0.9.16.js', '/socket.io/static/flashsocket/WebSocketMain.swf']) {
      const res = await get(t, p);
      assert.equal(res.status, 200, p);
      assert.equal(res.text, WELCOME, p);
    }
  });
});

test('static: SIO_TRANSPORTS=websocket,xhr-polling -> the build contains those transports', T, async () => {
  await withTarget({ SIO_TRANSPORTS: 'websocket,xhr-polling' }, async (t) => {
    const res = await get(t, '/socket.io/socket.io.js');
    assertBuild(res);
    assertTransports(res, ['websocket', 'xhr-polling']);
  });
});
