package dev.grapevine.simulator;

import java.time.Duration;

/**
 * How a slow node stalls: it alternates normal periods ("gaps") and stalls ("bursts"). During a
 * burst the node's inbound handling (packets, stream requests, stream replies and failures) is
 * deferred until the burst ends, then processed in arrival order, while its timers still fire on
 * time: the CPU-starved node Lifeguard was designed for. Burst and gap lengths are drawn uniformly
 * from their ranges; a slow node starts with a gap.
 *
 * <p>Immutable; thread-safe.
 *
 * @param burstMinNanos shortest burst
 * @param burstMaxNanos longest burst
 * @param gapMinNanos   shortest normal period
 * @param gapMaxNanos   longest normal period
 */
public record SlowProfile(long burstMinNanos, long burstMaxNanos, long gapMinNanos, long gapMaxNanos) {

    /** Validates the ranges. */
    public SlowProfile {
        if (burstMinNanos <= 0 || burstMaxNanos < burstMinNanos) {
            throw new IllegalArgumentException("burst range must satisfy 0 < min <= max, got " + burstMinNanos
                    + ".." + burstMaxNanos + " ns");
        }
        if (gapMinNanos <= 0 || gapMaxNanos < gapMinNanos) {
            throw new IllegalArgumentException("gap range must satisfy 0 < min <= max, got " + gapMinNanos + ".."
                    + gapMaxNanos + " ns");
        }
    }

    /** The default: bursts uniform in 2–10 s, gaps uniform in 5–30 s. */
    public static SlowProfile defaults() {
        return of(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(30));
    }

    /** A profile from durations. */
    public static SlowProfile of(Duration burstMin, Duration burstMax, Duration gapMin, Duration gapMax) {
        return new SlowProfile(burstMin.toNanos(), burstMax.toNanos(), gapMin.toNanos(), gapMax.toNanos());
    }

    /** Bursts and gaps of fixed lengths (handy in tests). */
    public static SlowProfile fixed(Duration burst, Duration gap) {
        return of(burst, burst, gap, gap);
    }

    @Override
    public String toString() {
        return "bursts " + burstMinNanos / 1e9 + "-" + burstMaxNanos / 1e9 + " s every " + gapMinNanos / 1e9 + "-"
                + gapMaxNanos / 1e9 + " s";
    }
}
