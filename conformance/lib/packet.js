'use strict';
// Strict socket.io 0.9 packet parsing for assertions (PROTOCOL.md §2), plus small helpers
// shared by the tests.

const { connectWs, joinNamespace } = require('./ws');

const PACKET_RE = /^([0-8]):([0-9]*)(\+?):([^:]*)(?::([\s\S]*))?$/;

// -> { type, id, dataAck, endpoint, data } or null when the text is not a packet.
function parse(text) {
  const m = PACKET_RE.exec(text);
  if (!m) return null;
  return {
    type: Number(m[1]), id: m[2], dataAck: m[3] === '+', endpoint: m[4],
    data: m[5] === undefined ? undefined : m[5],
  };
}

// An event frame -> { name, args, endpoint, id, dataAck } (null if not an event packet).
function event(text) {
  const p = parse(text);
  if (!p || p.type !== 5 || p.data === undefined) return null;
  let obj;
  try { obj = JSON.parse(p.data); } catch (e) { return null; }
  return { name: obj.name, args: obj.args || [], endpoint: p.endpoint, id: p.id, dataAck: p.dataAck };
}

// Predicate: event frame with this name on this endpoint (optionally extra check on args).
function isEvent(name, endpoint = '', argsPred) {
  const fn = (f) => {
    const e = event(f);
    return !!e && e.name === name && e.endpoint === endpoint && (!argsPred || argsPred(e.args));
  };
  Object.defineProperty(fn, 'name', { value: `event ${name} on ${JSON.stringify(endpoint)}` });
  return fn;
}

// A websocket session that has joined room `monitor` of namespace `nsp` (via `watch`).
async function monitor(target, nsp = '') {
  const m = await connectWs(target);
  if (nsp) await joinNamespace(m, nsp);
  const res = await m.call('watch', [], { endpoint: nsp });
  if (res.length !== 1 || res[0] !== true) throw new Error(`watch ack was ${JSON.stringify(res)}`);
  return m;
}

// Wait for gone(sid, nsp, reason) on a monitor; resolves with the reason.
async function waitGone(mon, sid, nsp = '', timeoutMs = 8000) {
  const f = await mon.waitFor(isEvent('gone', nsp, (a) => a[0] === sid && a[1] === nsp), timeoutMs);
  return event(f).args[2];
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

module.exports = { parse, event, isEvent, monitor, waitGone, sleep, PACKET_RE };
