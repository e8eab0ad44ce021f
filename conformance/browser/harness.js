// In-page harness for e2e.test.js. Everything returns plain JSON (or a Promise of it) so that
// the Node side can drive it with page.evaluate(); failures reject with a descriptive Error.
(function () {
  'use strict';

  var sockets = {};   // key -> SocketNamespace (the object io.connect returns)
  var logs = {};      // key -> [{ name, args, used }] received events, in order

  // Events the harness records for each socket (TEST-APP.md handlers plus client events).
  var RECORDED = ['arrived', 'gone', 'room', 'broadcast', 'echo', 'all',
    'disconnect', 'error', 'connect_failed', 'reconnecting', 'reconnect'];

  function now() { return Date.now(); }
  function json(v) { try { return JSON.stringify(v); } catch (e) { return String(v); } }

  function describe(key) {
    var seen = (logs[key] || []).map(function (e) { return e.name + json(e.args); });
    return 'events seen by ' + key + ': ' + (seen.length ? seen.join(' ') : '(none)');
  }

  function record(key, socket, name) {
    socket.on(name, function () {
      logs[key].push({ name: name, args: Array.prototype.slice.call(arguments), used: false });
    });
  }

  function get(key) {
    var s = sockets[key];
    if (!s) throw new Error('no socket named ' + key);
    return s;
  }

  window.h = {
    // null when the client script did not load.
    clientVersion: function () {
      return (typeof io !== 'undefined' && io && typeof io.connect === 'function') ? String(io.version) : null;
    },

    // Connect with one transport; resolves { transport, sid } on `connect`.
    open: function (key, url, transport, timeoutMs) {
      return new Promise(function (resolve, reject) {
        if (typeof io === 'undefined') return reject(new Error('window.io is undefined (socket.io.js did not load)'));
        // socket.io-client 0.9.16 merges the `transports` option element-wise into the global
        // io.transports array (util.merge), so `transports: [x]` alone leaves the other default
        // transports in the list and overwrites the global for later sockets. Setting the global
        // to a fresh one-element array first makes the option mean what it says.
        io.transports = [transport];
        var socket = io.connect(url, {
          transports: [transport],
          'force new connection': true,
          reconnect: false,
          'connect timeout': timeoutMs
        });
        sockets[key] = socket;
        logs[key] = [];
        RECORDED.forEach(function (name) { record(key, socket, name); });
        var done = false;
        var timer = setTimeout(function () {
          finish(new Error('no connect within ' + timeoutMs + ' ms (' + describe(key) + ')'));
        }, timeoutMs + 500);
        function finish(err) {
          if (done) return;
          done = true;
          clearTimeout(timer);
          if (err) return reject(err);
          var s = socket.socket;
          resolve({ transport: s.transport && s.transport.name, sid: s.sessionid });
        }
        socket.on('connect', function () { finish(null); });
        socket.on('connect_failed', function () { finish(new Error('connect_failed (no usable transport; ' + describe(key) + ')')); });
        socket.on('error', function (reason) { finish(new Error('error event: ' + json(reason))); });
      });
    },

    // emit(name, ...args, ack); resolves with the ack's arguments.
    emitAck: function (key, name, args, timeoutMs) {
      var socket = get(key);
      return new Promise(function (resolve, reject) {
        var timer = setTimeout(function () {
          reject(new Error('no ack for ' + name + json(args) + ' within ' + timeoutMs + ' ms (' + describe(key) + ')'));
        }, timeoutMs);
        socket.emit.apply(socket, [name].concat(args, [function () {
          clearTimeout(timer);
          resolve(Array.prototype.slice.call(arguments));
        }]));
      });
    },

    emit: function (key, name, args) {
      var socket = get(key);
      socket.emit.apply(socket, [name].concat(args));
      return true;
    },

    // Resolves with the args of the first not yet consumed `name` event (whose first argument
    // equals firstArg, when given), waiting up to timeoutMs for it.
    waitFor: function (key, name, firstArg, timeoutMs) {
      get(key);
      var deadline = now() + timeoutMs;
      return new Promise(function (resolve, reject) {
        (function poll() {
          var list = logs[key];
          for (var i = 0; i < list.length; i++) {
            var e = list[i];
            if (e.used || e.name !== name) continue;
            if (firstArg !== undefined && firstArg !== null && e.args[0] !== firstArg) continue;
            e.used = true;
            return resolve(e.args);
          }
          if (now() > deadline) {
            return reject(new Error('no ' + name + (firstArg != null ? '(' + json(firstArg) + ', …)' : '')
              + ' event within ' + timeoutMs + ' ms (' + describe(key) + ')'));
          }
          setTimeout(poll, 20);
        })();
      });
    },

    // Client-side socket.disconnect(). On polling transports the client drops packets issued
    // while a POST is in flight (they are buffered, then discarded on disconnect), so wait until
    // its outbound buffer is idle first; then disconnect, which sends `0::` and closes.
    disconnect: function (key, timeoutMs) {
      var socket = get(key);
      var deadline = now() + timeoutMs;
      return new Promise(function (resolve, reject) {
        (function poll() {
          var s = socket.socket;
          if (s.doBuffer && now() < deadline) return setTimeout(poll, 20);
          if (s.doBuffer) return reject(new Error('outbound buffer still busy after ' + timeoutMs + ' ms'));
          socket.disconnect();
          resolve({ connected: !!s.connected });
        })();
      });
    },

    events: function (key) { return (logs[key] || []).map(function (e) { return { name: e.name, args: e.args }; }); }
  };
})();
