package io.coremanager.testing;

import io.coremanager.CpuSet;
import io.coremanager.affinity.Affinity;
import io.coremanager.isolation.JvmThreads;
import io.coremanager.isolation.KeepOffReport;

import java.util.concurrent.CountDownLatch;

/** Run in a JVM of its own: {@code JvmThreads.keepOff} on the whole process. Prints one finding a line. */
public final class KeepOffProbe {

    private KeepOffProbe() {
    }

    public static void main(String[] args) throws Exception {
        CpuSet allowed = Affinity.get();
        int last = allowed.last();
        CountDownLatch end = new CountDownLatch(1);
        CountDownLatch ready = new CountDownLatch(2);
        int[] tids = new int[2];
        Thread onLast = Thread.ofPlatform().name("pinned-onto-last").daemon(true).start(() -> {
            Affinity.pin(last);
            tids[0] = Affinity.currentThreadId();
            ready.countDown();
            await(end);
        });
        Thread spared = Thread.ofPlatform().name("spared").daemon(true).start(() -> {
            tids[1] = Affinity.currentThreadId();
            ready.countDown();
            await(end);
        });
        ready.await();
        KeepOffReport everything = JvmThreads.keepOff(allowed);
        System.out.println("all cpus: moved " + everything.moved().size() + ", nowhere else "
                + everything.skipped().stream().allMatch(s -> s.reason() == KeepOffReport.Reason.NOWHERE_ELSE)
                + ", masks intact " + Affinity.get().equals(allowed));
        KeepOffReport r = JvmThreads.keepOff(CpuSet.of(last), tid -> tid == tids[1]);
        System.out.println(r);
        System.out.println("pinned thread moved to the rest: " + r.moved().stream().anyMatch(m -> m.tid() == tids[0]
                && m.before().equals(CpuSet.of(last)) && m.after().equals(allowed.without(last))));
        System.out.println("spared reported: " + r.skipped().stream().anyMatch(s -> s.tid() == tids[1]
                && s.reason() == KeepOffReport.Reason.MANAGERS_OWN));
        System.out.println("caller moved: " + !Affinity.get().contains(last));
        System.out.println("failed: " + r.failed().size());
        System.out.println("none left on cpu " + last + ": " + JvmThreads.snapshot().stream()
                .filter(t -> t.allowedCpus().contains(last)).allMatch(t -> t.tid() == tids[1]));
        end.countDown();
        onLast.join();
        spared.join();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
