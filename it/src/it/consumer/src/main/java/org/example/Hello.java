package org.example;

import io.coremanager.CoreManager;

/** A user's code: runs a task on a lane and says where it ran. */
public final class Hello {

    private Hello() {
    }

    /**
     * Runs one task on the manager's first CPU.
     *
     * @return the CPU the task ran on, as {@link CoreManager#currentCpu()} saw it
     */
    public static int ranOn() {
        try (CoreManager cores = CoreManager.create()) {
            return cores.submit(cores.cpus().first(), CoreManager::currentCpu).join();
        }
    }
}
