#!/usr/bin/env bash
# Cross-node broadcast on one Redis: two sio09 nodes, then two socket.io 0.9.19 nodes
# (RedisStore, redis@0.7.3), same generator and sizes in the same run. Receivers are spread
# over both nodes (half of every broadcast crosses Redis); the sender is on the first node.
#
#   bash benches/cluster_broadcast.sh            # 500 receivers, 100 msg/s, 10 s
#   CLIENTS=1000 RATE=200 DURATION=15 bash benches/cluster_broadcast.sh
#   bash benches/cluster_broadcast.sh --smoke    # tiny sizes (proves the script works)
#
# Prints one line per target (deliveries/s, delivery latency p50/p99, lost/duplicated)
# and writes benches/results/cluster-broadcast.md. Needs redis-server; loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-500}
RATE=${RATE:-100}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
if [ "${1:-}" = "--smoke" ]; then CLIENTS=20; RATE=20; DURATION=2; WARMUP=1; fi

command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)" >&2; exit 2; }
[ -d conformance/node_modules ] || (cd conformance && npm ci --no-audit --no-fund)
cargo build --release --bin sio09 --bin sio09-loadgen >&2
BIN=target/release/sio09
GEN=target/release/sio09-loadgen
OUT=benches/results/cluster-broadcast.md
mkdir -p benches/results

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2; return 1
}
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

run_pair() { # kind -> JSON line of the generator
  local kind=$1 rport p1 p2 pids=()
  rport=$(free_port)
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
  pids+=($!); PIDS+=($!)
  wait_port "$rport"
  p1=$(free_port); p2=$(free_port)
  for p in "$p1" "$p2"; do
    if [ "$kind" = sio09 ]; then
      PORT=$p SIO_STORE="redis://127.0.0.1:$rport" SIO_LOG_LEVEL=0 "$BIN" --app test >/dev/null 2>&1 &
    else
      PORT=$p SIO_STORE="redis://127.0.0.1:$rport" SIO_LOG_LEVEL=0 node conformance/reference-app.js >/dev/null 2>&1 &
    fi
    pids+=($!); PIDS+=($!)
    wait_port "$p"
  done
  # both subscribers listening
  for _ in $(seq 1 100); do
    n=$(redis-cli -p "$rport" PUBSUB NUMSUB dispatch | tail -1)
    [ "$n" -ge 2 ] && break
    sleep 0.1
  done
  "$GEN" --scenario broadcast --url "http://127.0.0.1:$p1" --also-url "http://127.0.0.1:$p2" \
    --clients "$CLIENTS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --json || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
}

S=$(run_pair sio09 | tail -1)
R=$(run_pair reference | tail -1)
line() { python3 - "$1" "$2" <<'EOF'
import json, sys
name, raw = sys.argv[1], sys.argv[2]
try:
    j = json.loads(raw)
except Exception:
    print(f"| {name} | failed: {raw[:80]!r} | | | |"); sys.exit()
print(f"| {name} | {j.get('rate', 0):.0f} | {j.get('p50_us', 0)/1000:.2f} | {j.get('p99_us', 0)/1000:.2f} "
      f"| {j.get('lost', 0)} lost, {j.get('duplicates', 0)} dup, {j.get('errors', 0)} errors |")
EOF
}
{
  echo "Cross-node broadcast: $CLIENTS receivers over 2 nodes on one Redis, sender on node 1 at $RATE msg/s, ${DURATION}s window."
  echo
  echo "| target | deliveries/s | p50 ms | p99 ms | lost / duplicated / errors |"
  echo "|---|---|---|---|---|"
  line "2 × sio09" "$S"
  line "2 × socket.io 0.9.19" "$R"
} | tee "$OUT"
