package io.coremanager.bench;

import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.IdleStrategy;
import io.coremanager.bench.harness.Contenders;
import io.coremanager.bench.harness.Pinned;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * 3. Virtual threads: start one and join it (core-affine on the target CPU, or on the default
 * scheduler), and two virtual threads handing a turn back and forth with park/unpark
 * ({@value #EXCHANGES} exchanges per invocation; both on one lane, or both on the default scheduler).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED"})
@State(Scope.Thread)
public class VirtualThreadBenchmark {

    static final int EXCHANGES = 1000;
    private static final Runnable NOOP = () -> { };

    @Param({"coremanager", "default"})
    public String scheduler;

    private CoreManager cores;
    private int cpu;
    private volatile int turn;
    private volatile boolean stop;
    private Thread ping;
    private Thread pong;
    private volatile Thread driver;
    private volatile int rounds;

    @Setup(Level.Trial)
    public void start() {
        Pinned.pin(BenchCpus.caller());
        cpu = BenchCpus.target();
        if (scheduler.equals("coremanager")) {
            cores = Contenders.manager(CpuSet.of(cpu), IdleStrategy.spinThenPark());
            ping = cores.threadFactory(cpu).newThread(this::pingLoop);
            pong = cores.threadFactory(cpu).newThread(this::pongLoop);
        } else {
            ping = Thread.ofVirtual().unstarted(this::pingLoop);
            pong = Thread.ofVirtual().unstarted(this::pongLoop);
        }
        ping.start();
        pong.start();
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        stop = true;
        LockSupport.unpark(ping);
        LockSupport.unpark(pong);
        ping.join();
        pong.join();
        if (cores != null) {
            cores.close();
        }
    }

    @Benchmark
    public void startAndJoin() throws InterruptedException {
        Thread t = cores != null ? cores.go(cpu, NOOP) : Thread.ofVirtual().start(NOOP);
        t.join();
    }

    /** The JMH thread asks the pinger for {@value #EXCHANGES} exchanges with the ponger and waits. */
    @Benchmark
    @OperationsPerInvocation(EXCHANGES)
    public void pingPong() {
        driver = Thread.currentThread();
        rounds = EXCHANGES;
        LockSupport.unpark(ping);
        while (rounds != 0) {
            LockSupport.park(this);
        }
    }

    private void pingLoop() {
        while (!stop) {
            while (rounds == 0 && !stop) {
                LockSupport.park(this);
            }
            for (int n = rounds; n > 0 && !stop; n--) {
                turn = 1;
                LockSupport.unpark(pong);
                while (turn != 0 && !stop) {
                    LockSupport.park(this);
                }
            }
            rounds = 0;
            LockSupport.unpark(driver);
        }
    }

    private void pongLoop() {
        while (!stop) {
            while (turn != 1 && !stop) {
                LockSupport.park(this);
            }
            turn = 0;
            LockSupport.unpark(ping);
        }
    }
}
