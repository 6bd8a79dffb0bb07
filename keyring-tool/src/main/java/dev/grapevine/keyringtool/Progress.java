package dev.grapevine.keyringtool;

import java.io.PrintWriter;

/**
 * Progress lines on standard error, as {@code serf keys} prints them ({@code ==> ...}). Never
 * given key material.
 *
 * <p>Thread-safe (PrintWriter locks).
 */
final class Progress {
    private final PrintWriter err;

    Progress(PrintWriter err) {
        this.err = err;
    }

    /** A step: {@code ==> text}. */
    void step(String text) {
        err.println("==> " + text);
        err.flush();
    }

    /** A detail under a step. */
    void detail(String text) {
        err.println("    " + text);
        err.flush();
    }

    /** A note (something already done, a warning). */
    void note(String text) {
        err.println("note: " + text);
        err.flush();
    }
}
