#!/usr/bin/env bash
# Runs the benchmark suite side by side and writes everything under a results folder:
# the JMH runs (JSON and text), their ratio tables (Markdown), the idle cost, the quick CLI bench,
# and the core-to-core matrix (text and PNG).
#
#   bench/run-suite.sh [RESULTS_DIR]
#
# JAVA=/path/to/java chooses the JVM; QUICK=1 makes short runs; PARTS=jmh or PARTS=cli runs only
# the JMH suite or only the rest (idle cost, CLI bench, core to core), to fit a time limit.
#
# Needs bench/target/benchmarks.jar and cli/target/coremanager.jar (./run-tests or
# ./mvnw -DskipTests package builds them), or BENCH_JAR and CLI_JAR pointing at copies. The benchmarks
# jar does not hold the CLI (both use the bench-harness module): PARTS=jmh without the CLI jar runs,
# but machine.txt then lacks the topology.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(dirname "$here")"
out="${1:-$root/bench/results}"
mkdir -p "$out"
if [ -z "${JAVA:-}" ]; then
  # shellcheck source=../scripts/jdk.sh
  . "$root/scripts/jdk.sh"
  coremanager_find_jdk
  JAVA="$JAVA_HOME/bin/java"
fi
bench_jar="${BENCH_JAR:-$root/bench/target/benchmarks.jar}"
cli_jar="${CLI_JAR:-$root/cli/target/coremanager.jar}"
flags=(--enable-native-access=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
if [ "${QUICK:-0}" = 1 ]; then
  iterations=(-wi 1 -i 2 -w 500ms -r 500ms)
else
  iterations=(-wi 2 -i 4 -w 1 -r 1)
fi
cli() { "$JAVA" "${flags[@]}" -cp "$cli_jar" io.coremanager.cli.Main "$@"; }
if cli --version >/dev/null 2>&1; then
  ncpu=$(cli topology --json | grep -o '"allowed": "[^"]*"' | head -1 | sed 's/.*: "//; s/"//')
else
  ncpu="?"
  echo "no CLI in $cli_jar: the topology is left out (set CLI_JAR to cli/target/coremanager.jar)" >&2
fi
usable=$(nproc)
echo "java: $("$JAVA" -version 2>&1 | head -1); cpus: $ncpu ($usable usable)" | tee "$out/machine.txt"
if [ "$ncpu" != "?" ]; then
  cli topology | tee -a "$out/machine.txt"
fi
uname -a >> "$out/machine.txt"
grep -m1 'model name' /proc/cpuinfo >> "$out/machine.txt" || true

jmh() {
  local name="$1"; shift
  echo "== JMH $name: $*"
  "$JAVA" "${flags[@]}" -jar "$bench_jar" "$@" "${iterations[@]}" -f 1 -rf json -rff "$out/$name.json" > "$out/$name.txt" 2>&1 \
    || { echo "JMH $name failed; see $out/$name.txt"; tail -20 "$out/$name.txt"; return 0; }
  "$JAVA" -cp "$bench_jar" io.coremanager.bench.Ratios "$out/$name.json" | tee "$out/$name.md"
}

parts="${PARTS:-jmh cli}"
if [[ "$parts" == *jmh* ]]; then
multi="coremanager-spinThenPark,coremanager-park,coremanager-busySpin,threadpool-pinned,forkjoinpool-pinned,virtual-threads,openhft-affinity"
jmh affinity AffinityBenchmark
jmh roundtrip RoundTripBenchmark
jmh throughput-1to1 ThroughputBenchmark -t 1
if [ "$usable" -gt 2 ]; then
  jmh throughput-nto1 ThroughputBenchmark -t $((usable - 1)) -p contender="$multi"
fi
jmh throughput-all ThroughputBenchmark -t "$usable" -p scenario=all -p contender="$multi"
jmh vthreads VirtualThreadBenchmark
jmh locality LocalityBenchmark
jmh queue-1p QueueBenchmark -tg 1,1
if [ "$usable" -gt 3 ]; then
  jmh queue-3p QueueBenchmark -tg 3,1
fi
fi
if [[ "$parts" == *cli* ]]; then
echo "== idle cost"
"$JAVA" "${flags[@]}" -cp "$bench_jar" io.coremanager.bench.IdleCostMain 3000 | tee "$out/idle.txt"
echo "== coremanager bench"
"$JAVA" "${flags[@]}" -cp "$cli_jar" io.coremanager.cli.Main bench 2>>"$out/cli-stderr.txt" | tee "$out/cli-bench.txt"
echo "== coremanager bench c2c"
"$JAVA" "${flags[@]}" -Djava.awt.headless=true -cp "$cli_jar" io.coremanager.cli.Main bench c2c --png "$out/c2c.png" 2>>"$out/cli-stderr.txt" | tee "$out/c2c.txt"
fi
echo "results in $out"
