#!/usr/bin/env bash
# usage: prof.sh MODE  -> server on CPU 0, load on CPU 1; perf record + syscall counts on the server
set -uo pipefail
mode=$1
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
JAR=bench/target/benchmarks.jar
FLAGS="--enable-native-access=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED -Xms1g -Xmx1g -XX:+PreserveFramePointer"
port=$((19000 + RANDOM % 500))
log=/tmp/prof/$mode.server.log
taskset -c 0 java $FLAGS -cp $JAR io.coremanager.bench.HttpKeepAliveMain server $mode $port > $log 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q '^ready' $log && break; sleep 0.05; done
taskset -c 1 java --enable-native-access=ALL-UNNAMED -cp $JAR io.coremanager.bench.HttpKeepAliveMain load $port 50 4 8 one/$mode > /tmp/prof/$mode.load.txt &
lpid=$!
sleep 5


perf record -e cpu-clock -F 1999 -g -p $pid -o /tmp/prof/$mode.data -- sleep 2 2>/dev/null
wait $lpid
jcmd $pid Compiler.perfmap > /dev/null 2>&1
kill $pid; wait $pid 2>/dev/null
cat /tmp/prof/$mode.load.txt
