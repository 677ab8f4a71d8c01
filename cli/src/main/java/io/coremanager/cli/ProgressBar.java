package io.coremanager.cli;

import java.io.PrintWriter;

/**
 * A progress bar on stderr: redrawn in place on a terminal, a line per quarter otherwise (so CI
 * logs stay short). Thread-safe.
 */
final class ProgressBar {

    private static final int WIDTH = 40;

    private final PrintWriter err;
    private final boolean terminal = System.console() != null;
    private int shown = -1;

    ProgressBar(PrintWriter err) {
        this.err = err;
    }

    /** Shows {@code fraction} (0 to 1) done, with a label. */
    synchronized void show(double fraction, String label) {
        int percent = (int) Math.max(0, Math.min(100, fraction * 100));
        int step = terminal ? 1 : 25;
        if (percent / step == shown / step) {
            return;
        }
        shown = percent;
        int filled = percent * WIDTH / 100;
        String bar = "[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + percent + "% " + label;
        if (terminal) {
            err.print("\r" + bar + " ".repeat(Math.max(0, 30 - label.length())));
        } else {
            err.println(bar);
        }
        err.flush();
    }

    /** Clears the bar on a terminal. */
    synchronized void done() {
        if (terminal && shown >= 0) {
            err.print("\r" + " ".repeat(WIDTH + 40) + "\r");
            err.flush();
        }
    }
}
