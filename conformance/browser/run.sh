#!/bin/sh
# Real-browser end-to-end test of the target (see README.md).
#
#   conformance/browser/run.sh                  # against the reference (socket.io 0.9.19)
#   TARGET=sio09 conformance/browser/run.sh     # against ../target/debug/sio09 --app test
#
# Installs what is missing: Debian's chromium (apt, needs root) and playwright-core (npm ci here;
# never a Playwright-downloaded browser). Also needs ../node_modules (the conformance suite's
# packages: the reference app, when TARGET=reference). Exit code: the test runner's.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ]; then
  echo "# $CHROMIUM missing: apt-get install -y chromium"
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
    || echo "# chromium install failed; the test will fail with the reason"
fi
if [ ! -d "$HERE/node_modules" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund) || exit 2
fi
if [ "${TARGET:-reference}" = "reference" ] && [ -z "${TARGET_CMD:-}" ] && [ ! -d "$HERE/../node_modules" ]; then
  (cd "$HERE/.." && npm ci --no-audit --no-fund) || exit 2
fi

export TARGET="${TARGET:-reference}"
export CHROMIUM
[ -n "${SIO09_BIN:-}" ] && export SIO09_BIN
[ -n "${TARGET_CMD:-}" ] && export TARGET_CMD
echo "# browser e2e target: ${TARGET_CMD:+TARGET_CMD=$TARGET_CMD}${TARGET_CMD:-$TARGET}"

cd "$HERE/.." || exit 2
node --test --test-timeout=30000 browser/
exit $?
