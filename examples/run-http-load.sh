#!/usr/bin/env bash
# Load-tests the HTTP server example (examples/src/main/java/io/coremanager/examples/HttpServerExample.java)
# in both modes, one after the other in one run, on 127.0.0.1 only: "lane" (lane-local I/O, core-affine
# virtual threads) and "vt" (the same connection code on default virtual threads). The load is wrk when
# it is installed, else the Java client of the HTTP benchmark (bench/.../HttpKeepAliveMain, run from
# the bench jar). Prints one Markdown table: requests/s and latency percentiles side by side.
#
#   examples/run-http-load.sh
#
# Environment (all optional):
#   CONNECTIONS (50)   keep-alive connections      WARMUP (5)  seconds of load before measuring
#   DURATION (10)      seconds measured            THREADS (2) wrk threads
#   URL_PATH (/hello)  what every request GETs     MODES ("lane vt")
#   LOAD (auto)        auto | wrk | java           SERVER_CPUS / LOAD_CPUS: taskset lists for the
#                                                  server (lane mode also gets --cpus) and for the load
#   SKIP_BUILD (0)     1: use what is built        MVN_FLAGS: extra Maven flags (e.g. -o)
#   SERVER_HEAP (1g)   the server JVM's -Xms and -Xmx
# Everything it starts it stops (the server with SIGTERM: its graceful shutdown); every step is bounded.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
# shellcheck source=../scripts/jdk.sh
. scripts/jdk.sh
coremanager_find_jdk || exit 1
JAVA="$JAVA_HOME/bin/java"

CONNECTIONS=${CONNECTIONS:-50}
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
URL_PATH=${URL_PATH:-/hello}
MODES=${MODES:-"lane vt"}
LOAD=${LOAD:-auto}
SERVER_HEAP=${SERVER_HEAP:-1g}
if [ "$LOAD" = auto ]; then
  if command -v wrk > /dev/null 2>&1; then LOAD=wrk; else LOAD=java; fi
fi
case "$LOAD" in wrk|java) ;; *) echo "LOAD is auto, wrk or java" >&2; exit 2 ;; esac

BENCH_JAR=bench/target/benchmarks.jar
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  modules=examples
  [ "$LOAD" = java ] && modules=examples,bench
  echo "building $modules with $JAVA_HOME ..." >&2
  # package, not install: nothing goes into ~/.m2 (the reactor links the modules).
  # shellcheck disable=SC2086
  coremanager_mvn -q ${MVN_FLAGS:-} -DskipTests -Dmaven.javadoc.skip=true -pl "$modules" -am package >&2
fi
CP=core/target/classes:examples/target/classes
FLAGS="--enable-native-access=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED"
srv_taskset=""; ld_taskset=""; lane_cpus=""
[ -n "${SERVER_CPUS:-}" ] && { srv_taskset="taskset -c $SERVER_CPUS"; lane_cpus="--cpus $SERVER_CPUS"; }
[ -n "${LOAD_CPUS:-}" ] && ld_taskset="taskset -c $LOAD_CPUS"

pid=""; log=""; out=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; then
    # SIGTERM runs the example's shutdown hook (a graceful close). Not SIGINT: a non-interactive shell
    # starts background jobs with SIGINT ignored, and the JVM leaves an ignored SIGINT alone.
    kill -TERM "$pid" 2> /dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  fi
  pid=""
  [ -z "$log" ] || rm -f "$log"
  [ -z "$out" ] || rm -f "$out"
  log=""; out=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wrk's latency ("812.00us", "1.20ms", "2.00s") in µs.
to_us() {
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    f = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : (u == "m") ? 60000000 : -1;
    if (f < 0) { print "?" } else { printf "%.1f", n * f } }'
}
server_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # user + system, in 1/CLK_TCK s

echo "# $(date -u +%FT%TZ) $(uname -n), nproc $(nproc), $(lscpu 2> /dev/null | sed -n 's/^Model name: *//p' | head -1)"
echo "# $("$JAVA" -version 2>&1 | head -1); load: $LOAD$([ "$LOAD" = wrk ] && echo " ($(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $THREADS threads)")"
echo "# GET $URL_PATH, $CONNECTIONS keep-alive connections, ${WARMUP} s warm-up then ${DURATION} s measured per mode;" \
     "server cpus: ${SERVER_CPUS:-all}, load cpus: ${LOAD_CPUS:-all}"
echo "# load average before: $(cat /proc/loadavg)"
echo
# "closed-loop mean": every connection waits for its response before sending the next request, so
# by Little's law the mean latency is connections ÷ requests/s, whatever the load tool's timer says:
# a check on its percentiles.
echo "| mode | load | requests/s | p50 µs | p90 µs | p99 µs | max µs | closed-loop mean µs | errors | server CPU µs/request |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
port=$((18000 + RANDOM % 2000))
hz=$(getconf CLK_TCK)
for mode in $MODES; do
  case "$mode" in
    lane) label="lane-local I/O (core-affine virtual threads)"; extra=$lane_cpus ;;
    vt) label="default virtual threads"; extra="" ;;
    *) echo "mode: lane or vt, not $mode" >&2; exit 2 ;;
  esac
  port=$((port + 1))
  log=$(mktemp); out=$(mktemp)
  # shellcheck disable=SC2086
  $srv_taskset "$JAVA" $FLAGS -Xms$SERVER_HEAP -Xmx$SERVER_HEAP -cp "$CP" io.coremanager.examples.HttpServerExample \
    --port "$port" --mode "$mode" $extra > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do grep -q '^ready' "$log" && break; kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  grep -q '^ready' "$log" || { echo "the $mode server did not start:" >&2; cat "$log" >&2; exit 1; }
  url="http://127.0.0.1:$port$URL_PATH"
  bound=$((WARMUP + DURATION + 60))
  if [ "$LOAD" = wrk ]; then
    # shellcheck disable=SC2086
    timeout "$bound" $ld_taskset wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$url" > /dev/null
    t0=$(server_ticks "$pid")
    # shellcheck disable=SC2086
    timeout "$bound" $ld_taskset wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" > "$out"
    t1=$(server_ticks "$pid")
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    pct() { to_us "$(awk -v p="$1%" '$1 == p { print $2; exit }' "$out")"; }
    p50=$(pct 50); p90=$(pct 90); p99=$(pct 99)
    max=$(to_us "$(awk '$1 == "Latency" { print $4; exit }' "$out")")
    requests=$(awk '/requests in/ { print $1; exit }' "$out")
    errors=$(awk '/Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 } /Non-2xx/ { e += $NF } END { print e + 0 }' "$out")
  else
    t0=$(server_ticks "$pid")
    # shellcheck disable=SC2086
    timeout "$bound" $ld_taskset "$JAVA" $FLAGS -cp "$BENCH_JAR" io.coremanager.bench.HttpKeepAliveMain \
      load "$port" "$CONNECTIONS" "$WARMUP" "$DURATION" "$mode" "$URL_PATH" > "$out"
    t1=$(server_ticks "$pid")
    field() { sed -n "s/.*$1 \\([0-9.]*\\).*/\\1/p" "$out"; }
    rps=$(sed -n 's/.* \([0-9]*\) requests\/s.*/\1/p' "$out")
    p50=$(field p50); p90=$(field p90); p99=$(field p99); max=$(field max)
    errors=$(field errors)
    requests=$(field 'requests with warm-up')   # the server's CPU time below covers the warm-up too
  fi
  cpu=$(awk -v t=$((t1 - t0)) -v n="$requests" -v hz="$hz" 'BEGIN { if (n > 0) printf "%.2f", t * 1e6 / hz / n; else print "?" }')
  little=$(awk -v c="$CONNECTIONS" -v r="$rps" 'BEGIN { if (r > 0) printf "%.1f", c * 1e6 / r; else print "?" }')
  echo "| $mode: $label | $LOAD | $rps | $p50 | $p90 | $p99 | $max | $little | $errors | $cpu |"
  cleanup
done
echo
echo "# load average after: $(cat /proc/loadavg)"
