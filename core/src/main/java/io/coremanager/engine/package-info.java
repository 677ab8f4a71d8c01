/**
 * The engine behind {@link io.coremanager.CoreManager}: lanes (a queue and a pinned carrier each),
 * their tasks, their virtual threads, their watchdog. Not exported by the module, and
 * package-private but for its one door, {@link io.coremanager.engine.Lanes}. Uses
 * {@link io.coremanager.affinity.Affinity} to pin carriers and the public values of
 * {@link io.coremanager} ({@code CpuSet}, {@code LaneStats}); knows nothing of topology.
 *
 * <h2>Implementation overview</h2>
 *
 * <p><b>Who is who.</b> {@code Lanes} is a group of lanes with one run state. A {@code Lane} is one
 * CPU seen from the producers: its {@code LaneQueue} (many producers, one consumer, failure-atomic),
 * the wake-up of its carrier ({@code CarrierParking}), its tracked virtual threads
 * ({@code LaneThreads}) and the scheduler of those threads. The {@code Carrier} is the loop that
 * consumes the queue on a platform thread pinned to the CPU; {@code CarrierCounters} is what only it
 * writes. User work is a {@code LaneTask} ({@code ExecutedTask}, {@code SubmittedTask}, the views'
 * tasks); a virtual thread's step is a plain {@code Runnable} continuation handed over by the JDK.
 * {@code LaneExecutorService} is the {@code executor(cpu)} view, {@code LaneScheduledExecutorService}
 * the {@code scheduler(cpu)} view; {@code StallWatchdog} watches the
 * carriers; {@code LateCarrier} runs what arrives after a lane closed.
 *
 * <p><b>Park and wake.</b> A producer claims a queue slot (a CAS on the producer index: a full
 * fence), publishes, then reads the carrier's parked flag and wakes it only if it is parked (an
 * unpark, or a selector wakeup when the lane owns sockets), by one CAS, so one producer of many
 * pays the system call and a hot lane costs producers none. The
 * carrier announces it parks (a volatile write), then reads the producer index: one of the two sees
 * the other ({@code CarrierParking}). News from the group (a state change, the last tracked thread
 * ending during shutdown) wakes the carrier the same way: write, then read the flag. A parked
 * carrier clears its interrupt status (a stray interrupt would make {@code park} return at once for
 * ever) and never parks longer than a second (a waker that failed after its CAS cannot leave it
 * asleep with work queued).
 *
 * <p><b>Lane-local I/O.</b> {@code LaneIo} holds a lane's sockets ({@code LaneChannel}:
 * {@code LaneSocketChannel}, {@code LaneServerChannel}) and, from the first socket that has to wait,
 * a {@code Selector}, which it installs as the parking's {@code CarrierParking.Blocker}: the idle
 * carrier then blocks in {@code select(timeout)} instead of {@code LockSupport.park}, and a waker
 * that wins the same CAS calls {@code selector.wakeup()} instead of {@code unpark}. The carrier has
 * two I/O hooks: "poll now, non-blocking" ({@code selectNow}, when its queue runs empty, every 64
 * spins, and at the first batch boundary 50 µs after its last poll) and "block until work, news or
 * I/O" (the blocker; the ready keys are handled after the park, with the carrier RUNNING). A lane
 * thread that cannot proceed publishes itself as the channel's waiter, registers interest and
 * parks; the carrier's poll unparks it, so its continuation enters the lane's queue from the
 * carrier itself and no wake-up is paid. Closing a channel writes its closed flag, then unparks
 * its waiters (which publish themselves, then read the flag). A timed wait (read and accept
 * timeouts) parks with {@code parkNanos}; the thread then retries its operation and, still unable
 * to proceed past its deadline, times out. A channel's threads yield the lane after 64 reads,
 * writes or accepts in a row that did not park ({@code LaneChannel.hogging}), so a connection whose
 * data never runs out, or a flood of connections, cannot hold the carrier.
 *
 * <p><b>Mesh.</b> A user task handed over by lane code (a carrier, or a virtual thread whose
 * scheduler is the lane) to another lane of the same group goes through the {@code MeshPair} of
 * that (source, destination) pair: one producer (the source's carrier thread), one consumer (the
 * destination's), unbounded linked chunks, no atomic read-modify-write. The source writes each
 * element with a release store (a plain store on x86), which a running destination sees at once:
 * it polls the slot at its head, as JCTools' SPSC queues do (polling an index would cost a second
 * cache line per hand-off). What is batched is the publication: one volatile store of the pair's
 * tail (the store-load fence the park protocol needs) and the destination's wake-up if it is
 * parked, which a parked destination and the closing protocol count on. It happens at the
 * hand-off itself when the destination is parked (a volatile read says so), when the element that
 * appended returns (so a single hand-off from a task reaches its lane at the latest when that task
 * returns, and a virtual thread's when it parks or yields), when 32 wait
 * unpublished (the pair's batch), when lane code is about to wait for one of the engine's futures
 * (or in {@code invokeAny}, which publishes at once), and, whatever happened, at the end of the
 * carrier's section. A section is the carrier running elements or timers: the only time its code
 * can append; the carrier writes an odd value to a volatile counter when it opens one (at the
 * first element of a batch) and an even one when it closes it (after publishing everything).
 * The destination drains its inbound pairs with its queue in turns (the pairs in source order,
 * then the queue; at most a batch from one source per turn, and from the queue at most what it
 * held when its turn began, so a virtual thread that yields waits behind the pairs as it waited
 * behind other lanes' tasks in the queue), within the same batch of 64. Outside producers, a
 * bounded lane (with a queue capacity the mesh is off, so the capacity counts everything), the
 * lane's own code, timers and virtual-thread wake-ups keep the queue. <i>Order</i>: FIFO per
 * pair; none between sources (as between two producers of the queue); none between a source's
 * mesh hand-offs and what it sends through the destination's queue: its wake-ups of the
 * destination's virtual threads, which may overtake hand-offs its current element made, and its
 * hand-offs after the destination closed its mesh (below) or from carrier code outside a section
 * (callbacks of timers dropped at shutdown). While the group runs, every hand-off from lane code
 * of A to another unbounded, healthy lane B goes through the pair, so A's code sees FIFO to B as it
 * did with the queue. <i>Closing</i>: a carrier that may leave first closes its inbound mesh
 * ({@code meshOpen = false}, a volatile write), then reads each other lane's section counter; a
 * source writes its counter before any send reads {@code meshOpen}. So a source seen between
 * sections, or seen again after the section it was in, takes the queue from then on (closable: a
 * late offer is refused cleanly, before it is accepted), and what it appended before was
 * published when that section ended; the section's end wakes the closing lanes, which re-check.
 * The carrier leaves only then, once its pairs are empty and its queue closes empty; its own
 * outbound pairs hold nothing unpublished outside its sections. A lane that failed closed fails
 * what reaches it through the mesh as what it finds in its queue, and {@code shutdownNow}'s
 * hand-back walks the published part of each inbound pair, claiming through the task's state;
 * what a source has not published yet reaches the carrier, which claims first and runs it
 * interrupted. Hand-offs are counted as submitted when appended (the pair's tail, written before
 * the element's release store). An append is failure-atomic, as the queue's offer: the chunk is
 * allocated and linked before anything is counted, and if the element's store fails (a stack
 * overflow in an interpreted VarHandle call, or the test seam) the slot gets a marker the
 * consumer skips and the append is uncounted. The carrier's side of the mesh (its section
 * counter, its unpublished pairs) sits on cache lines of its own ({@code MeshOutbox}): other
 * lanes read a destination's {@code Lane} at every hand-off.
 *
 * <p><b>Termination.</b> The group's state only rises, RUNNING → SHUTDOWN → STOP, by CAS, and each
 * change wakes every carrier. A carrier leaves when the state is not RUNNING (or its lane failed),
 * no tracked virtual thread of the lane is alive, its inbound mesh is closed and quiet (see Mesh),
 * and its queue closes, which succeeds only when it is empty. A thread counts itself live before the group's state is read ({@code LaneThreads}), so
 * the carrier never leaves while one is starting. A producer that passed the state check and finds
 * the queue closed is rejected cleanly: its offer published nothing. The group terminates when its
 * last carrier leaves. {@code close()} from the group's own work (a carrier, or any virtual thread
 * whose scheduler is one of its lanes) does not wait.
 *
 * <p><b>Hand-back and interrupts on {@code shutdownNow}.</b> Every user task has one claim state,
 * changed by CAS: the carrier claims it to run it, {@code shutdownNow} (of the group or of a view)
 * claims queued ones to hand them back, a failing lane claims them to fail them; one claim wins.
 * Interrupting a running task goes through the same state (RUNNING → INTERRUPTING → INTERRUPTED),
 * and the carrier, after the task, either ends it by CAS or waits for the interrupter in flight, then
 * clears its interrupt status: an interrupt lands only while its task runs and never leaks into the
 * next element ({@code LaneTask}). The carrier publishes the element it runs before it claims it; an
 * interrupter writes its own stop flag before it reads that element, and the carrier reads the flag
 * after its claim: so a task that the hand-back walk missed because the carrier had already taken it
 * either is interrupted or starts interrupted.
 *
 * <p><b>The late carrier.</b> A continuation arriving after the lane's queue closed (a virtual thread
 * the group does not track: started with {@code Thread.ofVirtual()} inside a tracked one and parked
 * at close, or made by the thread factory before close and started after) runs on a temporary
 * carrier pinned to the same CPU, one per lane at a time, which leaves after a second without work:
 * never lost, never thrown back at the waker, unless the late carrier itself cannot be started, in
 * which case nothing stays queued and the JDK retries the wake-up.
 *
 * <p><b>Failure containment.</b> The queue is failure-atomic: an offer that throws has claimed
 * nothing (everything that can fail comes before the claim), or its claimed slot is filled with a
 * marker the consumer skips. A producer that has published does not throw. Tasks and continuations
 * that throw are reported and the carrier goes on. If the loop itself fails, a replacement thread
 * runs the same loop, pinned again; if none can be created, the lane fails closed: it rejects user
 * work with the reason, fails the queued futures with it, reports it, and its last carrier stays to
 * run the continuations of its virtual threads until they end. Every carrier and late carrier
 * inherits nothing from the thread that happens to start it (no inheritable thread-locals; the
 * builder's context class loader).
 *
 * <p><b>Timers.</b> A lane's timers ({@code LaneTimer}) live in a heap the carrier alone owns
 * ({@code LaneTimers}); other threads hand a timer over as an element of the lane's queue, which the
 * carrier moves into the heap. Between batches the carrier reads the clock once, only while the heap
 * holds a timer, and runs what is due, with the claim protocol of every user task; an idle carrier
 * spins or parks only until the head's deadline ({@code CarrierParking.parkUntil}), so no other
 * thread wakes it for a timer. A per-lane registry of live timers lets other threads hand them back
 * or cancel them ({@code shutdownNow}, a view's shutdown), and a count of live timers keeps the
 * carrier from leaving while a delayed timer still waits; a timer leaves that count exactly once
 * (it ran for the last time, was cancelled, or was handed back), and a retiring timer wakes the
 * carrier once the group is shut down, so it re-checks whether it may leave. A timed park overshoots
 * by the kernel's timer slack, so an idle carrier parks until 100 µs before a deadline and spins the
 * rest. At SHUTDOWN the carrier drops its periodic timers; at STOP every timer, leaving them in the
 * registry for the {@code shutdownNow} walking it; a lane that failed closed fails its timers at once.
 * A cancelled timer retires at once; the carrier drops it from the heap when it reaches the head, or
 * in a purge once cancellations since the last one reach half the heap (at least 1024), so a
 * timeout per request, cancelled when the request ends, does not pile up behind a live timer.
 * A carrier that fails (an {@code Error}) while it holds a due timer out of the heap fails that
 * timer's future with the error and retires it ({@code LaneTimer.failStranded}): nothing else would;
 * so does one that fails as a timer arrives from the queue (a purge, the heap's growth).
 *
 * <p><b>Statistics.</b> The carrier publishes its counters once per batch under a sequence lock, so a
 * snapshot is one batch boundary; user tasks are counted as submitted before they are queued, and
 * read after the carrier's counters, so a snapshot never shows more finished than accepted.
 *
 * <p><b>Monitors.</b> A lane has one carrier, so the carrier must never block on a monitor that a
 * virtual thread of its own lane may be waiting for: since JDK 24 a virtual thread blocked on a
 * monitor unmounts, and when the holder leaves, the JVM may make that thread the monitor's next
 * owner; a carrier waiting on the same monitor then waits for a thread only it can run. The engine's
 * carrier code takes no monitor a user thread can reach (the failure's cause is kept apart, as
 * {@code Throwable.getCause()} is synchronized; {@code LaneIo}'s lock is taken by the lane's own
 * threads and by the leaving carrier only). A run-to-completion task that enters a monitor which the
 * lane's virtual threads also contend for is exposed to the same hazard: a reason, besides the
 * stall, for tasks never to block.
 *
 * <p><b>Test seams.</b> {@code Faults}: the points where the fault-injection tests throw, folded away
 * unless the JVM runs with {@code -Dio.coremanager.engine.faults=true}.
 */
package io.coremanager.engine;
