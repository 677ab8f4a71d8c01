package io.coremanager.engine;

/**
 * Test seams: the places where the engine's fault-injection tests make an {@code Error} happen
 * (an {@code OutOfMemoryError} or {@code StackOverflowError} at a queue claim, a carrier thread that
 * cannot be created, a carrier loop that fails). Off in production: {@link #ENABLED} is read once
 * from the system property {@code io.coremanager.engine.faults}, and with it false the JIT removes
 * every check. The test suite runs with it true.
 */
final class Faults {

    /** Whether the seams are live in this JVM. */
    static final boolean ENABLED = Boolean.getBoolean("io.coremanager.engine.faults");

    /** Where a fault can be injected. */
    enum Point {
        /** In {@link LaneQueue#offer}, after the slot is claimed and before the element is published. */
        CLAIMED,
        /** In a lane's offer, after the element is published and before the carrier is woken. */
        PUBLISHED,
        /** In a mesh append ({@link MeshPair#append}), after the allocation and before the slot is written. */
        MESH_APPEND,
        /** In the carrier's loop, between two elements (not inside one: tasks are user code). */
        CARRIER_LOOP,
        /** Before a carrier thread (a replacement or a late carrier) is created. */
        CARRIER_START,
        /** In the carrier's timer run, after a due timer left the heap and before it runs. */
        TIMER_POLLED,
        /** After a periodic timer re-armed, before it goes back into the heap (whose growth may fail). */
        TIMER_REARMED,
        /** As a timer that arrived from the queue goes into the heap (a purge, or the heap's growth, may fail). */
        TIMER_ARRIVING
    }

    /** Decides, at each point reached, whether to throw. */
    @FunctionalInterface
    interface Injector {
        /** Throws to inject a fault at {@code point}; returns to let it pass. */
        void at(Point point);
    }

    private static volatile Injector injector;

    private Faults() {
    }

    /** Reaches {@code point}: may throw what the installed injector throws. */
    static void at(Point point) {
        if (ENABLED) {
            Injector current = injector;
            if (current != null) {
                current.at(point);
            }
        }
    }

    /** Installs {@code next} (null: none); tests only. */
    static void install(Injector next) {
        if (!ENABLED && next != null) {
            throw new IllegalStateException("fault seams are off: run the JVM with -Dio.coremanager.engine.faults=true");
        }
        injector = next;
    }
}
