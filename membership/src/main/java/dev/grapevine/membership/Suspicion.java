package dev.grapevine.membership;

import java.util.HashSet;
import java.util.Set;

/**
 * One node's suspicion: Lifeguard's timeout that starts at {@code max} and shrinks towards
 * {@code min} as independent accusers confirm it ({@link ProtocolMath#remainingSuspicionTime}).
 * With fewer than one expected confirmation ({@code k < 1}) it starts, and stays, at {@code min}.
 * Core-thread only.
 */
final class Suspicion {
    final long startNanos;
    final int k;
    final long minNanos;
    final long maxNanos;
    /** Token of the timer currently armed for this suspicion; older timers are stale. */
    long token;
    private int confirmations;
    private final Set<String> accusers = new HashSet<>(4);

    Suspicion(String from, int k, long minNanos, long maxNanos, long startNanos) {
        this.k = k;
        this.minNanos = minNanos;
        this.maxNanos = maxNanos;
        this.startNanos = startNanos;
        accusers.add(from);
    }

    /** The delay of the first timer. */
    long initialTimeout() {
        return k < 1 ? minNanos : maxNanos;
    }

    int confirmations() {
        return confirmations;
    }

    /**
     * Counts a new accuser. Returns false (and changes nothing) when {@code k} confirmations have
     * already been counted or {@code from} accused before; the caller re-gossips only on true.
     */
    boolean confirm(String from) {
        if (confirmations >= k || !accusers.add(from)) {
            return false;
        }
        confirmations++;
        return true;
    }

    /** Time left at {@code now} after the latest confirmation (zero or negative: fire now). */
    long remaining(long nowNanos) {
        return ProtocolMath.remainingSuspicionTime(confirmations, k, nowNanos - startNanos, minNanos, maxNanos);
    }
}
