'use strict';
// Start and stop a test target (the test app of TEST-APP.md) on a free loopback port.
//
//   TARGET=reference (default)  node reference-app.js
//   TARGET=sio09                $SIO09_BIN --app test   (default ../target/debug/sio09)
//   TARGET_CMD='...'            any command, run through `sh -c` (kind 'other')
//
// Every target gets PORT=<port> and the per-test SIO_* options in its environment.

const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

function detectKind() {
  if (process.env.TARGET_CMD && process.env.TARGET_CMD.trim() !== '') return 'other';
  const t = (process.env.TARGET || 'reference').trim();
  if (t === 'sio09') return 'sio09';
  if (t === 'reference' || t === '') return 'reference';
  throw new Error(`unknown TARGET=${t} (use reference, sio09, or set TARGET_CMD)`);
}

const kind = detectKind();

function sio09Bin() {
  const bin = process.env.SIO09_BIN || path.join(ROOT, '..', 'target', 'debug', 'sio09');
  return path.resolve(ROOT, bin);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => { s.removeAllListeners(); s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

// Options: plain object whose keys are either env names (SIO_HEARTBEAT_INTERVAL) or option
// names ('heartbeat interval'); values are strings/numbers/booleans/arrays.
function optionsToEnv(options) {
  const env = {};
  for (const [k, v] of Object.entries(options || {})) {
    const name = k.startsWith('SIO_') ? k : 'SIO_' + k.toUpperCase().replace(/[ -]/g, '_');
    let value;
    if (Array.isArray(v)) value = v.join(',');
    else if (typeof v === 'boolean') value = v ? '1' : '0';
    else value = String(v);
    env[name] = value;
  }
  return env;
}

class Target {
  constructor(options = {}) {
    this.options = options;
    this.port = null;
    this.child = null;
    this.stdout = '';
    this.stderr = '';
    this.kind = kind;
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get wsUrl() { return `ws://127.0.0.1:${this.port}`; }

  _spawn() {
    const env = { ...process.env };
    // Do not leak SIO_* options of the outer environment into a target, except
    // SIO_IO_DRIVER, with which the suite runs sio09 on each of its I/O drivers.
    for (const k of Object.keys(env)) if (k.startsWith('SIO_') && k !== 'SIO_IO_DRIVER') delete env[k];
    Object.assign(env, optionsToEnv(this.options), { PORT: String(this.port) });
    let child;
    if (kind === 'other') {
      // own process group, so that stopping it also stops whatever `sh -c` started
      child = spawn('sh', ['-c', process.env.TARGET_CMD], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child.group = true;
    } else if (kind === 'sio09') {
      child = spawn(sio09Bin(), ['--app', 'test'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    } else {
      child = spawn(process.execPath, [path.join(ROOT, 'reference-app.js')], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    }
    this.stdout = '';
    this.stderr = '';
    child.stdout.on('data', (d) => { this.stdout = (this.stdout + d).slice(-20000); });
    child.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-20000); });
    child.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => { child.exitInfo = { code, signal }; resolve(child.exitInfo); });
      child.once('error', (err) => { child.spawnError = err; child.exitInfo = { code: null, signal: null, err }; resolve(child.exitInfo); });
    });
    this.child = child;
    return child;
  }

  async _waitReady(timeoutMs = 15000) {
    const child = this.child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitInfo) {
        throw new Error(`target exited before accepting connections (${JSON.stringify(child.exitInfo)}`
          + `${child.spawnError ? ' ' + child.spawnError.message : ''})\n--- stderr ---\n${this.stderr}\n--- stdout ---\n${this.stdout}`);
      }
      if (await canConnect(this.port)) return;
      await sleep(50);
    }
    await this._kill();
    throw new Error(`target did not accept connections on port ${this.port} within ${timeoutMs} ms`
      + `\n--- stderr ---\n${this.stderr}\n--- stdout ---\n${this.stdout}`);
  }

  async start() {
    let lastErr;
    // A port picked as free can be grabbed by someone else before the child binds it: retry.
    for (let attempt = 0; attempt < 3; attempt++) {
      this.port = await freePort();
      this._spawn();
      try {
        await this._waitReady();
        return this;
      } catch (err) {
        lastErr = err;
        if (!/EADDRINUSE|address already in use/i.test(this.stderr)) break;
      }
    }
    throw lastErr;
  }

  async _kill(timeoutMs = 5000) {
    const child = this.child;
    if (!child || child.exitInfo) return;
    const signal = (sig) => {
      try {
        if (child.group) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch (e) { /* already gone */ }
    };
    signal('SIGTERM');
    const t = setTimeout(() => signal('SIGKILL'), timeoutMs);
    await child.exited;
    clearTimeout(t);
  }

  async stop() {
    await this._kill();
  }

  // Stop and start again on the same port (for reconnection tests).
  async restart(downMs = 0) {
    await this._kill();
    if (downMs) await sleep(downMs);
    const deadline = Date.now() + 15000;
    for (;;) {
      this._spawn();
      try {
        await this._waitReady();
        return this;
      } catch (err) {
        if (!/EADDRINUSE|address already in use/i.test(this.stderr) || Date.now() > deadline) throw err;
        await sleep(200);
      }
    }
  }
}

async function startTarget(options = {}) {
  const t = new Target(options);
  await t.start();
  return t;
}

module.exports = { kind, Target, startTarget, optionsToEnv, freePort, sleep };
