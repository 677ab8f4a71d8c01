package io.coremanager.bench;

import io.coremanager.bench.harness.Contender;
import io.coremanager.bench.harness.Pinned;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * 1. Round trip: from a thread pinned on the caller CPU, run a no-op on the target CPU and wait.
 * Sample mode: JMH reports the median and the p99 of single operations.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED"})
@State(Scope.Thread)
public class RoundTripBenchmark {

    @Param({"coremanager-spinThenPark", "coremanager-park", "coremanager-busySpin", "threadpool-pinned",
        "forkjoinpool-pinned", "virtual-threads", "openhft-affinity", "floor"})
    public String contender;

    private Contender running;

    @Setup(Level.Trial)
    public void start() {
        Pinned.pin(BenchCpus.caller()); // the JMH worker thread is the caller
        running = OpenHft.contender(contender, BenchCpus.target());
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        running.close();
    }

    @Benchmark
    public void roundTrip() throws Exception {
        running.roundTrip();
    }
}
