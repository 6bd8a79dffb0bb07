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

    /** Names for a progress line: all of them up to 20, then "and N more". */
    static String names(java.util.Collection<String> names) {
        java.util.List<String> l = java.util.List.copyOf(names);
        if (l.size() <= 20) {
            return String.join(", ", l);
        }
        return String.join(", ", l.subList(0, 20)) + " and " + (l.size() - 20) + " more";
    }

    /** A note (something already done, a warning). */
    void note(String text) {
        err.println("note: " + text);
        err.flush();
    }
}
