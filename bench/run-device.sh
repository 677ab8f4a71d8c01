#!/usr/bin/env bash
# The 16-CPU battery run on the device machine (BENCHMARKS.md, machine B), one part after the other
# in one command, each part's output in its own file under OUT_DIR:
#   machine  the machine: lscpu, kernel command line, load, JDK
#   timers   `coremanager bench --only timers`, three times (issue 11)
#   http     bench/run-http.sh, arrangements "both" and "half", CONNECTIONS (256) connections (issue 11)
#   jitter   `coremanager jitter --isolate`, lanes on the upper half of the CPUs, the JVM keeps the lower half (issue 12)
#   jitter1  the same with every CPU but the first sampled: isolation squeezes the JVM onto one CPU (issue 12)
#   rt       `coremanager jitter --round-trip --isolate` on the upper half (issue 12)
#   rtpause  the same with 100 µs between round trips, so the lanes park and each round trip wakes one
#   httppark the HTTP modes lane and vt with the lanes parking when idle (-Dbench.idle=park), both and half (issue 11)
#   mesh     MeshMain with the mesh on and off, alternating, twice each (issue 13)
#   throughput  `coremanager bench --only throughput` with the mesh on, then off (issue 13)
#
#   bench/run-device.sh OUT_DIR        env: PARTS (all of the above), JAVA (device/jre/bin/java),
#                                           JITTER_SECONDS (20), CONNECTIONS (256), TP_WARMUP_MS (200), TP_MEASURE_MS (1000),
#                                           JAVA_OPTS (extra flags of the CLI's JVM, e.g. -XX:+UseZGC),
#                                           BENCH_CP (device/benchmarks.jar, or the bench, harness
#                                           and core classes: the jar and a jlink image with
#                                           java.desktop do not fit the 64 MiB a run may carry)
# Expects the jlink image in device/jre and device/coremanager.jar: the recipe is in BENCHMARKS.md. Every part is bounded; a failing part is noted and the next one runs.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: bench/run-device.sh OUT_DIR}
mkdir -p "$OUT"
PARTS=${PARTS:-"machine timers http httppark jitter jitter1 rt rtpause mesh throughput"}
JAVA=${JAVA:-device/jre/bin/java}
SECS=${JITTER_SECONDS:-20}
BENCH_CP=${BENCH_CP:-device/benchmarks.jar}
FLAGS="--enable-native-access=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED"
cli() { timeout 300 "$JAVA" $FLAGS ${JAVA_OPTS:-} -jar device/coremanager.jar "$@"; }
n=$(nproc); upper="$((n / 2))-$((n - 1))"
for part in $PARTS; do
  echo "$(date -u +%T) $part (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  case $part in
    machine) { date -u; uname -a; nproc; lscpu; echo "cmdline: $(cat /proc/cmdline)"; \
               echo "load: $(cat /proc/loadavg)"; "$JAVA" -version; } > "$OUT/machine.txt" 2>&1 ;;
    timers) for i in 1 2 3; do echo "# run $i $(date -u +%T), load $(cat /proc/loadavg)"; \
              cli bench --only timers 2> /dev/null | sed -n '/Timer lateness/,$p'; done > "$OUT/timers.txt" ;;
    http) JAVA=$JAVA BENCH_JAR=$BENCH_CP CONNECTIONS=${CONNECTIONS:-256} ARRANGEMENTS="both half" \
            timeout 400 bench/run-http.sh "$OUT/http.txt" ;;
    httppark) JAVA=$JAVA BENCH_JAR=$BENCH_CP CONNECTIONS=${CONNECTIONS:-256} ARRANGEMENTS="both half" MODES="lane vt" \
            EXTRA_SERVER_FLAGS=-Dbench.idle=park timeout 300 bench/run-http.sh "$OUT/http-park.txt" ;;
    jitter) cli jitter --cpus "$upper" --seconds "$SECS" --isolate --safepoints > "$OUT/jitter.txt" 2>&1 ;;
    jitter1) cli jitter --cpus "1-$((n - 1))" --seconds "$SECS" --isolate --safepoints > "$OUT/jitter1.txt" 2>&1 ;;
    rt) cli jitter --round-trip --cpus "$upper" --seconds "$SECS" --isolate --safepoints > "$OUT/rt.txt" 2>&1 ;;
    rtpause) cli jitter --round-trip --pause-us 100 --cpus "$upper" --seconds "$SECS" --isolate --safepoints \
               > "$OUT/rt-pause.txt" 2>&1 ;;
    mesh) for m in true false true false; do timeout 120 "$JAVA" --add-opens=java.base/java.lang=ALL-UNNAMED \
            -Dio.coremanager.engine.mesh=$m -cp "$BENCH_CP" io.coremanager.bench.MeshMain 2000; \
          done > "$OUT/mesh.txt" 2>&1 ;;
    throughput) for m in true false; do echo "# -Dio.coremanager.engine.mesh=$m"; timeout 200 "$JAVA" $FLAGS \
            -Dio.coremanager.engine.mesh=$m -jar device/coremanager.jar bench --only throughput --warmup-ms ${TP_WARMUP_MS:-200} --measure-ms ${TP_MEASURE_MS:-1000} \
            2> /dev/null | sed -n '/^Throughput/,$p'; done > "$OUT/throughput.txt" ;;
    *) echo "unknown part: $part" >&2 ;;
  esac || echo "part $part failed: $?" >&2
done
echo "$(date -u +%T) done" >&2
