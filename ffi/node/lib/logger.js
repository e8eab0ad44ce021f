'use strict';
// The 0.9 logger surface (PROTOCOL.md §9): levels error 0, warn 1, info 2, debug 3; a line
// is printed iff `enabled` and its level <= `level`; with `colors`, the coloured padded prefix.

const LEVELS = ['error', 'warn', 'info', 'debug'];
const COLORS = [31, 33, 36, 90];

class Logger {
  constructor(opts) {
    opts = opts || {};
    this.colors = opts.colors !== false;
    this.level = 3;
    this.enabled = true;
  }

  // As 0.9: console.log, so apps and tests that replace console.log see the lines; a type
  // that is not a level (`io.log.log('text')`) is printed as its own prefix.
  log(type, ...args) {
    const index = LEVELS.indexOf(type);
    if (index > this.level || !this.enabled) return this;
    const prefix = this.colors && index >= 0
      ? `   \x1b[${COLORS[index]}m${String(type).padEnd(5)} -\x1b[39m`
      : `${type}:`;
    console.log(prefix, ...args);
    return this;
  }
}

for (const name of LEVELS) {
  Logger.prototype[name] = function (...args) { return this.log(name, ...args); };
}

module.exports = Logger;
