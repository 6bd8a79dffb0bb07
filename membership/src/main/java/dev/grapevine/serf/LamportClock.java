package dev.grapevine.serf;

/**
 * A Lamport clock as Serf keeps three of (membership, user events, queries): a counter that only
 * goes up (memberlist-wire.md §11.5).
 *
 * <ul>
 *   <li>{@link #time()} is the value the next local message is stamped with;</li>
 *   <li>{@link #increment()} moves past it once that message is out;</li>
 *   <li>{@link #witness(long)} of a value {@code v} seen on the wire sets the clock to
 *       {@code v + 1} when {@code v >= time()}, so the next local message orders after it.</li>
 * </ul>
 * Serf starts every clock at 1 so that the zero value of a Go struct never counts as newer. Values
 * are Go {@code uint64}s carried in a Java long; the clock saturates at {@link Long#MAX_VALUE}
 * instead of wrapping (Go's would wrap to 0 on a witness of 2^64−1).
 *
 * <p>Not thread-safe: used on the Serf layer's one thread.
 */
public final class LamportClock {
    private long counter;

    /** A clock at 0; Serf's clocks are started with one {@link #increment()}. */
    public LamportClock() {
    }

    /** A clock at {@code start}. */
    public LamportClock(long start) {
        if (start < 0) {
            throw new IllegalArgumentException("a Lamport time is never negative: " + start);
        }
        counter = start;
    }

    /** The current value. */
    public long time() {
        return counter;
    }

    /** Adds one and returns the new value. */
    public long increment() {
        if (counter < Long.MAX_VALUE) {
            counter++;
        }
        return counter;
    }

    /** Takes note of a value seen from another node: afterwards {@code time() > v} (saturating). */
    public void witness(long v) {
        if (v < counter) {
            return;
        }
        counter = v == Long.MAX_VALUE ? Long.MAX_VALUE : v + 1;
    }

    @Override
    public String toString() {
        return Long.toString(counter);
    }
}
