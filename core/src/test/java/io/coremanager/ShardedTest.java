package io.coremanager;

import io.coremanager.affinity.Affinity;
import io.coremanager.testing.Where;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link LaneLocal} and {@link Sharded}: confinement, placement, results, lifecycle. */
class ShardedTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final List<CoreManager> managers = new ArrayList<>();

    private CoreManager manager() {
        CoreManager m = CoreManager.create();
        managers.add(m);
        return m;
    }

    @AfterEach
    void closeAll() throws InterruptedException {
        for (CoreManager m : managers) {
            m.shutdownNow();
            assertThat(m.awaitTermination(WAIT)).as("%s terminates", m).isTrue();
        }
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    // ---------------------------------------------------------------- LaneLocal

    @Test
    void getOutsideTheLanesSaysWhereTheCallerRunsAndWhichLanesExist() {
        CoreManager cores = manager();
        LaneLocal<Object> local = cores.laneLocal(Object::new);
        assertThatThrownBy(local::get).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("platform thread \"" + Thread.currentThread().getName() + "\"")
                .hasMessageContaining("not the code of any lane")
                .hasMessageContaining("cpus " + cores.cpus());
    }

    @Test
    void getFromAPlainVirtualThreadOrAnotherManagersLaneIsRefused() throws Exception {
        CoreManager cores = manager();
        CoreManager other = manager();
        LaneLocal<Object> local = cores.laneLocal(Object::new);
        CompletableFuture<Throwable> fromVirtual = new CompletableFuture<>();
        Thread.ofVirtual().name("plain-vt").start(() -> {
            try {
                local.get();
                fromVirtual.complete(null);
            } catch (Throwable t) {
                fromVirtual.complete(t);
            }
        });
        assertThat(await(fromVirtual)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("virtual thread \"plain-vt\"");
        int cpu = other.cpus().first();
        assertThatThrownBy(() -> await(other.submit(cpu, local::get))).hasCauseInstanceOf(IllegalStateException.class)
                .cause().hasMessageContaining("thread \"coremanager-cpu-" + cpu + "\"");
    }

    @Test
    void eachLaneGetsItsOwnInstanceMadeOnThatLaneOnce() throws Exception {
        CoreManager cores = manager();
        Map<Integer, Where> madeAt = new ConcurrentHashMap<>();
        AtomicInteger made = new AtomicInteger();
        LaneLocal<int[]> local = cores.laneLocal(() -> {
            made.incrementAndGet();
            int cpu = CoreManager.currentCpu();
            madeAt.put(cpu, Where.now("supplier"));
            return new int[] {cpu};
        });
        for (int round = 0; round < 3; round++) {
            for (int cpu : cores.cpus().toArray()) {
                int[] first = await(cores.submit(cpu, local::get));
                int[] again = await(cores.submit(cpu, local::get));
                assertThat(again).isSameAs(first);
                if (Affinity.isSupported()) {
                    assertThat(first[0]).as("instance of cpu %d made on it", cpu).isEqualTo(cpu);
                    assertThat(madeAt.get(cpu).on(cpu)).as("%s", madeAt.get(cpu)).isTrue();
                }
            }
        }
        assertThat(made).hasValue(cores.cpus().size());
    }

    @Test
    void coreAffineVirtualThreadsAndTheirChildrenSeeTheirLanesInstance() throws Exception {
        CoreManager cores = manager();
        LaneLocal<Object> local = cores.laneLocal(Object::new);
        int cpu = cores.cpus().last();
        Object onCarrier = await(cores.submit(cpu, local::get));
        CompletableFuture<Object[]> seen = new CompletableFuture<>();
        cores.go(cpu, () -> {
            try {
                Object before = local.get();
                Thread.sleep(1); // parks, resumes on the lane
                Object[] child = new Object[1];
                Thread t = Thread.ofVirtual().start(() -> child[0] = local.get());
                t.join();
                seen.complete(new Object[] {before, local.get(), child[0]});
            } catch (Throwable e) {
                seen.completeExceptionally(e);
            }
        });
        assertThat(await(seen)).containsOnly(onCarrier);
    }

    @Test
    void aFailingSupplierFailsTheGetAndIsTriedAgain() throws Exception {
        CoreManager cores = manager();
        AtomicInteger calls = new AtomicInteger();
        LaneLocal<String> local = cores.laneLocal(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalArgumentException("first time");
            }
            return "made";
        });
        int cpu = cores.cpus().first();
        assertThatThrownBy(() -> await(cores.submit(cpu, local::get))).hasRootCauseMessage("first time");
        assertThat(await(cores.submit(cpu, local::get))).isEqualTo("made");
        LaneLocal<String> nulls = cores.laneLocal(() -> null);
        assertThatThrownBy(() -> await(cores.submit(cpu, nulls::get))).hasCauseInstanceOf(NullPointerException.class)
                .cause().hasMessageContaining("returned null on cpu " + cpu);
    }

    // ---------------------------------------------------------------- Sharded

    @Test
    void everyInvokeOnRunsOnItsCpuWithThatCpusShard() throws Exception {
        CoreManager cores = manager();
        Sharded<int[]> sharded = cores.sharded(() -> new int[] {CoreManager.currentCpu(), 0});
        for (int cpu : cores.cpus().toArray()) {
            for (int i = 0; i < 100; i++) {
                int[] result = await(sharded.invokeOn(cpu, s -> {
                    s[1]++;
                    return new int[] {s[0], CoreManager.currentCpu(), ProcCpu.now()};
                }));
                if (Affinity.isSupported()) {
                    assertThat(result).as("shard made on, call ran on (sched_getcpu, /proc)").containsOnly(cpu);
                }
            }
            int count = await(sharded.invokeOn(cpu, s -> s[1]));
            assertThat(count).isEqualTo(100);
        }
    }

    @Test
    void invokeOnByKeyReachesTheKeysCpu() throws Exception {
        CoreManager cores = manager();
        Sharded<Map<String, Integer>> sharded = cores.sharded(HashMap::new);
        for (int k = 0; k < 50; k++) {
            String key = "key-" + k;
            int expected = cores.cpuFor(key);
            int ranOn = await(sharded.invokeOn(key, m -> {
                m.merge(key, 1, Integer::sum);
                return Affinity.isSupported() ? CoreManager.currentCpu() : expected;
            }));
            assertThat(ranOn).isEqualTo(expected);
        }
        int total = await(sharded.mapReduce(Map::size, Integer::sum));
        assertThat(total).isEqualTo(50);
    }

    @Test
    void invokeOnAllAnswersInCpuOrderAndMapReduceCombinesThem() throws Exception {
        CoreManager cores = manager();
        Sharded<AtomicInteger> sharded = cores.sharded(AtomicInteger::new);
        List<Integer> cpus = cores.cpus().stream().boxed().toList();
        List<Integer> ran = await(sharded.invokeOnAll(s -> CoreManager.currentCpu()));
        if (Affinity.isSupported()) {
            assertThat(ran).containsExactlyElementsOf(cpus);
        } else {
            assertThat(ran).hasSize(cpus.size());
        }
        for (int cpu : cpus) {
            await(sharded.invokeOn(cpu, s -> s.addAndGet(cpu + 1)));
        }
        int expected = cpus.stream().mapToInt(c -> c + 1).sum();
        int reduced = await(sharded.mapReduce(AtomicInteger::get, Integer::sum));
        assertThat(reduced).isEqualTo(expected);
        String order = await(sharded.mapReduce(s -> String.valueOf(s.get() - 1), (a, b) -> a + "," + b));
        assertThat(order).isEqualTo(String.join(",", cpus.stream().map(String::valueOf).toList()));
        List<Object> nulls = await(sharded.invokeOnAll(s -> null));
        assertThat(nulls).hasSize(cpus.size()).containsOnlyNulls();
    }

    @Test
    void aFailingCallFailsItsFutureAndTheLaneGoesOn() throws Exception {
        CoreManager cores = manager();
        Sharded<Object> sharded = cores.sharded(Object::new);
        int cpu = cores.cpus().first();
        assertThatThrownBy(() -> await(sharded.invokeOn(cpu, s -> {
            throw new IllegalStateException("boom");
        }))).hasRootCauseMessage("boom");
        assertThatThrownBy(() -> await(sharded.invokeOnAll(s -> {
            throw new IllegalStateException("all boom");
        }))).hasRootCauseMessage("all boom");
        assertThatThrownBy(() -> sharded.mapReduce(s -> 1, (a, b) -> {
            throw new ArithmeticException("combine");
        }).join()).isInstanceOf(CompletionException.class);
        Object shard = await(sharded.invokeOn(cpu, s -> s));
        assertThat(shard).isNotNull();
    }

    @Test
    void aCarrierWaitingForEveryLaneIsRefusedButAVirtualThreadMayWait() throws Exception {
        CoreManager cores = manager();
        Sharded<Object> sharded = cores.sharded(Object::new);
        int cpu = cores.cpus().first();
        assertThatThrownBy(() -> await(cores.submit(cpu, () -> sharded.invokeOnAll(s -> 1).join())))
                .hasCauseInstanceOf(IllegalStateException.class)
                .cause().hasMessageContaining("a task on cpu " + cpu + "'s lane waits for a call on every lane");
        CompletableFuture<Integer> fromVirtual = new CompletableFuture<>();
        cores.go(cpu, () -> {
            try {
                fromVirtual.complete(sharded.mapReduce(s -> 1, Integer::sum).join());
            } catch (Throwable t) {
                fromVirtual.completeExceptionally(t);
            }
        });
        int sum = await(fromVirtual);
        assertThat(sum).isEqualTo(cores.cpus().size());
    }

    @Test
    void argumentsAreChecked() {
        CoreManager cores = manager();
        Sharded<Object> sharded = cores.sharded(Object::new);
        assertThatThrownBy(() -> sharded.invokeOn(-1, s -> s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("managed cpus: " + cores.cpus());
        assertThatThrownBy(() -> sharded.invokeOn(0, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> sharded.mapReduce(s -> s, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cores.sharded(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cores.laneLocal(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void afterCloseEveryCallIsRejected() {
        CoreManager cores = manager();
        Sharded<Object> sharded = cores.sharded(Object::new);
        cores.close();
        int cpu = cores.cpus().first();
        assertThatThrownBy(() -> sharded.invokeOn(cpu, s -> s)).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> sharded.invokeOn("key", s -> s)).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> sharded.invokeOnAll(s -> s)).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> sharded.mapReduce(s -> 1, Integer::sum)).isInstanceOf(RejectedExecutionException.class);
    }

    /** The second witness of where a call ran: /proc/thread-self/stat. */
    private static final class ProcCpu {
        static int now() {
            return io.coremanager.testing.ProcWitness.processor();
        }
    }
}
