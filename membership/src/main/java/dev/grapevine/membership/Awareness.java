package dev.grapevine.membership;

/**
 * Lifeguard's local health multiplier: a saturating score from 0 (healthy) to {@code max − 1}.
 * A node that misses acks and nacks, or must refute accusations about itself, is probably the
 * slow one, so it stretches its own probe deadlines instead of accusing others. Core-thread only.
 */
final class Awareness {
    private final int max;
    private int score;

    Awareness(int max) {
        this.max = max;
    }

    /** Adds {@code delta} and clamps to {@code [0, max − 1]}. */
    void apply(int delta) {
        int s = score + delta;
        score = Math.max(0, Math.min(max - 1, s));
    }

    int score() {
        return score;
    }

    /** {@code timeout × (score + 1)}. */
    long scale(long timeoutNanos) {
        return timeoutNanos * (score + 1);
    }
}
