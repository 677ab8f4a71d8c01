#!/usr/bin/env bash
# The HTTP/1.1 keep-alive benchmark of lane-local I/O (issue 11), side by side in one run:
# modes lane, affine, vt, platform; arrangements "both" (server and load on every CPU), "one"
# (server on CPU 0, load on CPU 1) and "half" (server on the first half of the CPUs, load on the rest). Server and load run in two JVMs (HttpKeepAliveMain).
#   bench/run-http.sh [OUT_FILE]   env: CONNECTIONS (50) WARMUP (5) DURATION (10) MODES ARRANGEMENTS EXTRA_SERVER_FLAGS
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${BENCH_JAR:-bench/target/benchmarks.jar}
JAVA=${JAVA:-java}
OUT=${1:-/dev/stdout}
CONNECTIONS=${CONNECTIONS:-50}
WARMUP=${WARMUP:-5}
SECONDS_=${DURATION:-10}   # not SECONDS: bash's own variable
MODES=${MODES:-"lane affine vt platform"}
ARRANGEMENTS=${ARRANGEMENTS:-"both one"}
FLAGS="--enable-native-access=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED -Xms1g -Xmx1g"
MAIN=io.coremanager.bench.HttpKeepAliveMain
port=$((18000 + RANDOM % 2000))
{
  echo "# $(date -u +%FT%TZ) $(uname -n) nproc=$(nproc) $($JAVA -version 2>&1 | head -1)"
  echo "# connections=$CONNECTIONS warmup=${WARMUP}s measured=${SECONDS_}s extra server flags: ${EXTRA_SERVER_FLAGS:-none}"
  echo "# load average before: $(cat /proc/loadavg)"
} >> "$OUT"
for arrangement in $ARRANGEMENTS; do
  n=$(nproc); h=$((n / 2))
  case "$arrangement" in
    one) srv="taskset -c 0"; ld="taskset -c 1" ;;                              # server on CPU 0, load on CPU 1
    half) srv="taskset -c 0-$((h - 1))"; ld="taskset -c $h-$((n - 1))" ;;      # server on the first half, load on the rest
    both) srv=""; ld="" ;;                                                    # both on every CPU
    *) echo "arrangement: $arrangement (expected: both, one or half)" >&2; exit 2 ;;
  esac
  for mode in $MODES; do
    port=$((port + 1))
    log=$(mktemp)
    $srv $JAVA $FLAGS ${EXTRA_SERVER_FLAGS:-} -cp "$JAR" $MAIN server "$mode" "$port" > "$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 200); do grep -q '^ready' "$log" && break; sleep 0.05; done
    grep -q '^ready' "$log" || { cat "$log"; kill $pid; exit 1; }
    ticks0=$(awk '{print $14 + $15}' /proc/$pid/stat)
    wait0=$(cat /proc/$pid/task/*/schedstat 2>/dev/null | awk '{w += $2} END {printf "%d", w / 1000}')   # µs
    line=$($ld $JAVA $FLAGS -cp "$JAR" $MAIN load "$port" "$CONNECTIONS" "$WARMUP" "$SECONDS_" "$arrangement/$mode")
    ticks1=$(awk '{print $14 + $15}' /proc/$pid/stat)
    wait1=$(cat /proc/$pid/task/*/schedstat 2>/dev/null | awk '{w += $2} END {printf "%d", w / 1000}')   # µs
    all=$(echo "$line" | sed -n 's/.*requests with warm-up \([0-9]*\).*/\1/p')
    # The server JVM's CPU time (user + system, in clock ticks of 1/$(getconf CLK_TCK) s) over the whole load
    # run, warm-up included, per request: less sensitive to a shared machine than requests/s.
    echo "$line, server cpu $(awk -v t=$((ticks1 - ticks0)) -v n="$all" -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "%.2f µs/request (%d ticks)", t * 1e6 / hz / n, t }'), server threads waited for a cpu \
$(awk -v w=$((wait1 - wait0)) 'BEGIN { printf "%.3f s", w / 1e6 }') (runqueue time, all threads, schedstat)" >> "$OUT"
    kill $pid; wait $pid 2>/dev/null || true
    rm -f "$log"
  done
done
echo "# load average after: $(cat /proc/loadavg)" >> "$OUT"
