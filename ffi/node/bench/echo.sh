#!/usr/bin/env bash
# Echo throughput of the Node module against the reference, in one run: the same JS app
# (conformance/reference-app.js, unchanged) on socket.io 0.9.19 and on this module
# (bin/sio-app.js), plus the sio09 binary's own test app for scale. Same load generator,
# same sizes, fresh server per run, server pinned to CPU 0 and generator to CPU 1 (as
# benches/compare.sh does).
#
#   ffi/node/bench/echo.sh                   # echo and ack, 10 s each
#   SCENARIOS=echo DURATION=5 CLIENTS=200 ffi/node/bench/echo.sh
#
# Needs target/release/{sio09-loadgen,sio09,libsio09.so}, jq, and the addon built.
# Prints one Markdown table per scenario; raw JSON in $OUT.
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$(pwd)
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CLIENTS=${CLIENTS:-1000}
INFLIGHT=${INFLIGHT:-4}
SCENARIOS=${SCENARIOS:-"echo ack"}
TARGETS=${TARGETS:-"node-module reference sio09"}
OUT=${OUT:-$(mktemp -d /tmp/sio09-node-bench.XXXXXX)}
LOADGEN="$ROOT/target/release/sio09-loadgen"
export SIO09_LIB="${SIO09_LIB:-$ROOT/target/release/libsio09.so}"
command -v jq >/dev/null || { echo "needs jq" >&2; exit 2; }
[ -x "$LOADGEN" ] || { echo "needs $LOADGEN (cargo build --release --bin sio09-loadgen)" >&2; exit 2; }
[ -f "$SIO09_LIB" ] || { echo "needs $SIO09_LIB (cargo build --release -p sio09-ffi)" >&2; exit 2; }

PIN_SERVER=()
PIN_GEN=()
if command -v taskset >/dev/null && [ "$(nproc --all)" -ge 2 ]; then
  PIN_SERVER=(taskset -c 0)
  PIN_GEN=(taskset -c 1)
fi

target_cmd() {
  case $1 in
    node-module) echo "node $ROOT/ffi/node/bin/sio-app.js" ;;
    reference) echo "node $ROOT/conformance/reference-app.js" ;;
    sio09) echo "$ROOT/target/release/sio09 --app test" ;;
  esac
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT INT TERM

run_one() {
  local name=$1 sc=$2 port
  port=$(free_port)
  echo "== $sc / $name on port $port" >&2
  # shellcheck disable=SC2046
  env PORT="$port" SIO_LOG_LEVEL=0 "${PIN_SERVER[@]}" $(target_cmd "$name") >"$OUT/$name.$sc.server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  timeout $((WARMUP + DURATION + 120)) "${PIN_GEN[@]}" "$LOADGEN" --url "http://127.0.0.1:$port" \
    --scenario "$sc" --clients "$CLIENTS" --inflight "$INFLIGHT" --duration "$DURATION" \
    --warmup "$WARMUP" --server-pid "$SERVER_PID" --json >"$OUT/$name.$sc.json" 2>"$OUT/$name.$sc.log" || true
  jq -e . "$OUT/$name.$sc.json" >/dev/null 2>&1 || echo '{}' >"$OUT/$name.$sc.json"
  stop_server
  sleep 0.3
}

for sc in $SCENARIOS; do
  for t in $TARGETS; do run_one "$t" "$sc"; done
done

for sc in $SCENARIOS; do
  echo
  echo "### $sc: $CLIENTS websocket clients x $INFLIGHT in flight, ${DURATION}s"
  echo
  echo "| target | round trips/s | server CPU µs/round trip | p50 µs | p99 µs | server CPU % | valid |"
  echo "|---|---|---|---|---|---|---|"
  for t in $TARGETS; do
    jq -r --arg t "$t" '"| \($t) | \(.rate // "-" | if type=="number" then floor else . end) | \(.server_cpu_us_per_msg // "-" | if type=="number" then (.*100|floor/100) else . end) | \(.p50_us // "-") | \(.p99_us // "-") | \(.server_cpu_pct // "-" | if type=="number" then (.*10|floor/10) else . end) | \(.valid // "-") |"' "$OUT/$t.$sc.json"
  done
done
echo
echo "raw results: $OUT" >&2
