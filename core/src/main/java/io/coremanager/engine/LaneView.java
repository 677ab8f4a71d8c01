package io.coremanager.engine;

/** A view with a lifecycle of its own ({@code executor(cpu)}, {@code scheduler(cpu)}) that may wait for the group. */
interface LaneView {

    /** The group shut down while this view had a waiter in {@code awaitTermination}. */
    void groupShutDown();
}
