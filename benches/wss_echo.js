#!/usr/bin/env node
'use strict';
// Echo over wss (and ws, for the TLS share): sio09 against socket.io 0.9.19 in the same run.
//
//   node benches/wss_echo.js            (from the repository root; needs conformance/node_modules
//                                        and target/release/sio09)
//
// For each target and scheme: start the test app on a free loopback port (pinned to CPU 0 when
// taskset exists; this process is the load and should run on CPU 1: `taskset -c 1 node …`),
// open CLIENTS websocket sessions (ws@8; the suite's test certificate as CA for wss), and let
// each keep one `echo` with a data ack in flight. After WARMUP seconds, count the round trips
// for DURATION seconds and read the server's CPU time (utime + stime of /proc/<pid>/stat) at
// both ends. Prints round trips/s and server CPU µs per round trip, and the ratios.
// Loopback only; every run is bounded by DURATION and stops by itself.
//
// Targets: sio09 (the binary), node (the unchanged reference app on the Node module,
// ffi/node/bin/sio-app.js, with target/release/libsio09.so unless SIO09_LIB is set; its addon
// must be built), reference (socket.io 0.9.19).
//
// Knobs: CLIENTS [50] DURATION [8] WARMUP [2] SIO09_BIN [target/release/sio09]
// SCHEMES [wss,ws] TARGETS [sio09,reference] (add `node` for the module)

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CONF = path.join(ROOT, 'conformance');
const WebSocket = require(path.join(CONF, 'node_modules', 'ws'));
const CERT = path.join(CONF, 'fixtures', 'tls-cert.pem');
const KEY = path.join(CONF, 'fixtures', 'tls-key.pem');
const CA = fs.readFileSync(CERT);

const CLIENTS = Number(process.env.CLIENTS || 50);
const DURATION = Number(process.env.DURATION || 8);
const WARMUP = Number(process.env.WARMUP || 2);
const SIO09_BIN = path.resolve(ROOT, process.env.SIO09_BIN || 'target/release/sio09');
const SCHEMES = (process.env.SCHEMES || 'wss,ws').split(',');
const TARGETS = (process.env.TARGETS || 'sio09,reference').split(',');
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const HAS_TASKSET = (() => { try { execFileSync('taskset', ['-V'], { stdio: 'ignore' }); return true; } catch (e) { return false; } })();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime (fields 14, 15)
}

async function startServer(kind, tlsOn) {
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), SIO_LOG_LEVEL: '0' };
  for (const k of Object.keys(env)) if (k.startsWith('SIO_') && k !== 'SIO_LOG_LEVEL') delete env[k];
  if (tlsOn) Object.assign(env, { SIO_TLS_CERT: CERT, SIO_TLS_KEY: KEY });
  if (kind === 'sio09' || kind === 'node') env.SIO_WORKERS = '1';
  if (kind === 'node' && !env.SIO09_LIB) env.SIO09_LIB = path.join(ROOT, 'target', 'release', 'libsio09.so');
  const cmd = {
    sio09: [SIO09_BIN, '--app', 'test'],
    node: [process.execPath, path.join(ROOT, 'ffi', 'node', 'bin', 'sio-app.js'), path.join(CONF, 'reference-app.js')],
    reference: [process.execPath, path.join(CONF, 'reference-app.js')],
  }[kind];
  if (!cmd) throw new Error(`unknown target ${kind}`);
  const argv = HAS_TASKSET ? ['taskset', '-c', '0', ...cmd] : cmd;
  const child = spawn(argv[0], argv.slice(1), { env, cwd: CONF, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${kind} not ready`)), 15000);
    child.stdout.on('data', (d) => { if (/READY/.test(String(d))) { clearTimeout(t); resolve(); } });
    child.once('exit', (c) => { clearTimeout(t); reject(new Error(`${kind} exited ${c}`)); });
  });
  return { child, port };
}

function handshake(port, tlsOn) {
  const mod = require(tlsOn ? 'node:https' : 'node:http');
  return new Promise((resolve, reject) => {
    const req = mod.get({ host: '127.0.0.1', port, path: `/socket.io/1/?t=${Date.now()}`, ca: CA, agent: false }, (res) => {
      let b = '';
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve(b.split(':')[0]));
    });
    req.on('error', reject);
  });
}

// One client: a websocket session with one echo in flight at a time; `stats.n` counts acks.
async function client(port, tlsOn, stats) {
  const sid = await handshake(port, tlsOn);
  const url = `${tlsOn ? 'wss' : 'ws'}://127.0.0.1:${port}/socket.io/1/websocket/${sid}`;
  const ws = new WebSocket(url, { ca: CA, perMessageDeflate: false });
  let id = 0;
  const send = () => { id += 1; ws.send(`5:${id}+::{"name":"echo","args":["hello world ${id}"]}`); };
  ws.on('message', (m) => {
    const t = String(m);
    if (t === '1::') return send();
    if (t.startsWith('6:::')) { stats.n += 1; if (!stats.stop) send(); }
  });
  ws.on('error', () => {});
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return ws;
}

async function run(kind, scheme) {
  const tlsOn = scheme === 'wss';
  const { child, port } = await startServer(kind, tlsOn);
  const stats = { n: 0, stop: false };
  const sockets = [];
  try {
    for (let i = 0; i < CLIENTS; i++) sockets.push(await client(port, tlsOn, stats));
    await sleep(WARMUP * 1000);
    const n0 = stats.n; const c0 = cpuSeconds(child.pid); const t0 = process.hrtime.bigint();
    await sleep(DURATION * 1000);
    const n1 = stats.n; const c1 = cpuSeconds(child.pid); const t1 = process.hrtime.bigint();
    stats.stop = true;
    const secs = Number(t1 - t0) / 1e9;
    const rts = (n1 - n0) / secs;
    const cpuUs = ((c1 - c0) * 1e6) / Math.max(1, n1 - n0);
    return { kind, scheme, rts, cpuUs, cpuShare: (c1 - c0) / secs };
  } finally {
    for (const s of sockets) s.terminate();
    child.kill('SIGTERM');
    await new Promise((r) => { if (child.exitCode !== null) r(); else child.once('exit', r); });
  }
}

(async () => {
  const results = [];
  for (const scheme of SCHEMES) {
    for (const kind of TARGETS) {
      const r = await run(kind, scheme);
      results.push(r);
      console.log(`${scheme.padEnd(3)} ${kind.padEnd(9)} ${r.rts.toFixed(0).padStart(7)} round trips/s  `
        + `server CPU ${r.cpuUs.toFixed(1).padStart(6)} µs/round trip  (${(r.cpuShare * 100).toFixed(0)}% of a core)`);
    }
  }
  for (const scheme of SCHEMES) {
    const ref = results.find((r) => r.kind === 'reference' && r.scheme === scheme);
    for (const kind of ['sio09', 'node']) {
      const s = results.find((r) => r.kind === kind && r.scheme === scheme);
      if (s && ref) {
        console.log(`${scheme}: ${kind}: CPU per round trip ${(s.cpuUs / ref.cpuUs).toFixed(2)} of the reference's, `
          + `round trips/s ${(s.rts / ref.rts).toFixed(2)}x`);
      }
    }
  }
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
