#!/usr/bin/env node
'use strict';
// Runs socket.io 0.9.19's own test suite (../shared/orig-suite, beside the repository) on
// this module and fails on any test that fails and is not listed, with its reason, in
// orig-suite.expected. A listed test that passes is reported (the list should shrink).
//
//   node ffi/node/test/orig-suite.js [STEM ...]     (e.g. `namespace io`)
//
// Environment: ORIG_SUITE (default ../shared/orig-suite from the repository root) and
// everything run.sh takes (ORIG_TIMEOUT, ORIG_REDIS_PORT, ...).

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..', '..');
const suite = process.env.ORIG_SUITE || path.resolve(root, '..', 'shared', 'orig-suite');
const runSh = path.join(suite, 'run.sh');
if (!fs.existsSync(runSh)) {
  console.error(`orig-suite: ${runSh} not found (set ORIG_SUITE)`);
  process.exit(2);
}

// "file.test.js<TAB>test name<TAB>reason" lines; # comments
const expected = new Map();
const listFile = path.join(__dirname, 'orig-suite.expected');
for (const line of fs.readFileSync(listFile, 'utf8').split('\n')) {
  if (!line.trim() || line.startsWith('#')) continue;
  const [file, name, reason] = line.split('\t');
  expected.set(`${file}\t${name}`, reason || '');
}

const run = spawnSync('bash', [runSh, path.join(root, 'ffi', 'node'), ...process.argv.slice(2)], {
  env: {
    ...process.env,
    ORIG_VERBOSE: '1',
    // the suite's hixie-76 client needs Node <= 5's string hashing (see that file)
    NODE_OPTIONS: `${process.env.NODE_OPTIONS || ''} --require ${path.join(__dirname, 'orig-suite-node5-hash.js')}`.trim(),
  },
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
const out = `${run.stdout || ''}${run.stderr || ''}`;

let file = null;
let passed = 0;
const unexpected = [];
const known = [];
const fixed = [];
for (const line of out.split('\n')) {
  const head = /^(\S+\.test\.js) passed \d+ failed \d+/.exec(line);
  if (head) { file = head[1]; continue; }
  const ok = /^ {2}ok (.*)$/.exec(line);
  if (ok && file) {
    passed++;
    if (expected.has(`${file}\t${ok[1]}`)) fixed.push(`${file}: ${ok[1]}`);
    continue;
  }
  const fail = /^ {2}FAIL (.*?): (.*)$/.exec(line) || /^ {2}FAIL (.*)$/.exec(line);
  if (fail && file) {
    const key = `${file}\t${fail[1]}`;
    if (expected.has(key)) known.push(`${file}: ${fail[1]} (${expected.get(key)})`);
    else unexpected.push(`${file}: ${fail[1]}${fail[2] ? ': ' + fail[2].slice(0, 400) : ''}`);
  }
}

for (const k of known) console.log(`expected failure: ${k}`);
for (const f of fixed) console.log(`now passes (remove it from orig-suite.expected): ${f}`);
for (const u of unexpected) console.log(`UNEXPECTED FAILURE: ${u}`);
if (passed === 0 && unexpected.length === 0) {
  console.log(out.slice(-3000));
  console.log('orig-suite: no test ran');
  process.exit(1);
}
console.log(`orig-suite: ${passed} passed, ${known.length} expected failures, ${unexpected.length} unexpected failures`);
process.exit(unexpected.length ? 1 : 0);
