package dev.grapevine.membership;

/**
 * memberlist's timing formulas as pure functions (no state, no clock), so they can be checked
 * against memberlist's own figures in a table test. All durations are nanoseconds.
 */
final class ProtocolMath {
    /** Push/pull intervals are scaled up only above this many nodes. */
    static final int PUSH_PULL_SCALE_THRESHOLD = 32;

    private static final long MILLI = 1_000_000L;

    private ProtocolMath() {
    }

    /**
     * The minimum suspicion timeout: {@code mult × max(1, log10(max(1, n))) × interval}, with the
     * node scale taken to three decimals as memberlist does ({@code time.Duration(nodeScale*1000)}).
     * memberlist's comments say log(N+1); its code, and this, use log10(n) clamped at 1.
     */
    static long suspicionTimeout(int suspicionMult, int n, long intervalNanos) {
        double nodeScale = Math.max(1.0, Math.log10(Math.max(1.0, n)));
        long scaledThousandths = (long) (nodeScale * 1000);
        return suspicionMult * scaledThousandths * intervalNanos / 1000;
    }

    /**
     * Lifeguard's decaying suspicion timeout after {@code confirmations} of the {@code k} expected
     * independent confirmations, measured from the start of the suspicion:
     * {@code max − (ln(c+1)/ln(k+1)) × (max − min)}, floored to whole milliseconds and never below
     * {@code min}. Returns the time left after {@code elapsed} (possibly negative).
     */
    static long remainingSuspicionTime(int confirmations, int k, long elapsedNanos, long minNanos, long maxNanos) {
        double frac = Math.log(confirmations + 1.0) / Math.log(k + 1.0);
        double raw = seconds(maxNanos) - frac * (seconds(maxNanos) - seconds(minNanos));
        long timeout = (long) Math.floor(1000.0 * raw) * MILLI;
        if (timeout < minNanos) {
            timeout = minNanos;
        }
        return timeout - elapsedNanos;
    }

    /** How many times a broadcast is sent: {@code mult × ceil(log10(n + 1))}. */
    static int retransmitLimit(int retransmitMult, int n) {
        double nodeScale = Math.ceil(Math.log10(n + 1.0));
        return retransmitMult * (int) nodeScale;
    }

    /**
     * The push/pull period for {@code n} nodes: the configured interval up to 32 nodes, then
     * {@code (ceil(log2 n − log2 32) + 1) ×} it, so 33–64 nodes double it, 65–128 triple it.
     */
    static long pushPullScale(long intervalNanos, int n) {
        if (n <= PUSH_PULL_SCALE_THRESHOLD) {
            return intervalNanos;
        }
        double multiplier = Math.ceil(log2(n) - log2(PUSH_PULL_SCALE_THRESHOLD)) + 1.0;
        return (long) multiplier * intervalNanos;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }
}
