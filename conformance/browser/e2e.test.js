'use strict';
// Real-browser end-to-end test: headless Chromium runs the socket.io 0.9.16 browser client, loaded
// cross-origin from the target's /socket.io/socket.io.js, against the test app (TEST-APP.md).
//
//   TARGET=reference (default) | TARGET=sio09 | TARGET_CMD=...   (see ../lib/target.js)
//   CHROMIUM=/usr/bin/chromium (default)
//   E2E_CLIENT=page   diagnostic mode: the page server itself serves the 0.9.16 client
//                     (../node_modules/socket.io-client/dist/socket.io.js), so that the transports
//                     can be tried on a target that does not serve the client yet; the first test
//                     still checks the target's /socket.io/socket.io.js (over plain HTTP).
//
// For each transport a browser can use (websocket, xhr-polling, jsonp-polling) one test, in a
// fresh browser context with two pages: page A holds socket `a` (the socket under test), page B
// holds the watcher `m` (watch(): room `monitor`) and the peer `b`. All three use the transport.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const { startTarget, kind } = require('../lib/target.js');

const TRANSPORTS = ['websocket', 'xhr-polling', 'jsonp-polling'];
const STEP_MS = 4000;      // per step (ack, event)
const CONNECT_MS = 6000;   // per connect (handshake + transport open)
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const CLIENT_FROM_PAGE = process.env.E2E_CLIENT === 'page';
const PAGE_HTML = fs.readFileSync(path.join(__dirname, 'page.html'), 'utf8');
const HARNESS_JS = fs.readFileSync(path.join(__dirname, 'harness.js'), 'utf8');

let target = null;
let pageServer = null;
let pageUrl = null;
let browser = null;
let launchError = null;
let clientCheck = null;    // null until checked; then { ok, detail }
const contexts = new Set();

// ------------------------------------------------------------------ helpers
function httpGet(url, timeoutMs = 3000) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ error: err.message }));
  });
}

function startPageServer(targetUrl) {
  let html = PAGE_HTML.replace(/\{\{TARGET\}\}/g, targetUrl);
  let clientJs = null;
  if (CLIENT_FROM_PAGE) {
    clientJs = fs.readFileSync(path.join(__dirname, '..', 'node_modules', 'socket.io-client', 'dist', 'socket.io.js'), 'utf8');
    html = html.replace(`${targetUrl}/socket.io/socket.io.js`, '/client/socket.io.js');
  }
  const server = http.createServer((req, res) => {
    const url = req.url.split('?')[0];
    let body = null;
    let type = null;
    if (url === '/' || url === '/index.html') { body = html; type = 'text/html; charset=utf-8'; }
    else if (url === '/harness.js') { body = HARNESS_JS; type = 'application/javascript; charset=utf-8'; }
    else if (url === '/client/socket.io.js' && clientJs) { body = clientJs; type = 'application/javascript; charset=utf-8'; }
    if (body === null) {
      res.writeHead(url === '/favicon.ico' ? 204 : 404, { 'Content-Length': 0 });
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer from the page within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

function targetTail() {
  if (!target) return '';
  const err = target.stderr.trim().split('\n').slice(-15).join('\n');
  return err ? `\n--- target stderr (tail) ---\n${err}` : '';
}

// A page plus a record of what went wrong in it (for failure messages).
async function openPage(context, name) {
  const page = await context.newPage();
  const notes = [];
  page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') notes.push(`[${name} console.${msg.type()}] ${msg.text()}`); });
  page.on('pageerror', (err) => notes.push(`[${name} pageerror] ${err.message}`));
  page.on('requestfailed', (req) => {
    const f = req.failure();
    // aborted long polls are normal when a socket closes
    if (f && /ERR_ABORTED/.test(f.errorText)) return;
    notes.push(`[${name} requestfailed] ${req.method()} ${req.url()} ${f ? f.errorText : ''}`);
  });
  page.on('response', (res) => { if (res.status() >= 400) notes.push(`[${name} HTTP ${res.status()}] ${res.request().method()} ${res.url()}`); });
  page.notes = notes;
  // What the page sent to the target's transport URLs (evidence of the transport really used).
  const wire = [];
  page.on('request', (req) => {
    const m = /\/socket\.io\/1\/([a-z-]+)\//.exec(req.url());
    if (m) wire.push({ transport: m[1], method: req.method(), type: req.resourceType(), url: req.url() });
  });
  page.on('websocket', (ws) => {
    const m = /\/socket\.io\/1\/([a-z-]+)\//.exec(ws.url());
    if (m) wire.push({ transport: m[1], method: 'GET', type: 'websocket', url: ws.url() });
  });
  page.wire = wire;
  await page.goto(pageUrl, { waitUntil: 'load', timeout: 10000 });
  return page;
}

async function describeClientScript() {
  const url = `${target.url}/socket.io/socket.io.js`;
  const r = await httpGet(url);
  if (r.error) return `GET ${url} failed: ${r.error}`;
  const head = r.body.toString('utf8', 0, Math.min(r.body.length, 160)).replace(/\s+/g, ' ');
  return `GET ${url} -> ${r.status} ${r.headers['content-type'] || '(no content-type)'}, `
    + `${r.body.length} bytes: ${JSON.stringify(head)}`;
}

// Fails the calling test with a clear reason when the browser or the client script is missing.
async function requireClient() {
  if (launchError) {
    assert.fail(`cannot launch Chromium (${CHROMIUM}): ${launchError.message}\n`
      + 'Install it with `apt-get update && apt-get install -y chromium` (conformance/browser/run.sh does), '
      + 'or point CHROMIUM at a Chromium binary.');
  }
  assert.ok(browser, 'browser not started (see the before hook error)');
  if (!clientCheck) {
    const ctx = await browser.newContext();
    contexts.add(ctx);
    try {
      const page = await openPage(ctx, 'probe');
      const version = await page.evaluate(() => window.h && window.h.clientVersion());
      clientCheck = version
        ? { ok: true, detail: version }
        : { ok: false, detail: `${await describeClientScript()}\n${page.notes.join('\n')}` };
    } finally {
      contexts.delete(ctx);
      await ctx.close().catch(() => {});
    }
  }
  if (!clientCheck.ok) {
    assert.fail(`the page could not load the browser client from the target (window.io is undefined):\n${clientCheck.detail}`);
  }
}

// ------------------------------------------------------------------ lifecycle
before(async () => {
  target = await startTarget({});   // default transports (websocket, htmlfile, xhr-polling, jsonp-polling)
  pageServer = await startPageServer(target.url);
  pageUrl = `http://127.0.0.1:${pageServer.address().port}/`;
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch (err) {
    launchError = new Error(`playwright-core is not installed (run \`npm ci\` in conformance/browser): ${err.message}`);
    return;
  }
  if (!fs.existsSync(CHROMIUM)) {
    launchError = new Error(`${CHROMIUM} does not exist`);
    return;
  }
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      timeout: 30000,
      env: { ...process.env, HOME: process.env.HOME || os.tmpdir() },
    });
  } catch (err) {
    launchError = err;
  }
});

after(async () => {
  for (const ctx of contexts) await ctx.close().catch(() => {});
  contexts.clear();
  if (browser) await browser.close().catch(() => {});
  if (pageServer) {
    pageServer.closeAllConnections();
    await new Promise((r) => pageServer.close(r));
  }
  if (target) await target.stop();
});

// ------------------------------------------------------------------ the checks
test('browser: the page loads the 0.9 browser client cross-origin from the target', async () => {
  if (CLIENT_FROM_PAGE) {
    // diagnostic mode: the page does not use the target's client; check it over plain HTTP
    const r = await httpGet(`${target.url}/socket.io/socket.io.js`);
    const ok = !r.error && r.status === 200 && /javascript/.test(r.headers['content-type'] || '')
      && r.body.toString('utf8', 0, 40).startsWith('/*! Socket.IO');
    assert.ok(ok, `the target does not serve the browser client: ${await describeClientScript()}`);
    return;
  }
  await requireClient();
  assert.match(clientCheck.detail, /^0\.9\./, `io.version is ${clientCheck.detail}`);
});

for (const tr of TRANSPORTS) {
  test(`browser ${tr}: connect, ack, room, broadcast, disconnect`, async () => {
    await requireClient();
    const context = await browser.newContext();
    contexts.add(context);
    const pages = [];
    // Runs one step in a page; failures name the step and carry the pages' notes.
    const step = async (label, page, fn, arg, ms = STEP_MS) => {
      try {
        return await withTimeout(page.evaluate(fn, arg), ms + 3000, label);
      } catch (err) {
        const notes = pages.flatMap((p) => p.notes);
        const msg = String(err && err.message || err).replace(/^page\.evaluate: (Error: )?/, '');
        throw new Error(`${tr}: step "${label}" failed: ${msg}`
          + (notes.length ? `\n--- browser notes ---\n${notes.join('\n')}` : '') + targetTail());
      }
    };
    const open = (page, key) => step(`connect ${key}`, page,
      ([k, url, t, ms]) => window.h.open(k, url, t, ms), [key, target.url, tr, CONNECT_MS], CONNECT_MS + 500);
    const emitAck = (page, key, name, args) => step(`${key}: ${name} with ack`, page,
      ([k, n, a, ms]) => window.h.emitAck(k, n, a, ms), [key, name, args, STEP_MS]);
    const emit = (page, key, name, args) => step(`${key}: emit ${name}`, page,
      ([k, n, a]) => window.h.emit(k, n, a), [key, name, args]);
    const waitFor = (page, key, name, firstArg) => step(`${key} receives ${name}`, page,
      ([k, n, f, ms]) => window.h.waitFor(k, n, f, ms), [key, name, firstArg === undefined ? null : firstArg, STEP_MS]);

    try {
      const pageA = await openPage(context, 'A');
      const pageB = await openPage(context, 'B');
      pages.push(pageA, pageB);

      // watcher m: sees arrived/gone of everybody in the default namespace
      const m = await open(pageB, 'm');
      assert.equal(m.transport, tr, `watcher m connected with ${m.transport}, not ${tr}`);
      assert.deepEqual(await emitAck(pageB, 'm', 'watch', []), [true], 'watch() acks true');

      // connect: the socket under test, on the requested transport
      const a = await open(pageA, 'a');
      assert.equal(a.transport, tr, `socket.socket.transport.name is ${a.transport}, not ${tr}`);
      assert.ok(typeof a.sid === 'string' && a.sid.length > 0, `session id ${a.sid}`);
      assert.deepEqual(await emitAck(pageA, 'a', 'whoami', []), [a.sid, ''], 'whoami acks (sid, "")');
      assert.deepEqual(await waitFor(pageB, 'm', 'arrived', a.sid), [a.sid, ''], 'the watcher sees arrived(sid, "")');

      // ack: echo with an ack returns exactly the arguments
      const echoArgs = [1, 'two', { three: [3, null, true, 4.5] }, 'ünïcødé € "q" \\ /', []];
      assert.deepEqual(await emitAck(pageA, 'a', 'echo', echoArgs), echoArgs, 'echo ack args');

      // room: a and b join 'r'; b's to-room reaches a (and b, a member)
      const b = await open(pageB, 'b');
      assert.equal(b.transport, tr, `peer b connected with ${b.transport}, not ${tr}`);
      assert.notEqual(b.sid, a.sid);
      assert.deepEqual(await emitAck(pageA, 'a', 'join', ['r']), ['r'], 'a: join(r) acks r');
      assert.deepEqual(await emitAck(pageB, 'b', 'join', ['r']), ['r'], 'b: join(r) acks r');
      const roomData = { from: 'b', transport: tr, n: [1, 2, 3] };
      await emit(pageB, 'b', 'to-room', ['r', roomData]);
      assert.deepEqual(await waitFor(pageA, 'a', 'room'), ['r', roomData], 'a receives room(r, data)');
      assert.deepEqual(await waitFor(pageB, 'b', 'room'), ['r', roomData], 'b (a member) receives room(r, data)');

      // broadcast: from b to everybody else in the namespace
      const bcast = `hello from b over ${tr}`;
      await emit(pageB, 'b', 'broadcast', [bcast]);
      assert.deepEqual(await waitFor(pageA, 'a', 'broadcast'), [bcast], 'a receives broadcast(data)');
      assert.deepEqual(await waitFor(pageB, 'm', 'broadcast'), [bcast], 'm receives broadcast(data)');

      // disconnect: a.disconnect() -> the client's own disconnect event, the server's gone(sid, '', booted)
      await step('a: disconnect()', pageA, ([k, ms]) => window.h.disconnect(k, ms), ['a', STEP_MS]);
      assert.deepEqual(await waitFor(pageA, 'a', 'disconnect'), ['booted'], 'client-side disconnect(booted)');
      assert.deepEqual(await waitFor(pageB, 'm', 'gone', a.sid), [a.sid, '', 'booted'],
        'the watcher sees gone(sid, "", "booted")');

      // the browser really spoke the transport: a websocket, CORS XHRs, or script tags (+ form POSTs)
      const wire = pageA.wire;
      assert.ok(wire.length > 0, 'page A made transport requests');
      assert.deepEqual(wire.filter((w) => w.transport !== tr), [], `page A used only ${tr} URLs`);
      const types = [...new Set(wire.map((w) => `${w.method} ${w.type}`))].sort();
      const want = { websocket: ['GET websocket'], 'xhr-polling': ['GET xhr', 'POST xhr'],
        'jsonp-polling': ['GET script', 'POST document'] }[tr];
      assert.deepEqual(types, want, `page A's ${tr} requests (method, resource type)`);

      // nothing unexpected on the way
      for (const [page, key] of [[pageA, 'a'], [pageB, 'b'], [pageB, 'm']]) {
        const evs = await step(`${key}: event log`, page, (k) => window.h.events(k), key);
        const bad = evs.filter((e) => ['error', 'connect_failed', 'reconnecting', 'reconnect'].includes(e.name));
        assert.deepEqual(bad, [], `${key} saw no error/connect_failed/reconnect events`);
      }
      const pageErrors = pages.flatMap((p) => p.notes).filter((n) => /pageerror/.test(n));
      assert.deepEqual(pageErrors, [], 'no uncaught exceptions in the pages');
    } finally {
      contexts.delete(context);
      await context.close().catch(() => {});
    }
  });
}
