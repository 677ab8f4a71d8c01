package io.coremanager;

import io.coremanager.affinity.Affinity;
import io.coremanager.reservation.CpuReservations;
import io.coremanager.testing.FakeSysfs;
import io.coremanager.testing.ProcWitness;
import io.coremanager.topology.CpuTopology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PinnedThreadFactoryTest {

    @TempDir
    Path dir;

    @Test
    void threadsArePinnedRoundRobinToTheChosenCpus() throws Exception {
        assumeTrue(Affinity.isSupported() && ProcWitness.available());
        PinnedThreadFactory factory = PinnedThreadFactory.builder().namePrefix("rr-").build();
        CpuSet usable = CpuTopology.current().usableCpus();
        assertThat(factory.slots()).hasSize(usable.size());
        for (int i = 0; i < usable.size() * 2; i++) {
            CpuSet expected = CpuSet.of(usable.get(i % usable.size()));
            CompletableFuture<CpuSet> seen = new CompletableFuture<>();
            Thread t = factory.newThread(() -> seen.complete(ProcWitness.cpusAllowed()));
            assertThat(t.getName()).isEqualTo("rr-" + (i + 1) + "-cpu" + expected);
            t.start();
            assertThat(seen.get(30, TimeUnit.SECONDS)).isEqualTo(expected);
            t.join();
        }
    }

    @Test
    void wholeCoresAreSlotsOfSiblings() {
        CpuTopology fake = CpuTopology.read(FakeSysfs.machine(dir.resolve("sysfs"), 1, 2, 2).root());
        PinnedThreadFactory factory = PinnedThreadFactory.builder().topology(fake).wholeCores(true).build();
        assertThat(factory.slots()).containsExactly(CpuSet.of(0, 2), CpuSet.of(1, 3));
        PinnedThreadFactory single = PinnedThreadFactory.builder().topology(fake).placement(Placement.onePerCore()).build();
        assertThat(single.slots()).containsExactly(CpuSet.of(0), CpuSet.of(1));
    }

    @Test
    void aThreadMadeByAPinnedThreadDoesNotInheritItsCpu() throws Exception {
        assumeTrue(Affinity.isSupported() && ProcWitness.available());
        CpuSet usable = CpuTopology.current().usableCpus();
        assumeTrue(usable.size() > 1, "needs two cpus");
        int first = usable.first();
        PinnedThreadFactory pinned = PinnedThreadFactory.builder().cpus(CpuSet.of(first)).build();
        CompletableFuture<CpuSet> fromFactory = new CompletableFuture<>();
        CompletableFuture<CpuSet> plainChild = new CompletableFuture<>();
        CompletableFuture<CpuSet> unpinnedChild = new CompletableFuture<>();
        PinnedThreadFactory other = PinnedThreadFactory.builder().cpus(CpuSet.of(usable.last())).build();
        Thread parent = pinned.newThread(() -> {
            try {
                Thread a = other.newThread(() -> fromFactory.complete(ProcWitness.cpusAllowed()));
                Thread b = Thread.ofPlatform().unstarted(() -> plainChild.complete(ProcWitness.cpusAllowed()));
                Thread c = PinnedThreadFactory.unpinned().newThread(() -> unpinnedChild.complete(ProcWitness.cpusAllowed()));
                a.start();
                b.start();
                c.start();
                a.join();
                b.join();
                c.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        parent.start();
        parent.join();
        assertThat(fromFactory.get()).as("a factory thread sets its own mask").isEqualTo(CpuSet.of(usable.last()));
        assertThat(plainChild.get()).as("Linux: a plain child inherits its creator's cpu").isEqualTo(CpuSet.of(first));
        assertThat(unpinnedChild.get()).as("unpinned() resets to the process's cpus").isEqualTo(usable);
    }

    @Test
    void anExclusiveFactoryRefusesThreadsOnceEverySlotIsReserved() throws Exception {
        CpuSet usable = CpuTopology.current().usableCpus();
        CpuReservations folder = CpuReservations.privateFolder(dir.resolve("locks"));
        PinnedThreadFactory factory = PinnedThreadFactory.builder().exclusive(folder).build();
        CountDownLatch release = new CountDownLatch(1);
        Runnable hold = () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        java.util.List<Thread> holders = new java.util.ArrayList<>();
        for (int i = 0; i < usable.size(); i++) {
            Thread t = factory.newThread(hold);
            assertThat(t).isNotNull();
            holders.add(t);
            t.start();
        }
        assertThat(factory.newThread(hold)).as("every slot reserved").isNull();
        ExecutorService pool = Executors.newThreadPerTaskExecutor(factory);
        assertThatThrownBy(() -> pool.submit(hold)).isInstanceOf(RejectedExecutionException.class);
        release.countDown();
        for (Thread t : holders) {
            t.join();
        }
        Thread again = factory.newThread(() -> { });
        assertThat(again).as("the reservations ended with their threads").isNotNull();
        pool.close();
    }

    @Test
    void aCpuThatCannotBeUsedIsNamed() {
        assertThatThrownBy(() -> PinnedThreadFactory.builder().cpus(CpuSet.of(4000)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cpus 4000 cannot be managed: cpus 4000 do not exist on this machine");
    }
}
