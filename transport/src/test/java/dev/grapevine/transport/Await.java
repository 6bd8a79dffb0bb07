package dev.grapevine.transport;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waiting for a condition, by polling: no fixed sleeps in the tests. */
final class Await {
    private Await() {
    }

    /**
     * Polls {@code condition} every 20 ms until it holds.
     *
     * @param detail describes the state when the wait fails
     * @throws AssertionError naming {@code what} when {@code timeout} passes first
     */
    static void until(Duration timeout, String what, BooleanSupplier condition, Supplier<String> detail) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + (detail == null ? "" : ": " + detail.get()));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    static void until(Duration timeout, String what, BooleanSupplier condition) {
        until(timeout, what, condition, null);
    }
}
