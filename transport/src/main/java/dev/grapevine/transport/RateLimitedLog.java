package dev.grapevine.transport;

import org.slf4j.Logger;

/**
 * Debug logging of hostile or broken input, at most one line per interval: a flood of bad
 * packets must not become a flood of log lines. Lines carry a count of the ones suppressed since
 * the last. Callers never pass payload bytes or secrets.
 *
 * <p><b>Threading.</b> Not thread-safe: one instance per node, used on its event loop.
 */
final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private long last = Long.MIN_VALUE;
    private long suppressed;

    RateLimitedLog(Logger log, long intervalNanos) {
        this.log = log;
        this.intervalNanos = intervalNanos;
    }

    /** Logs {@code message} at debug level unless a line was logged less than an interval ago. */
    void debug(String message) {
        if (!log.isDebugEnabled()) {
            return;
        }
        long now = System.nanoTime();
        if (last != Long.MIN_VALUE && now - last < intervalNanos) {
            suppressed++;
            return;
        }
        last = now;
        if (suppressed > 0) {
            log.debug("{} ({} similar lines suppressed)", message, suppressed);
            suppressed = 0;
        } else {
            log.debug(message);
        }
    }
}
