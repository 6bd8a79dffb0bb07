package dev.grapevine.transport;

import org.slf4j.Logger;

/**
 * Logging of hostile or broken input (debug, or warn for misconfiguration such as a wrong key;
 * info for rare events a flood could repeat),
 * at most one line per interval: a flood of bad packets must not become a flood of log lines.
 * Lines carry a count of the ones suppressed since the last. Callers never pass payload bytes or
 * secrets.
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
        if (log.isDebugEnabled()) {
            emit(Level.DEBUG, message);
        }
    }

    /** Logs {@code message} at warn level unless a line was logged less than an interval ago. */
    void warn(String message) {
        if (log.isWarnEnabled()) {
            emit(Level.WARN, message);
        }
    }

    /** Logs {@code message} at info level unless a line was logged less than an interval ago. */
    void info(String message) {
        if (log.isInfoEnabled()) {
            emit(Level.INFO, message);
        }
    }

    private enum Level { DEBUG, INFO, WARN }

    private void emit(Level level, String message) {
        long now = System.nanoTime();
        if (last != Long.MIN_VALUE && now - last < intervalNanos) {
            suppressed++;
            return;
        }
        last = now;
        String line = message;
        if (suppressed > 0) {
            line = message + " (" + suppressed + " similar lines suppressed)";
            suppressed = 0;
        }
        switch (level) {
            case WARN -> log.warn(line);
            case INFO -> log.info(line);
            default -> log.debug(line);
        }
    }
}
