package dev.grapevine.simulator;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * A distribution of one-way network delays, sampled once per packet and once per stream leg.
 *
 * <p>Three shapes are offered: {@link #fixed}, {@link #uniform} and {@link #shiftedExponential}
 * (the default of every {@link NetworkModel} preset: half the mean as a floor, plus an exponential
 * tail with the other half as its mean, so most packets are fast and a few are late).
 *
 * <p>Implementations are immutable values; {@link #sampleNanos} is deterministic for a given
 * generator state. Safe to share; the generator passed in is the caller's.
 */
public sealed interface Latency {

    /**
     * Draws one delay.
     *
     * @param random the generator to draw from (the simulation's network generator)
     * @return a delay in nanoseconds, never negative
     */
    long sampleNanos(RandomGenerator random);

    /** The mean delay of the distribution. */
    Duration mean();

    /** Every packet takes exactly {@code delay}. */
    static Latency fixed(Duration delay) {
        return new Fixed(requireNotNegative(delay, "delay").toNanos());
    }

    /** Delays uniform in {@code [min, max]}. */
    static Latency uniform(Duration min, Duration max) {
        long lo = requireNotNegative(min, "min").toNanos();
        long hi = requireNotNegative(max, "max").toNanos();
        if (hi < lo) {
            throw new IllegalArgumentException("max (" + max + ") must not be below min (" + min + ")");
        }
        return new Uniform(lo, hi);
    }

    /** {@code mean/2 + Exponential(mean/2)}: mean {@code mean}, never below {@code mean/2}. */
    static Latency shiftedExponential(Duration mean) {
        return new ShiftedExponential(requireNotNegative(mean, "mean").toNanos());
    }

    private static Duration requireNotNegative(Duration d, String field) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(field + " must be a non-negative duration, got " + d);
        }
        return d;
    }

    /**
     * A constant delay.
     *
     * @param nanos the delay
     */
    record Fixed(long nanos) implements Latency {
        @Override
        public long sampleNanos(RandomGenerator random) {
            return nanos;
        }

        @Override
        public Duration mean() {
            return Duration.ofNanos(nanos);
        }

        @Override
        public String toString() {
            return "fixed(" + nanos / 1e6 + " ms)";
        }
    }

    /**
     * A delay uniform between two bounds.
     *
     * @param minNanos the smallest delay
     * @param maxNanos the largest delay
     */
    record Uniform(long minNanos, long maxNanos) implements Latency {
        @Override
        public long sampleNanos(RandomGenerator random) {
            return minNanos == maxNanos ? minNanos : random.nextLong(minNanos, maxNanos + 1);
        }

        @Override
        public Duration mean() {
            return Duration.ofNanos((minNanos + maxNanos) / 2);
        }

        @Override
        public String toString() {
            return "uniform(" + minNanos / 1e6 + ".." + maxNanos / 1e6 + " ms)";
        }
    }

    /**
     * Half the mean as a floor plus an exponential tail whose mean is the other half.
     *
     * @param meanNanos the mean delay
     */
    record ShiftedExponential(long meanNanos) implements Latency {
        @Override
        public long sampleNanos(RandomGenerator random) {
            long half = meanNanos / 2;
            if (half == 0) {
                return meanNanos;
            }
            // nextExponential() has mean 1; cap the tail at 50 means so one draw cannot stall a run.
            double tail = Math.min(50.0, random.nextExponential()) * (meanNanos - half);
            return half + (long) tail;
        }

        @Override
        public Duration mean() {
            return Duration.ofNanos(meanNanos);
        }

        @Override
        public String toString() {
            return "shiftedExponential(mean " + meanNanos / 1e6 + " ms)";
        }
    }
}
