'use strict';
// The 0.9 logger surface (PROTOCOL.md §9): levels error 0, warn 1, info 2, debug 3; a line
// is printed iff `enabled` and its level <= `level`; with `colors`, the coloured padded prefix.

const util = require('node:util');

const LEVELS = ['error', 'warn', 'info', 'debug'];
const COLORS = [31, 33, 36, 90];

class Logger {
  constructor(opts) {
    opts = opts || {};
    this.colors = opts.colors !== false;
    this.level = 3;
    this.enabled = true;
  }

  log(type, ...args) {
    const index = LEVELS.indexOf(type);
    if (index < 0 || index > this.level || !this.enabled) return this;
    const text = args.map((a) => (typeof a === 'string' ? a : util.inspect(a))).join(' ');
    const prefix = this.colors
      ? `   \x1b[${COLORS[index]}m${type.padEnd(5)} -\x1b[39m`
      : `${type}:`;
    process.stdout.write(`${prefix} ${text}\n`);
    return this;
  }
}

for (const name of LEVELS) {
  Logger.prototype[name] = function (...args) { return this.log(name, ...args); };
}

module.exports = Logger;
