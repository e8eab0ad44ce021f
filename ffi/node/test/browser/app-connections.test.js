'use strict';
// A real browser (headless Chromium) on a socket.io 0.9 app that serves its own page and
// stylesheet beside socket.io, on this module (issue 12 item 4): the browser reuses
// kept-alive connections for whatever comes next, so a connection that carried socket.io
// requests (handed to the library) later carries the app's page and stylesheet. Those must
// be the app's answers (the library hands the connection back), never the library's.
//
//   node --test ffi/node/test/browser/     (needs conformance/browser's playwright-core and
//                                           Debian's chromium: conformance/browser/run.sh)

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');

const sio = require('../../lib');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CSS = 'body { background: rgb(1, 2, 3); }\n';
const PAGE = `<!doctype html><html><head><title>app page</title>
<link rel="stylesheet" href="/style.css"><script src="/socket.io/socket.io.js"></script></head>
<body><p id="app">served by the app</p><script>
window.result = new Promise(function (resolve) {
  var s = io.connect('/', { transports: ['xhr-polling'], 'force new connection': true });
  s.on('connect', function () {
    s.emit('echo', 'ping', function (back) { resolve({ back: back, transport: s.socket.transport.name }); });
  });
});
</script></body></html>`;

function loadPlaywright() {
  const req = createRequire(path.resolve(__dirname, '..', '..', '..', '..', 'conformance', 'browser', 'package.json'));
  return req('playwright-core');
}

test('pages, stylesheet and socket.io share kept-alive connections in Chromium', { timeout: 60000 }, async () => {
  const { chromium } = loadPlaywright();
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} missing (conformance/browser/run.sh installs it)`);
  const served = { page: 0, css: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url.startsWith('/?')) {
      served.page++;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    } else if (req.url === '/style.css') {
      served.css++;
      res.writeHead(200, { 'Content-Type': 'text/css' });
      res.end(CSS);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  const io = sio.listen(server, { 'log level': 0, 'polling duration': 1 });
  io.sockets.on('connection', (socket) => {
    socket.on('echo', (msg, ack) => ack(msg));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    headless: true,
    env: { ...process.env, HOME: process.env.HOME || os.tmpdir() },
  });
  try {
    const context = await browser.newContext();
    // several rounds: pages load (document, stylesheet, client), connect over xhr-polling
    // and echo; each round reuses what the browser kept alive from the rounds before
    for (let round = 0; round < 4; round++) {
      const page = await context.newPage();
      const seen = [];
      page.on('response', (r) => seen.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] }));
      await page.goto(`${base}/?round=${round}`, { waitUntil: 'load', timeout: 15000 });
      const result = await page.evaluate(() => window.result);
      assert.deepEqual(result, { back: 'ping', transport: 'xhr-polling' });
      assert.equal(await page.textContent('#app'), 'served by the app');
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(1, 2, 3)', 'the stylesheet is the app\'s');
      // the stylesheet fetched again on whatever connection the browser picks
      const again = await page.evaluate(async () => {
        const r = await fetch('/style.css', { cache: 'no-store' });
        return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
      });
      assert.deepEqual(again, { status: 200, type: 'text/css', text: 'body { background: rgb(1, 2, 3); }\n' });
      const doc = seen.find((x) => x.url.startsWith(`${base}/?round=`));
      assert.equal(doc && doc.type, 'text/html; charset=utf-8');
      await page.close();
    }
    assert.ok(served.page >= 4 && served.css >= 8, `app served ${served.page} pages, ${served.css} stylesheets`);
    // the scenario really shared connections: some came back from the library
    assert.ok(io._handbacks > 0, 'no connection was handed back: the browser never reused one');
  } finally {
    await browser.close().catch(() => {});
    io.close();
    await new Promise((r) => server.close(r));
  }
});
