'use strict';
// Load: 500 concurrent raw websocket clients in one room, each sends 20 numbered
// broadcast-room events; every client must receive every peer's 20 events exactly once and
// in per-sender order. Fails after 120 s of traffic (the reference needs ~45 s on a quiet
// 2-core machine; sio09 ~6 s).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { startTarget } = require('../lib/target');
const { handshake } = require('../lib/http');

const CLIENTS = Number(process.env.LOAD_CLIENTS || 500);
const EVENTS = Number(process.env.LOAD_EVENTS || 20);
const ROOM = 'load';
const TRAFFIC_LIMIT_MS = Number(process.env.LOAD_LIMIT_MS || 120000);

let target;
before(async () => { target = await startTarget(); });
after(async () => { if (target) await target.stop(); });

function openClient(t, idx) {
  return handshake(t).then((hs) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.wsUrl}/socket.io/1/websocket/${hs.sid}`, { perMessageDeflate: false, handshakeTimeout: 20000, skipUTF8Validation: true });
    const c = {
      idx, sid: hs.sid, ws, joined: false, received: 0, errors: [],
      next: new Int32Array(CLIENTS), // next expected seq per sender
      closed: false,
    };
    const prefix = `5:::{"name":"room","args":["${ROOM}",`;
    let onJoined = null;
    c.joinedPromise = new Promise((r) => { onJoined = r; });
    ws.on('message', (data) => {
      const f = data.toString();
      if (f === '1::') {
        ws.send(`5:1+::{"name":"join","args":["${ROOM}"]}`);
        return;
      }
      if (f === `6:::1+["${ROOM}"]`) { c.joined = true; onJoined(); return; }
      if (f === '2::') { ws.send('2::'); return; }
      if (f.startsWith(prefix)) {
        // args: ["load", [sender, seq]]
        const [sender, seq] = JSON.parse(f.slice(prefix.length, -2));
        if (sender === idx) c.errors.push(`got own event ${seq}`);
        else if (seq !== c.next[sender]) c.errors.push(`from ${sender}: expected ${c.next[sender]}, got ${seq}`);
        else c.next[sender]++;
        c.received++;
        if (c.received === (CLIENTS - 1) * EVENTS && c.onDone) c.onDone();
        return;
      }
      c.errors.push(`unexpected frame ${f.slice(0, 100)}`);
    });
    ws.on('close', () => { c.closed = true; });
    ws.once('open', () => resolve(c));
    ws.once('error', (err) => { c.errors.push(String(err)); reject(err); });
  }));
}

test(`load: ${CLIENTS} websocket clients x ${EVENTS} broadcast-room events, each delivered once and in order`, { timeout: 150000 }, async () => {
  const list = [];
  try {
    // connect in batches to keep the accept queue reasonable
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(CLIENTS, i + 50); j++) batch.push(openClient(target, j));
      list.push(...await Promise.all(batch));
    }
    await Promise.race([
      Promise.all(list.map((c) => c.joinedPromise)),
      new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${list.filter((c) => c.joined).length}/${CLIENTS} joined within 30 s`)), 30000)),
    ]);

    const expected = (CLIENTS - 1) * EVENTS;
    const done = Promise.all(list.map((c) => new Promise((resolve) => {
      if (c.received === expected) resolve();
      else c.onDone = resolve;
    })));
    const t0 = Date.now();
    for (let seq = 0; seq < EVENTS; seq++) {
      for (const c of list) c.ws.send(`5:::{"name":"broadcast-room","args":["${ROOM}",[${c.idx},${seq}]]}`);
    }
    let timer;
    await Promise.race([
      done,
      new Promise((_, rej) => {
        timer = setTimeout(() => {
          const short = list.filter((c) => c.received < expected);
          rej(new Error(`after ${TRAFFIC_LIMIT_MS} ms ${short.length} clients are short; e.g. client ${short[0] && short[0].idx} has ${short[0] && short[0].received}/${expected}`));
        }, TRAFFIC_LIMIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    const elapsed = Date.now() - t0;
    let cpu = '';
    try {
      const st = require('node:fs').readFileSync(`/proc/${target.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      cpu = ` (target CPU ${((Number(st[11]) + Number(st[12])) / 100).toFixed(1)} s, this process ${(process.cpuUsage().user / 1e6).toFixed(1)} s user)`;
    } catch (e) { /* not Linux */ }

    // settle briefly: no duplicates arriving late
    await new Promise((r) => setTimeout(r, 300));
    const errors = list.flatMap((c) => c.errors.map((e) => `client ${c.idx}: ${e}`));
    assert.deepEqual(errors.slice(0, 10), []);
    for (const c of list) {
      assert.equal(c.received, expected, `client ${c.idx} received ${c.received}`);
      for (let s = 0; s < CLIENTS; s++) {
        if (s === c.idx) continue;
        if (c.next[s] !== EVENTS) assert.fail(`client ${c.idx} got ${c.next[s]}/${EVENTS} from ${s}`);
      }
      assert.equal(c.closed, false, `client ${c.idx} was disconnected`);
    }
    process.stdout.write(`# load: ${CLIENTS * EVENTS} events fanned out to ${CLIENTS * expected} deliveries in ${elapsed} ms${cpu}\n`);
  } finally {
    for (const c of list) { try { c.ws.terminate(); } catch (e) { /* ignore */ } }
  }
});
