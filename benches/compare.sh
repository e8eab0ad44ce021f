#!/usr/bin/env bash
# Compare sio09 with the reference (socket.io 0.9.19 on Node) under the same load.
#
#   benches/compare.sh            # echo and ack, 1000 clients x 4 in flight, 10 s each
#
# Environment knobs: CLIENTS (1000), INFLIGHT (4), DURATION (10), WARMUP (2),
# SCENARIOS ("echo ack"), LOADGEN_ARGS (extra loadgen flags), OUT (directory for raw JSON).
#
# For each target it builds nothing twice: one release build, then per target: start it on a
# free loopback port (pinned to CPU 0 when taskset exists), run sio09-loadgen per scenario
# (pinned to CPU 1) with --server-pid, stop the target with SIGTERM, and finally print a
# Markdown table: metric | sio09 | reference | ratio (sio09 / reference).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
CLIENTS=${CLIENTS:-1000}
INFLIGHT=${INFLIGHT:-4}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
SCENARIOS=${SCENARIOS:-"echo ack"}
LOADGEN_ARGS=${LOADGEN_ARGS:-}
OUT=${OUT:-$(mktemp -d /tmp/sio09-compare.XXXXXX)}
mkdir -p "$OUT"

command -v jq >/dev/null || { echo "compare.sh needs jq" >&2; exit 2; }
command -v node >/dev/null || { echo "compare.sh needs node for the reference" >&2; exit 2; }

PIN_SERVER=()
PIN_GEN=()
if command -v taskset >/dev/null && [ "$(nproc --all)" -ge 2 ]; then
    PIN_SERVER=(taskset -c 0)
    PIN_GEN=(taskset -c 1)
fi

echo "building (release)..." >&2
cargo build --release --bin sio09 --bin sio09-loadgen >&2
LOADGEN="$ROOT/target/release/sio09-loadgen"

SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        sleep 1
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

# A loopback port below the ephemeral range that nothing listens on.
free_port() {
    local p
    for p in $(shuf -i 20000-30000 -n 100); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "no free port found" >&2
    return 1
}

# wait_port PORT PID: until PORT accepts connections (15 s at most) while PID lives.
wait_port() {
    local i
    for i in $(seq 1 150); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        kill -0 "$2" 2>/dev/null || { echo "target exited during start-up" >&2; return 1; }
        sleep 0.1
    done
    echo "target did not listen on port $1 within 15 s" >&2
    return 1
}

# stop_target: SIGTERM, then SIGKILL after 5 s.
stop_target() {
    local i
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for i in $(seq 1 50); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# run_target NAME CMD...: start the target, run every scenario against it, stop it.
run_target() {
    local name=$1
    shift
    local port
    port=$(free_port)
    echo "== $name on port $port: $*" >&2
    PORT=$port SIO_LOG_LEVEL=0 "${PIN_SERVER[@]}" "$@" >"$OUT/$name.server.log" 2>&1 &
    SERVER_PID=$!
    wait_port "$port" "$SERVER_PID"
    local sc
    for sc in $SCENARIOS; do
        echo "-- $name / $sc" >&2
        # Bounded: warmup + duration + connect/drain slack.
        # shellcheck disable=SC2086
        timeout $((WARMUP + DURATION + 150)) "${PIN_GEN[@]}" "$LOADGEN" \
            --url "http://127.0.0.1:$port" --scenario "$sc" --clients "$CLIENTS" \
            --inflight "$INFLIGHT" --duration "$DURATION" --warmup "$WARMUP" \
            --server-pid "$SERVER_PID" --json $LOADGEN_ARGS >"$OUT/$name.$sc.json" || true
        if ! jq -e . "$OUT/$name.$sc.json" >/dev/null 2>&1; then
            echo '{}' >"$OUT/$name.$sc.json"
        fi
        sleep 1
    done
    stop_target
}

run_target sio09 "$ROOT/target/release/sio09" --app test
run_target reference node "$ROOT/conformance/reference-app.js"

# field FILE JQ-EXPR: a value or "-".
field() {
    jq -r "($2) // \"-\"" "$1" 2>/dev/null || echo "-"
}

# row LABEL SCENARIO JQ-EXPR FORMAT
row() {
    local a b ratio
    a=$(field "$OUT/sio09.$2.json" "$3")
    b=$(field "$OUT/reference.$2.json" "$3")
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {
        if (a ~ /^-?[0-9.e+]+$/ && b ~ /^-?[0-9.e+]+$/ && b + 0 != 0) printf "%.2f", a / b; else print "-" }')
    if [ "$4" != "" ]; then
        [ "$a" != "-" ] && a=$(awk -v v="$a" "BEGIN { printf \"$4\", v }")
        [ "$b" != "-" ] && b=$(awk -v v="$b" "BEGIN { printf \"$4\", v }")
    fi
    echo "| $1 | $a | $b | $ratio |"
}

echo
echo "Load: $CLIENTS clients x $INFLIGHT in flight, ${DURATION}s window after ${WARMUP}s warmup;" \
    "server pinned: ${PIN_SERVER[*]:-no}; generator pinned: ${PIN_GEN[*]:-no}. Ratio = sio09 / reference."
echo
echo "| metric | sio09 | reference | ratio |"
echo "|---|---|---|---|"
for sc in $SCENARIOS; do
    row "$sc: messages/s" "$sc" ".rate" "%.0f"
    row "$sc: latency p50 (µs)" "$sc" ".p50_us" ""
    row "$sc: latency p99 (µs)" "$sc" ".p99_us" ""
    row "$sc: latency p99.9 (µs)" "$sc" ".p999_us" ""
    row "$sc: server CPU µs/message" "$sc" ".server_cpu_us_per_msg" "%.2f"
    row "$sc: server CPU %" "$sc" ".server_cpu_pct" "%.1f"
    row "$sc: server RSS at end (MiB)" "$sc" ".server_rss_kb / 1024" "%.1f"
    row "$sc: server core busy % (incl. softirq)" "$sc" ".server_cores_busy_pct" "%.1f"
    row "$sc: generator CPU % (process)" "$sc" ".gen_cpu_pct" "%.1f"
    row "$sc: generator core busy % (incl. softirq)" "$sc" ".gen_cores_busy_pct" "%.1f"
    row "$sc: generator-bound" "$sc" ".generator_bound | tostring" ""
    row "$sc: errors / lost / dups" "$sc" '"\(.errors)/\(.lost)/\(.duplicates)"' ""
    row "$sc: valid run" "$sc" ".valid | tostring" ""
done
echo
echo "raw results: $OUT" >&2
