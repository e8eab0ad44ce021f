'use strict';
// Mixed-transport load: 200 websocket + 100 xhr-polling + 50 jsonp-polling raw clients in one
// room; each sends 10 numbered `to-room` events (the sender is a member, so it gets its own
// too). Every client must receive every sender's events exactly once and in per-sender order.
// Polling clients keep exactly one GET pending (keep-alive agent) and POST their sends one at a
// time. Fails after 90 s of traffic (LOAD_LIMIT_MS overrides).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const WebSocket = require('ws');
const { startTarget } = require('../lib/target');
const { handshake } = require('../lib/http');
const { decodePayload, unwrapJsonp, formBody } = require('../lib/polling');

const N_WS = Number(process.env.MIXED_WS || 200);
const N_XHR = Number(process.env.MIXED_XHR || 100);
const N_JSONP = Number(process.env.MIXED_JSONP || 50);
const EVENTS = Number(process.env.MIXED_EVENTS || 10);
const TOTAL = N_WS + N_XHR + N_JSONP;
const ROOM = 'mixed';
const TRAFFIC_LIMIT_MS = Number(process.env.LOAD_LIMIT_MS || 90000);
const EXPECTED = TOTAL * EVENTS; // per client, own events included
const PREFIX = `5:::{"name":"room","args":["${ROOM}",`;
const JOIN_ACK = `6:::1+["${ROOM}"]`;

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

let target;
before(async () => { target = await startTarget(); });
after(async () => { agent.destroy(); if (target) await target.stop(); });

// One HTTP request on the keep-alive agent; retried once when a reused idle socket was reset
// (the server closed it just before the request went out: nothing was processed).
function http1(t, method, path, body, headers = {}, retried = false) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: t.port, method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.setTimeout(60000, () => r.destroy(new Error(`${method} ${path} timed out`)));
    r.on('error', (err) => {
      if (!retried && r.reusedSocket && err.code === 'ECONNRESET') {
        http1(t, method, path, body, headers, true).then(resolve, reject);
      } else reject(err);
    });
    if (body !== undefined) r.write(body);
    r.end();
  });
}

function newClient(idx, transport) {
  const c = {
    idx, transport, received: 0, errors: [], next: new Int32Array(TOTAL), joined: false, closed: false,
  };
  c.joinedPromise = new Promise((r) => { c.onJoined = r; });
  c.donePromise = new Promise((r) => { c.onDone = r; });
  return c;
}

// Handle one received packet; returns false when the client should stop.
function onPacket(c, p) {
  if (p.startsWith(PREFIX)) {
    const [sender, seq] = JSON.parse(p.slice(PREFIX.length, -2));
    if (seq !== c.next[sender]) c.errors.push(`from ${sender}: expected ${c.next[sender]}, got ${seq}`);
    else c.next[sender]++;
    c.received++;
    if (c.received === EXPECTED) c.onDone();
    return true;
  }
  if (p === JOIN_ACK) { c.joined = true; c.onJoined(); return true; }
  if (p === '8::' || p === '1::') return true;
  if (p === '2::') { c.send('2::'); return true; }
  c.errors.push(`unexpected packet ${p.slice(0, 100)}`);
  return !(p === '0::' || p.startsWith('7:'));
}

async function openWsClient(t, idx) {
  const hs = await handshake(t);
  const c = newClient(idx, 'websocket');
  await new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.wsUrl}/socket.io/1/websocket/${hs.sid}`, { perMessageDeflate: false, handshakeTimeout: 20000, skipUTF8Validation: true });
    c.ws = ws;
    c.send = (text) => { if (ws.readyState === WebSocket.OPEN) ws.send(text); };
    c.sendEvents = async () => { for (let seq = 0; seq < EVENTS; seq++) c.send(`5:::{"name":"to-room","args":["${ROOM}",[${idx},${seq}]]}`); };
    c.close = () => { try { ws.terminate(); } catch (e) { /* ignore */ } };
    ws.on('message', (data) => {
      const f = data.toString();
      if (f === '1::') { ws.send(`5:1+::{"name":"join","args":["${ROOM}"]}`); return; }
      onPacket(c, f);
    });
    ws.on('close', () => { c.closed = true; });
    ws.once('open', resolve);
    ws.once('error', (err) => { c.errors.push(String(err)); reject(err); });
  });
  return c;
}

async function openPollClient(t, idx, transport) {
  const hs = await handshake(t);
  const c = newClient(idx, transport);
  const jsonp = transport === 'jsonp-polling';
  const base = `/socket.io/1/${transport}/${hs.sid}`;
  let n = 0;
  const url = () => `${base}?t=${++n}${jsonp ? '&i=0' : ''}`;
  c.running = true;
  c.post = async (payload) => {
    const res = jsonp
      ? await http1(t, 'POST', url(), formBody(payload), { 'Content-Type': 'application/x-www-form-urlencoded' })
      : await http1(t, 'POST', url(), payload, { 'Content-Type': 'text/plain;charset=UTF-8' });
    if (res.status !== 200 || res.text !== '1') c.errors.push(`POST answered ${res.status} ${res.text.slice(0, 50)}`);
  };
  c.send = (text) => { c.post(text).catch((e) => c.errors.push(`POST ${e.message}`)); };
  c.sendEvents = async () => {
    for (let seq = 0; seq < EVENTS; seq++) await c.post(`5:::{"name":"to-room","args":["${ROOM}",[${idx},${seq}]]}`);
  };
  c.close = () => { c.running = false; };
  const loop = async () => {
    while (c.running) {
      let res;
      try {
        res = await http1(t, 'GET', url());
      } catch (e) {
        if (c.running) c.errors.push(`GET ${e.message}`);
        c.closed = true;
        return;
      }
      if (res.status !== 200) { c.errors.push(`GET answered ${res.status}`); c.closed = true; return; }
      const text = jsonp ? unwrapJsonp(res.text).text : res.text;
      for (const p of decodePayload(text)) {
        if (p === '1::') c.post(`5:1+::{"name":"join","args":["${ROOM}"]}`).catch((e) => c.errors.push(`join ${e.message}`));
        else if (!onPacket(c, p)) { c.closed = true; return; }
      }
    }
  };
  c.loopDone = loop();
  return c;
}

test(`load (mixed): ${N_WS} websocket + ${N_XHR} xhr-polling + ${N_JSONP} jsonp-polling clients x ${EVENTS} to-room events, each delivered once and in order`, { timeout: TRAFFIC_LIMIT_MS + 90000 }, async () => {
  const list = [];
  try {
    const kinds = [];
    for (let i = 0; i < N_WS; i++) kinds.push('websocket');
    for (let i = 0; i < N_XHR; i++) kinds.push('xhr-polling');
    for (let i = 0; i < N_JSONP; i++) kinds.push('jsonp-polling');
    for (let i = 0; i < TOTAL; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(TOTAL, i + 50); j++) {
        batch.push(kinds[j] === 'websocket' ? openWsClient(target, j) : openPollClient(target, j, kinds[j]));
      }
      list.push(...await Promise.all(batch));
    }
    let jt;
    await Promise.race([
      Promise.all(list.map((c) => c.joinedPromise)),
      new Promise((_, rej) => { jt = setTimeout(() => rej(new Error(`only ${list.filter((c) => c.joined).length}/${TOTAL} joined within 30 s; errors: ${JSON.stringify(list.flatMap((c) => c.errors).slice(0, 5))}`)), 30000); }),
    ]).finally(() => clearTimeout(jt));

    const t0 = Date.now();
    const done = Promise.all(list.map((c) => c.donePromise));
    const sends = Promise.all(list.map((c) => c.sendEvents().catch((e) => c.errors.push(`send ${e.message}`))));
    let timer;
    await Promise.race([
      Promise.all([done, sends]),
      new Promise((_, rej) => {
        timer = setTimeout(() => {
          const short = list.filter((c) => c.received < EXPECTED);
          const byKind = {};
          for (const c of short) byKind[c.transport] = (byKind[c.transport] || 0) + 1;
          rej(new Error(`after ${TRAFFIC_LIMIT_MS} ms ${short.length} clients are short (${JSON.stringify(byKind)}); e.g. client ${short[0] && short[0].idx} (${short[0] && short[0].transport}) has ${short[0] && short[0].received}/${EXPECTED}; errors: ${JSON.stringify(list.flatMap((c) => c.errors).slice(0, 5))}`));
        }, TRAFFIC_LIMIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    const elapsed = Date.now() - t0;

    // settle briefly: no duplicates arriving late
    await new Promise((r) => setTimeout(r, 500));
    const errors = list.flatMap((c) => c.errors.map((e) => `client ${c.idx} (${c.transport}): ${e}`));
    assert.deepEqual(errors.slice(0, 10), []);
    for (const c of list) {
      assert.equal(c.received, EXPECTED, `client ${c.idx} (${c.transport}) received ${c.received}`);
      for (let s = 0; s < TOTAL; s++) {
        if (c.next[s] !== EVENTS) assert.fail(`client ${c.idx} (${c.transport}) got ${c.next[s]}/${EVENTS} from ${s}`);
      }
      assert.equal(c.closed, false, `client ${c.idx} (${c.transport}) was disconnected`);
    }
    process.stdout.write(`# load (mixed): ${TOTAL * EVENTS} events fanned out to ${TOTAL * EXPECTED} deliveries in ${elapsed} ms\n`);
  } finally {
    for (const c of list) c.close();
    agent.destroy();
  }
});
