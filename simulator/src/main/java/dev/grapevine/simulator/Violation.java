package dev.grapevine.simulator;

/**
 * A broken invariant: a core's {@code selfCheck} answer, an exception a core threw, or a
 * simulator-level check (an incarnation that went down). Immutable; thread-safe.
 *
 * @param timeNanos simulated time at which it was seen
 * @param node      the node concerned (the observer)
 * @param message   what was wrong
 */
public record Violation(long timeNanos, String node, String message) {
    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "t=%.3fs %s: %s", timeNanos / 1e9, node, message);
    }
}
