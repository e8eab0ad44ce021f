'use strict';
// The 0.9 packet codec as a JavaScript utility (`require('socket.io').parser` in 0.9),
// written from PROTOCOL.md §2. The server itself never uses it: libsio09 encodes and
// decodes on its own threads. Packet objects have the 0.9 shape:
// { type, id, ack ('data' | true), endpoint, data, name, args, qs, ackId, reason, advice }.

const TYPES = ['disconnect', 'connect', 'heartbeat', 'message', 'json', 'event', 'ack', 'error', 'noop'];
const REASONS = ['transport not supported', 'client not handshaken', 'unauthorized'];
const ADVICE = ['reconnect'];
const PACKET_RE = /([^:]+):([0-9]+)?(\+)?:([^:]+)?:?([\s\S]*)?/;
const FRAME = '\ufffd';

function encodePacket(packet) {
  const type = TYPES.indexOf(packet.type);
  const id = packet.id ? String(packet.id) : '';
  const endpoint = packet.endpoint || '';
  const ack = packet.ack;
  let data = null;

  switch (packet.type) {
    case 'error': {
      const reason = packet.reason ? REASONS.indexOf(packet.reason) : '';
      const advice = packet.advice ? ADVICE.indexOf(packet.advice) : '';
      if (reason !== '' || advice !== '') data = String(reason) + (advice !== '' ? '+' + advice : '');
      break;
    }
    case 'message':
      if (packet.data !== '' && packet.data !== undefined && packet.data !== null) data = String(packet.data);
      break;
    case 'event': {
      const ev = { name: packet.name };
      if (packet.args && packet.args.length) ev.args = packet.args;
      data = JSON.stringify(ev);
      break;
    }
    case 'json':
      data = JSON.stringify(packet.data);
      break;
    case 'connect':
      if (packet.qs) data = packet.qs;
      break;
    case 'ack':
      data = String(packet.ackId) + (packet.args && packet.args.length ? '+' + JSON.stringify(packet.args) : '');
      break;
    default:
  }

  const parts = [type, id + (ack === 'data' ? '+' : ''), endpoint];
  if (data !== null && data !== undefined) parts.push(data);
  return parts.join(':');
}

function encodePayload(packets) {
  if (packets.length === 1) return packets[0];
  let out = '';
  for (const p of packets) out += FRAME + p.length + FRAME + p;
  return out;
}

function decodePacket(data) {
  const m = String(data).match(PACKET_RE);
  if (!m) return {};
  const id = m[2] || '';
  let body = m[5] || '';
  const packet = { type: TYPES[m[1]], endpoint: m[4] || '' };

  if (id) {
    packet.id = id;
    packet.ack = m[3] ? 'data' : true;
  }

  switch (packet.type) {
    case 'error': {
      const pieces = body.split('+');
      packet.reason = REASONS[pieces[0]] || '';
      packet.advice = ADVICE[pieces[1]] || '';
      break;
    }
    case 'message':
      packet.data = body || '';
      break;
    case 'event': {
      let ev;
      try { ev = JSON.parse(body); } catch (e) { ev = null; }
      if (ev && typeof ev === 'object') {
        packet.name = ev.name;
        packet.args = [].concat(ev.args === undefined ? [] : ev.args);
      } else {
        packet.args = [];
      }
      break;
    }
    case 'json':
      try { packet.data = JSON.parse(body); } catch (e) { packet.data = false; }
      break;
    case 'connect':
      packet.qs = body || '';
      break;
    case 'ack': {
      const a = body.match(/^([0-9]+)(\+)?([\s\S]*)/);
      if (a) {
        packet.ackId = a[1];
        packet.args = [];
        if (a[3]) {
          try { packet.args = a[3] ? JSON.parse(a[3]) : []; } catch (e) { packet.args = []; }
        }
      }
      break;
    }
    default:
  }
  body = null;
  return packet;
}

function decodePayload(data) {
  data = String(data);
  if (data.charAt(0) !== FRAME) return [decodePacket(data)];
  const out = [];
  let length = '';
  for (let i = 1; i < data.length; i++) {
    if (data.charAt(i) === FRAME) {
      const n = Number(length);
      if (!(n >= 0) || length === '') {
        out.push({});
        break;
      }
      out.push(decodePacket(data.substr(i + 1, n)));
      i += n + 1;
      length = '';
    } else {
      length += data.charAt(i);
    }
  }
  return out;
}

module.exports = { packets: TYPES, reasons: REASONS, advice: ADVICE, encodePacket, encodePayload, decodePacket, decodePayload };
