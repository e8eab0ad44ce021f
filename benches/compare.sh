#!/usr/bin/env bash
# Compare sio09 with the reference (socket.io 0.9.19 on Node) under the same load, scenario by
# scenario, with the raw websocket echo server (benches/raw_echo) as the ceiling for echo/ack.
#
#   benches/compare.sh            # every scenario, issue-sized (about 5 minutes)
#   benches/compare.sh --smoke    # every scenario, tiny sizes (about 30 s): proves it all works
#
# Scenarios: SCENARIOS="echo ack broadcast fanout poll static storm idle" (default: all).
# Sizes (defaults in brackets; --smoke uses tiny ones):
#   DURATION [10] WARMUP [2]                        seconds of measurement / of warmup per run
#   ECHO_CLIENTS [1000] ECHO_INFLIGHT [4]          echo and ack (websocket)
#   BROADCAST_CLIENTS [1000] BROADCAST_RATE [1000] receivers in room `bench`, sender rate/s
#   FANOUT_CLIENTS [10000] FANOUT_RATE [100]        the same with a large room (`fanout`)
#   POLL_CLIENTS [100] POLL_INFLIGHT [4]           xhr-polling echo
#   STATIC_CONNS [50] STATIC_GZIP [1]              keep-alive GET /socket.io/socket.io.js
#   STORM_RATE [12000] STORM_DURATION [5]           new websocket clients per second
#   IDLE_CLIENTS [5000] IDLE_DURATION [12] IDLE_HEARTBEAT_INTERVAL [5]
# Others: LOADGEN_ARGS (extra loadgen flags), OUT (directory for raw JSON and logs),
# RESULTS (where latest.md and the SVG charts go: benches/results, or $OUT with --smoke).
#
# Every scenario gets a fresh server per target: start it on a free loopback port (pinned to
# CPU 0 when taskset exists), run sio09-loadgen (pinned to CPU 1) with --server-pid, stop it
# with SIGTERM. Then one Markdown table per scenario (metric | sio09 | reference | ratio, plus
# the raw ceiling for echo/ack) goes to $RESULTS/latest.md and stdout, and one SVG bar chart
# per scenario to $RESULTS/<scenario>.svg. Exit status 1 when any run was invalid or missing.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SMOKE=0
if [ "${1:-}" = "--smoke" ]; then
    SMOKE=1
elif [ -n "${1:-}" ]; then
    echo "usage: $0 [--smoke]" >&2
    exit 2
fi

if [ "$SMOKE" = 1 ]; then
    d_dur=0.5 d_warm=0.2 d_echo=20 d_bc=20 d_bcrate=20 d_fo=40 d_forate=10 d_poll=5 d_static=4 d_storm=40
    d_storm_dur=0.5 d_idle=50 d_idle_dur=1.2 d_hb=1
else
    d_dur=10 d_warm=2 d_echo=1000 d_bc=1000 d_bcrate=1000 d_fo=10000 d_forate=100 d_poll=100 d_static=50 d_storm=12000
    d_storm_dur=5 d_idle=5000 d_idle_dur=12 d_hb=5
fi
DURATION=${DURATION:-$d_dur}
WARMUP=${WARMUP:-$d_warm}
ECHO_CLIENTS=${ECHO_CLIENTS:-$d_echo}
ECHO_INFLIGHT=${ECHO_INFLIGHT:-4}
BROADCAST_CLIENTS=${BROADCAST_CLIENTS:-$d_bc}
BROADCAST_RATE=${BROADCAST_RATE:-$d_bcrate}
FANOUT_CLIENTS=${FANOUT_CLIENTS:-$d_fo}
FANOUT_RATE=${FANOUT_RATE:-$d_forate}
POLL_CLIENTS=${POLL_CLIENTS:-$d_poll}
POLL_INFLIGHT=${POLL_INFLIGHT:-4}
STATIC_CONNS=${STATIC_CONNS:-$d_static}
STATIC_GZIP=${STATIC_GZIP:-1}
STORM_RATE=${STORM_RATE:-$d_storm}
STORM_DURATION=${STORM_DURATION:-$d_storm_dur}
IDLE_CLIENTS=${IDLE_CLIENTS:-$d_idle}
IDLE_DURATION=${IDLE_DURATION:-$d_idle_dur}
IDLE_HEARTBEAT_INTERVAL=${IDLE_HEARTBEAT_INTERVAL:-$d_hb}
SCENARIOS=${SCENARIOS:-"echo ack broadcast fanout poll static storm idle"}
LOADGEN_ARGS=${LOADGEN_ARGS:-}
OUT=${OUT:-$(mktemp -d /tmp/sio09-compare.XXXXXX)}
if [ "$SMOKE" = 1 ]; then
    RESULTS=${RESULTS:-$OUT}
else
    RESULTS=${RESULTS:-$ROOT/benches/results}
fi
mkdir -p "$OUT" "$RESULTS"

command -v jq >/dev/null || { echo "compare.sh needs jq" >&2; exit 2; }
command -v node >/dev/null || { echo "compare.sh needs node for the reference" >&2; exit 2; }
for sc in $SCENARIOS; do
    case $sc in
        echo | ack | broadcast | fanout | poll | static | storm | idle) ;;
        *) echo "unknown scenario $sc" >&2; exit 2 ;;
    esac
done

PIN_SERVER=()
PIN_GEN=()
if command -v taskset >/dev/null && [ "$(nproc --all)" -ge 2 ]; then
    PIN_SERVER=(taskset -c 0)
    PIN_GEN=(taskset -c 1)
fi

echo "building (release)..." >&2
cargo build --release --bin sio09 --bin sio09-loadgen --bin sio09-raw-echo >&2
LOADGEN="$ROOT/target/release/sio09-loadgen"
START=$(date +%s)

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

# target_cmd NAME: the command line of a target.
target_cmd() {
    case $1 in
        sio09) echo "$ROOT/target/release/sio09 --app test" ;;
        reference) echo "node $ROOT/conformance/reference-app.js" ;;
        raw) echo "$ROOT/target/release/sio09-raw-echo" ;;
    esac
}

# scenario_args SCENARIO: "<env for the server> | <loadgen flags>".
scenario_env() {
    case $1 in
        static) [ "$STATIC_GZIP" = 1 ] && echo "SIO_BROWSER_CLIENT_GZIP=1" || true ;;
        idle) echo "SIO_HEARTBEAT_INTERVAL=$IDLE_HEARTBEAT_INTERVAL" ;;
    esac
}
scenario_flags() {
    case $1 in
        echo | ack) echo "--clients $ECHO_CLIENTS --inflight $ECHO_INFLIGHT" ;;
        broadcast) echo "--clients $BROADCAST_CLIENTS --rate $BROADCAST_RATE --sources 4" ;;
        fanout) echo "--clients $FANOUT_CLIENTS --rate $FANOUT_RATE --sources 4" ;;
        poll) echo "--clients $POLL_CLIENTS --inflight $POLL_INFLIGHT" ;;
        static)
            echo "--clients $STATIC_CONNS"
            [ "$STATIC_GZIP" = 1 ] && echo "--gzip" || true
            ;;
        storm) echo "--rate $STORM_RATE --sources 4 --duration $STORM_DURATION" ;;
        idle) echo "--clients $IDLE_CLIENTS --warmup 0 --duration $IDLE_DURATION" ;;
    esac
}

# loadgen_scenario SCENARIO: the generator's scenario (fanout is a large broadcast).
loadgen_scenario() {
    case $1 in
        fanout) echo broadcast ;;
        *) echo "$1" ;;
    esac
}

# run_one TARGET SCENARIO: fresh server, one loadgen run, stop.
run_one() {
    local name=$1 sc=$2 port env flags
    port=$(free_port)
    env=$(scenario_env "$sc")
    flags=$(scenario_flags "$sc" | tr '\n' ' ')
    echo "== $sc / $name on port $port" >&2
    # shellcheck disable=SC2086,SC2046
    env PORT="$port" SIO_LOG_LEVEL=0 $env "${PIN_SERVER[@]}" $(target_cmd "$name") \
        >"$OUT/$name.$sc.server.log" 2>&1 &
    SERVER_PID=$!
    if wait_port "$port" "$SERVER_PID"; then
        # Bounded: warmup + duration + connect/drain slack. Later flags override earlier ones.
        # shellcheck disable=SC2086
        timeout $((${WARMUP%.*} + ${DURATION%.*} + ${IDLE_DURATION%.*} + 150)) \
            "${PIN_GEN[@]}" "$LOADGEN" --url "http://127.0.0.1:$port" --scenario "$(loadgen_scenario "$sc")" \
            --duration "$DURATION" --warmup "$WARMUP" $flags --server-pid "$SERVER_PID" \
            --json $LOADGEN_ARGS >"$OUT/$name.$sc.json" 2>"$OUT/$name.$sc.log" || true
    fi
    if ! jq -e . "$OUT/$name.$sc.json" >/dev/null 2>&1; then
        echo '{}' >"$OUT/$name.$sc.json"
        echo "   no result; see $OUT/$name.$sc.log" >&2
    fi
    stop_target
    sleep 0.2
}

for sc in $SCENARIOS; do
    run_one sio09 "$sc"
    run_one reference "$sc"
    case $sc in echo | ack) run_one raw "$sc" ;; esac
done

# field FILE JQ-EXPR: a value or "-".
field() {
    jq -r "($2) // \"-\"" "$1" 2>/dev/null || echo "-"
}

# fmt VALUE FORMAT: printf-format a number, pass "-" and non-numbers through.
fmt() {
    if [ -z "$2" ] || ! [[ $1 =~ ^-?[0-9.e+]+$ ]]; then
        echo "$1"
    else
        awk -v v="$1" "BEGIN { printf \"$2\", v }"
    fi
}

# ratio A B: A / B to two places, or "-".
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a ~ /^-?[0-9.e+]+$/ && b ~ /^-?[0-9.e+]+$/ && b + 0 != 0) printf "%.2f", a / b; else print "-" }'
}

# row SCENARIO LABEL JQ-EXPR FORMAT: one table row (with the raw columns for echo/ack).
row() {
    local sc=$1 a b c line
    a=$(field "$OUT/sio09.$sc.json" "$3")
    b=$(field "$OUT/reference.$sc.json" "$3")
    line="| $2 | $(fmt "$a" "$4") | $(fmt "$b" "$4") | $(ratio "$a" "$b") |"
    if [ "$sc" = echo ] || [ "$sc" = ack ]; then
        c=$(field "$OUT/raw.$sc.json" "$3")
        line="$line $(fmt "$c" "$4") | $(ratio "$a" "$c") |"
    fi
    echo "$line"
}

# table SCENARIO: the Markdown table of one scenario.
table() {
    local sc=$1 unit
    case $sc in
        echo | ack | poll) unit="round trip" ;;
        broadcast | fanout) unit="delivery" ;;
        static) unit="request" ;;
        storm) unit="connect" ;;
        idle) unit="heartbeat" ;;
    esac
    echo "### $sc"
    echo
    case $sc in
        echo | ack) echo "$ECHO_CLIENTS websocket clients × $ECHO_INFLIGHT \`echo\` events in flight$([ "$sc" = ack ] && echo ' (data acks)'); ${DURATION}s window after ${WARMUP}s warmup." ;;
        broadcast) echo "$BROADCAST_CLIENTS websocket receivers in room \`bench\`; one sender emits \`to-room\` at $BROADCAST_RATE/s ($((BROADCAST_CLIENTS * BROADCAST_RATE)) deliveries/s offered); ${DURATION}s window." ;;
        fanout) echo "$FANOUT_CLIENTS websocket receivers in room \`bench\`; one sender emits \`to-room\` at $FANOUT_RATE/s ($((FANOUT_CLIENTS * FANOUT_RATE)) deliveries/s offered); ${DURATION}s window." ;;
        poll) echo "$POLL_CLIENTS xhr-polling clients × $POLL_INFLIGHT \`echo\` events in flight (POST batches as U+FFFD payloads, long-poll GETs); ${DURATION}s window." ;;
        static) echo "$STATIC_CONNS keep-alive connections looping \`GET /socket.io/socket.io.js\`$([ "$STATIC_GZIP" = 1 ] && echo ' with `Accept-Encoding: gzip` (`browser client gzip` on)'); ${DURATION}s window." ;;
        storm) echo "Handshake + websocket connect, wait for \`1::\`, send \`0::\`, close: $STORM_RATE new clients/s asked for (at most 256 connecting at once, the rest skipped); ${STORM_DURATION}s window." ;;
        idle) echo "$IDLE_CLIENTS idle websocket sessions held ${IDLE_DURATION}s answering heartbeats (\`heartbeat interval\` ${IDLE_HEARTBEAT_INTERVAL}s); RSS per session = (RSS at the end − RSS before connecting) / sessions." ;;
    esac
    echo
    if [ "$sc" = echo ] || [ "$sc" = ack ]; then
        echo "| metric | sio09 | reference | sio09/ref | raw ws echo (ceiling) | sio09/raw |"
        echo "|---|---|---|---|---|---|"
    else
        echo "| metric | sio09 | reference | sio09/ref |"
        echo "|---|---|---|---|"
    fi
    case $sc in
        echo | ack | poll) row "$sc" "round trips/s" ".rate" "%.0f" ;;
        broadcast | fanout)
            row "$sc" "deliveries/s" ".rate" "%.0f"
            row "$sc" "deliveries never received (5 s grace after the window)" ".lost" ""
            ;;
        static)
            row "$sc" "requests/s" ".rate" "%.0f"
            row "$sc" "body MB/s" ".mb_per_s" "%.1f"
            ;;
        storm)
            row "$sc" "connects/s achieved" ".rate" "%.0f"
            row "$sc" "connects skipped (server behind)" ".skipped" ""
            ;;
        idle)
            row "$sc" "sessions held" ".connected" ""
            row "$sc" "connect time for all (s)" ".connect_secs" "%.2f"
            row "$sc" "RSS before (MiB)" ".server_rss_before_kb / 1024" "%.1f"
            row "$sc" "RSS connected (MiB)" ".server_rss_connected_kb / 1024" "%.1f"
            row "$sc" "RSS at the end (MiB)" ".server_rss_kb / 1024" "%.1f"
            row "$sc" "RSS per session (KiB)" ".rss_per_session_kb" "%.2f"
            row "$sc" "heartbeats answered in window" ".messages" ""
            ;;
    esac
    if [ "$sc" != idle ]; then
        row "$sc" "latency p50 (µs)" ".p50_us" ""
        row "$sc" "latency p99 (µs)" ".p99_us" ""
        row "$sc" "latency p99.9 (µs)" ".p999_us" ""
        row "$sc" "server CPU µs/$unit" ".server_cpu_us_per_msg" "%.2f"
        row "$sc" "server RSS at end (MiB)" ".server_rss_kb / 1024" "%.1f"
    fi
    row "$sc" "server CPU % of a core" ".server_cpu_pct" "%.1f"
    row "$sc" "generator CPU % (process)" ".gen_cpu_pct" "%.1f"
    row "$sc" "generator-bound" ".generator_bound | tostring" ""
    row "$sc" "errors / lost / dups" '"\(.errors)/\(.lost)/\(.duplicates)"' ""
    row "$sc" "valid run" ".valid | tostring" ""
    echo
}

# svg SCENARIO: a bar chart of the headline metric and the server CPU cost per unit.
svg() {
    local sc=$1 t1 e1 t2 e2 targets="sio09 reference" name
    case $sc in echo | ack) targets="sio09 reference raw" ;; esac
    case $sc in
        echo | ack | poll) t1="round trips/s (higher is better)"; e1=".rate"; t2="server CPU µs per round trip"; e2=".server_cpu_us_per_msg" ;;
        broadcast | fanout) t1="deliveries/s (higher is better)"; e1=".rate"; t2="server CPU µs per delivery"; e2=".server_cpu_us_per_msg" ;;
        static) t1="requests/s (higher is better)"; e1=".rate"; t2="server CPU µs per request"; e2=".server_cpu_us_per_msg" ;;
        storm) t1="connects/s (higher is better)"; e1=".rate"; t2="server CPU µs per connect"; e2=".server_cpu_us_per_msg" ;;
        idle) t1="server RSS per idle session, KiB (lower is better)"; e1=".rss_per_session_kb"; t2="server RSS at the end, MiB"; e2=".server_rss_kb / 1024" ;;
    esac
    for name in $targets; do
        echo "$name $(field "$OUT/$name.$sc.json" "$e1") $(field "$OUT/$name.$sc.json" "$e2")"
    done | awk -v title="$sc" -v t1="$t1" -v t2="$t2" '
        function num(v) { return (v ~ /^-?[0-9.e+]+$/) ? v + 0 : 0 }
        function label(v) { if (v !~ /^-?[0-9.e+]+$/) return "n/a"; return (v >= 100) ? sprintf("%.0f", v) : sprintf("%.2f", v) }
        { n++; name[n] = $1; a[n] = $2; b[n] = $3; if (num($2) > ma) ma = num($2); if (num($3) > mb) mb = num($3) }
        END {
            w = 760; bar = 26; gap = 12; top = 64; pw = 230; h = top + n * (bar + gap) + 16
            printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">\n", w, h, w, h
            printf "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
            printf "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">%s</text>\n", title
            printf "<text x=\"100\" y=\"50\">%s</text>\n", t1
            printf "<text x=\"440\" y=\"50\">%s</text>\n", t2
            for (i = 1; i <= n; i++) {
                y = top + (i - 1) * (bar + gap)
                color = (name[i] == "sio09") ? "#2b6cb0" : (name[i] == "reference") ? "#c05621" : "#718096"
                printf "<text x=\"10\" y=\"%d\">%s</text>\n", y + 18, (name[i] == "raw") ? "raw ws echo" : name[i]
                la = (ma > 0) ? num(a[i]) / ma * pw : 0; lb = (mb > 0) ? num(b[i]) / mb * pw : 0
                printf "<rect x=\"100\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", y, la, bar, color
                printf "<text x=\"%.1f\" y=\"%d\">%s</text>\n", 104 + la, y + 18, label(a[i])
                printf "<rect x=\"440\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.7\"/>\n", y, lb, bar, color
                printf "<text x=\"%.1f\" y=\"%d\">%s</text>\n", 444 + lb, y + 18, label(b[i])
            }
            print "</svg>"
        }' >"$RESULTS/$sc.svg"
}

MD="$RESULTS/latest.md"
{
    echo "# sio09 vs socket.io 0.9.19 (reference) — benches/compare.sh$([ "$SMOKE" = 1 ] && echo ' --smoke')"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (+ uncommitted src changes)');" \
        "$(nproc --all) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'));" \
        "kernel $(uname -r); node $(node --version)."
    echo "Server pinned: ${PIN_SERVER[*]:-no}; generator pinned: ${PIN_GEN[*]:-no}; a fresh server per run." \
        "Ratios are sio09 / other (above 1 is better for rates, below 1 for latency, CPU and memory)." \
        "Server CPU is utime + stime of the whole server process from /proc over the window."
    echo "The raw websocket echo server (benches/raw_echo) skips sessions, heartbeats, packet decoding" \
        "beyond the event name, JSON, rooms and namespaces: it is what this machine and generator allow."
    echo
    for sc in $SCENARIOS; do
        table "$sc"
        echo "![${sc}](${sc}.svg)"
        echo
    done
} >"$MD"
for sc in $SCENARIOS; do
    svg "$sc"
done
cat "$MD"
echo "results: $MD; raw: $OUT; $(($(date +%s) - START)) s" >&2

# Exit status: 1 when a sio09 run is invalid, or a reference run gave no result at all. A
# reference run that is invalid because the reference fell behind (lost deliveries at the
# full-size broadcast rates) is a result, not a failure; with --smoke every run must be valid.
bad=0
for sc in $SCENARIOS; do
    [ "$(field "$OUT/sio09.$sc.json" '.valid | tostring')" = true ] || { echo "invalid run: sio09 / $sc" >&2; bad=1; }
    if [ "$(field "$OUT/reference.$sc.json" '.valid | tostring')" != true ]; then
        if [ "$SMOKE" = 1 ] || [ "$(field "$OUT/reference.$sc.json" '.rate')" = - ]; then
            echo "invalid run: reference / $sc" >&2
            bad=1
        else
            echo "note: reference / $sc invalid (fell behind the offered load)" >&2
        fi
    fi
done
exit $bad
