'use strict';
// Which TCP ports a process and its descendants listen on (Linux /proc): the socket inodes
// among their file descriptors, matched against LISTEN rows of /proc/net/tcp{,6}. Descendants
// count because a TARGET_CMD target runs under `sh -c`. Returns a sorted array of distinct
// ports, or null when /proc is not available (callers then skip the assertion).

const fs = require('node:fs');

function descendants(pid) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch (e) { /* process gone */ }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) || []));
  return out;
}

function listeningPorts(pid) {
  try { fs.readdirSync(`/proc/${pid}/fd`); } catch (e) { return null; }
  const inodes = new Set();
  for (const p of descendants(pid)) {
    let fds;
    try { fds = fs.readdirSync(`/proc/${p}/fd`); } catch (e) { continue; }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${p}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch (e) { /* fd closed meanwhile */ }
    }
  }
  const ports = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try { text = fs.readFileSync(file, 'utf8'); } catch (e) { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      if (inodes.has(cols[9])) ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

module.exports = { listeningPorts };
