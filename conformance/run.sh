#!/bin/sh
# Run the sio09 conformance suite against one target.
#
#   ./run.sh                                   # the reference (socket.io 0.9.19 on Node)
#   TARGET=sio09 ./run.sh                      # $SIO09_BIN --app test (default ../target/debug/sio09)
#   TARGET=sio09 SIO09_BIN=/path/to/sio09 ./run.sh
#   TARGET_CMD='python3 app.py' ./run.sh       # anything else, run through sh -c with PORT set
#   SKIP_LOAD=1 ./run.sh                       # functional checks only
#
# Phase 1 runs test/*.test.js (two files at a time); phase 2 runs the load check alone so
# that its time bound is not eaten by other tests. Exit code: non-zero if either phase failed.
set -u
cd "$(dirname "$0")" || exit 2

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund || exit 2
fi

export TARGET="${TARGET:-reference}"
[ -n "${SIO09_BIN:-}" ] && export SIO09_BIN
[ -n "${TARGET_CMD:-}" ] && export TARGET_CMD

echo "# conformance target: ${TARGET_CMD:+TARGET_CMD=$TARGET_CMD}${TARGET_CMD:-$TARGET}"

node --test --test-concurrency=2 --test-timeout=90000 test/
rc=$?

if [ "${SKIP_LOAD:-0}" != "1" ]; then
  node --test --test-timeout=180000 load/
  rc2=$?
  [ "$rc" -eq 0 ] && rc=$rc2
fi

exit "$rc"
