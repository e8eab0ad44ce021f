'use strict';
// §4.4 heartbeats on websocket (interval 0.3 s, timeout 0.6 s). Windows, not exact times.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startTarget } = require('../lib/target');
const { connectWs } = require('../lib/ws');
const { monitor, waitGone, sleep } = require('../lib/packet');

const T = { timeout: 30000 };
const OPTS = { SIO_HEARTBEAT_INTERVAL: 0.3, SIO_HEARTBEAT_TIMEOUT: 0.6 };

let target;
before(async () => { target = await startTarget(OPTS); });
after(async () => { if (target) await target.stop(); });

test('heartbeat: handshake advertises the heartbeat timeout (0.6), never the interval', T, async () => {
  const s = await connectWs(target);
  try {
    assert.equal(s.handshake.heartbeatTimeout, '0.6');
  } finally { s.close(); }
});

test('heartbeat: 2:: arrives after the interval (window 0.1 s .. 3 s)', T, async () => {
  const s = await connectWs(target);
  const t0 = Date.now();
  try {
    await s.waitFor('2::', 3000);
    const dt = Date.now() - t0;
    assert.ok(dt >= 100, `heartbeat came too early (${dt} ms)`);
  } finally { s.close(); }
});

test('heartbeat: no reply -> connection closed and monitor sees gone(reason "heartbeat timeout")', T, async () => {
  const mon = await monitor(target);
  // keep the monitor alive by answering its heartbeats
  mon.ws.on('message', (d) => { if (d.toString() === '2::') mon.send('2::'); });
  const s = await connectWs(target);
  try {
    await s.waitFor('2::', 3000);
    await s.waitClosed(5000);
    assert.equal(await waitGone(mon, s.sid, '', 5000), 'heartbeat timeout');
    assert.equal(s.count((f) => f !== '1::' && f !== '2::'), 0, 'nothing but 1:: and 2:: was sent');
  } finally { s.close(); mon.close(); }
});

test('heartbeat: replying 2:: keeps the session alive across several intervals', T, async () => {
  const s = await connectWs(target);
  s.ws.on('message', (d) => { if (d.toString() === '2::') s.send('2::'); });
  try {
    await sleep(2500); // > 4 timeouts
    assert.equal(s.closed, false, 'still open');
    assert.ok(s.count('2::') >= 2, `heartbeats seen: ${s.count('2::')}`);
    s.send('5:1+::{"name":"echo","args":["alive"]}');
    await s.waitFor('6:::1+["alive"]');
  } finally { s.close(); }
});

test('heartbeat: other traffic does not replace the 2:: reply (server still times out)', T, async () => {
  const s = await connectWs(target);
  try {
    const timer = setInterval(() => { if (!s.closed) s.send('3:::busy'); }, 100);
    try {
      await s.waitClosed(6000);
    } finally { clearInterval(timer); }
    assert.ok(s.count('2::') >= 1, `closed (code ${s.closeCode}) without a heartbeat; frames ${JSON.stringify(s.frames)}`);
  } finally { s.close(); }
});
