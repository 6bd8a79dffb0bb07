package dev.grapevine.serf;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the Serf layer, named as in Serf 0.9.4's {@code serf.Config}; {@link #defaults()}
 * equals Serf's {@code DefaultConfig()} except that the protocol version is 5 (the Serf agent's
 * default; the library's is 4).
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>protocolVersion</td><td>5</td><td>Serf protocol spoken (2..5); the core must advertise
 *       delegate versions {@code (2, 5, protocolVersion)}</td></tr>
 *   <tr><td>broadcastTimeout</td><td>5 s</td><td>how long a leave waits for its intent to be sent</td></tr>
 *   <tr><td>leavePropagateDelay</td><td>1 s</td><td>how long a leaving node stays up after memberlist's leave</td></tr>
 *   <tr><td>userCoalescePeriod / userQuiescentPeriod</td><td>0 / 0 (off)</td><td>coalescing of
 *       user events sent with {@code coalesce}: both &gt; 0 turns it on</td></tr>
 *   <tr><td>reapInterval</td><td>15 s</td><td>how often failed and left members and old intents are reaped</td></tr>
 *   <tr><td>reconnectTimeout</td><td>24 h</td><td>how long a failed member is kept</td></tr>
 *   <tr><td>tombstoneTimeout</td><td>24 h</td><td>how long a left member is kept</td></tr>
 *   <tr><td>flapTimeout</td><td>60 s</td><td>a failed member back within this counts as a flap</td></tr>
 *   <tr><td>recentIntentTimeout</td><td>5 min</td><td>how long an intent about an unknown node is buffered</td></tr>
 *   <tr><td>eventBuffer / queryBuffer</td><td>512 / 512</td><td>Lamport times remembered for de-duplication</td></tr>
 *   <tr><td>queryTimeoutMult</td><td>16</td><td>default query timeout =
 *       {@code gossipInterval × mult × ceil(log10(n + 1))}</td></tr>
 *   <tr><td>querySizeLimit / queryResponseSizeLimit</td><td>1024 / 1024</td><td>encoded sizes, type byte included</td></tr>
 *   <tr><td>userEventSizeLimit</td><td>512</td><td>name + payload, and the encoded event; at most 9 KiB</td></tr>
 *   <tr><td>maxQueueDepth</td><td>4096</td><td>bound of each of the three broadcast queues</td></tr>
 *   <tr><td>enableNameConflictResolution</td><td>true</td><td>vote with a {@code _serf_conflict} query
 *       when another node claims our name</td></tr>
 * </table>
 *
 * <p>Serf's {@code ReconnectInterval} belongs to the core here
 * ({@link dev.grapevine.membership.MembershipConfig#reconnectInterval()}), which reconnects to failed
 * members itself. Immutable; safe to share between threads. {@link Builder#build()} validates and
 * names the bad field.
 */
public final class SerfConfig {
    /** Serf's absolute ceiling on a user event ({@code UserEventSizeLimit} constant, 9 KiB). */
    public static final int USER_EVENT_SIZE_CEILING = 9 * 1024;
    /** Lowest Serf protocol version ({@code ProtocolVersionMin}). */
    public static final int PROTOCOL_MIN = 2;
    /** Highest Serf protocol version ({@code ProtocolVersionMax}). */
    public static final int PROTOCOL_MAX = 5;

    private static final SerfConfig DEFAULTS = new Builder().build();

    private final int protocolVersion;
    private final Duration broadcastTimeout;
    private final Duration leavePropagateDelay;
    private final Duration userCoalescePeriod;
    private final Duration userQuiescentPeriod;
    private final Duration reapInterval;
    private final Duration reconnectTimeout;
    private final Duration tombstoneTimeout;
    private final Duration flapTimeout;
    private final Duration recentIntentTimeout;
    private final int eventBuffer;
    private final int queryBuffer;
    private final int queryTimeoutMult;
    private final int queryResponseSizeLimit;
    private final int querySizeLimit;
    private final int userEventSizeLimit;
    private final int maxQueueDepth;
    private final boolean enableNameConflictResolution;

    private SerfConfig(Builder b) {
        protocolVersion = b.protocolVersion;
        broadcastTimeout = b.broadcastTimeout;
        leavePropagateDelay = b.leavePropagateDelay;
        userCoalescePeriod = b.userCoalescePeriod;
        userQuiescentPeriod = b.userQuiescentPeriod;
        reapInterval = b.reapInterval;
        reconnectTimeout = b.reconnectTimeout;
        tombstoneTimeout = b.tombstoneTimeout;
        flapTimeout = b.flapTimeout;
        recentIntentTimeout = b.recentIntentTimeout;
        eventBuffer = b.eventBuffer;
        queryBuffer = b.queryBuffer;
        queryTimeoutMult = b.queryTimeoutMult;
        queryResponseSizeLimit = b.queryResponseSizeLimit;
        querySizeLimit = b.querySizeLimit;
        userEventSizeLimit = b.userEventSizeLimit;
        maxQueueDepth = b.maxQueueDepth;
        enableNameConflictResolution = b.enableNameConflictResolution;
    }

    /** Serf 0.9.4's defaults, protocol version 5. */
    public static SerfConfig defaults() {
        return DEFAULTS;
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The Serf protocol version spoken (2..5). */
    public int protocolVersion() {
        return protocolVersion;
    }

    /** How long a leave waits for its leave intent to leave the queue. */
    public Duration broadcastTimeout() {
        return broadcastTimeout;
    }

    /** How long a leaving node keeps running after memberlist's leave, answering probes. */
    public Duration leavePropagateDelay() {
        return leavePropagateDelay;
    }

    /** Coalescing window of user events marked coalescable (0: off). */
    public Duration userCoalescePeriod() {
        return userCoalescePeriod;
    }

    /** Quiet time that ends a coalescing window early (0: off). */
    public Duration userQuiescentPeriod() {
        return userQuiescentPeriod;
    }

    /** True when both coalescing periods are positive. */
    public boolean userCoalescing() {
        return !userCoalescePeriod.isZero() && !userQuiescentPeriod.isZero();
    }

    /** Period of the reaper. */
    public Duration reapInterval() {
        return reapInterval;
    }

    /** How long failed members are kept before they are reaped. */
    public Duration reconnectTimeout() {
        return reconnectTimeout;
    }

    /** How long left members are kept before they are reaped. */
    public Duration tombstoneTimeout() {
        return tombstoneTimeout;
    }

    /** A failed member that comes back within this time counts as a flap. */
    public Duration flapTimeout() {
        return flapTimeout;
    }

    /** How long an intent about a node not yet known is buffered. */
    public Duration recentIntentTimeout() {
        return recentIntentTimeout;
    }

    /** Event Lamport times remembered for de-duplication (the size of the event ring). */
    public int eventBuffer() {
        return eventBuffer;
    }

    /** Query Lamport times remembered for de-duplication. */
    public int queryBuffer() {
        return queryBuffer;
    }

    /** Multiplier of the default query timeout. */
    public int queryTimeoutMult() {
        return queryTimeoutMult;
    }

    /** Largest encoded query response (type byte included). */
    public int queryResponseSizeLimit() {
        return queryResponseSizeLimit;
    }

    /** Largest encoded query (type byte included). */
    public int querySizeLimit() {
        return querySizeLimit;
    }

    /** Largest user event: name plus payload, and the encoded message. */
    public int userEventSizeLimit() {
        return userEventSizeLimit;
    }

    /** Bound of each broadcast queue (intents, events, queries). */
    public int maxQueueDepth() {
        return maxQueueDepth;
    }

    /** Whether a name conflict about this node starts a {@code _serf_conflict} vote. */
    public boolean enableNameConflictResolution() {
        return enableNameConflictResolution;
    }

    @Override
    public String toString() {
        return "SerfConfig[protocol=" + protocolVersion + ", broadcastTimeout=" + broadcastTimeout
                + ", leavePropagateDelay=" + leavePropagateDelay + ", coalesce=" + userCoalescePeriod + "/"
                + userQuiescentPeriod + ", reap=" + reapInterval + ", reconnectTimeout=" + reconnectTimeout
                + ", tombstoneTimeout=" + tombstoneTimeout + ", flapTimeout=" + flapTimeout + ", recentIntentTimeout="
                + recentIntentTimeout + ", eventBuffer=" + eventBuffer + ", queryBuffer=" + queryBuffer
                + ", queryTimeoutMult=" + queryTimeoutMult + ", querySizeLimit=" + querySizeLimit
                + ", queryResponseSizeLimit=" + queryResponseSizeLimit + ", userEventSizeLimit="
                + userEventSizeLimit + ", maxQueueDepth=" + maxQueueDepth + ", conflictResolution="
                + enableNameConflictResolution + "]";
    }

    /**
     * Builds a {@link SerfConfig}. Not thread-safe; {@link #build()} validates and names the bad
     * field.
     */
    public static final class Builder {
        private int protocolVersion = 5;
        private Duration broadcastTimeout = Duration.ofSeconds(5);
        private Duration leavePropagateDelay = Duration.ofSeconds(1);
        private Duration userCoalescePeriod = Duration.ZERO;
        private Duration userQuiescentPeriod = Duration.ZERO;
        private Duration reapInterval = Duration.ofSeconds(15);
        private Duration reconnectTimeout = Duration.ofHours(24);
        private Duration tombstoneTimeout = Duration.ofHours(24);
        private Duration flapTimeout = Duration.ofSeconds(60);
        private Duration recentIntentTimeout = Duration.ofMinutes(5);
        private int eventBuffer = 512;
        private int queryBuffer = 512;
        private int queryTimeoutMult = 16;
        private int queryResponseSizeLimit = 1024;
        private int querySizeLimit = 1024;
        private int userEventSizeLimit = 512;
        private int maxQueueDepth = 4096;
        private boolean enableNameConflictResolution = true;

        private Builder() {
        }

        private Builder(SerfConfig c) {
            protocolVersion = c.protocolVersion;
            broadcastTimeout = c.broadcastTimeout;
            leavePropagateDelay = c.leavePropagateDelay;
            userCoalescePeriod = c.userCoalescePeriod;
            userQuiescentPeriod = c.userQuiescentPeriod;
            reapInterval = c.reapInterval;
            reconnectTimeout = c.reconnectTimeout;
            tombstoneTimeout = c.tombstoneTimeout;
            flapTimeout = c.flapTimeout;
            recentIntentTimeout = c.recentIntentTimeout;
            eventBuffer = c.eventBuffer;
            queryBuffer = c.queryBuffer;
            queryTimeoutMult = c.queryTimeoutMult;
            queryResponseSizeLimit = c.queryResponseSizeLimit;
            querySizeLimit = c.querySizeLimit;
            userEventSizeLimit = c.userEventSizeLimit;
            maxQueueDepth = c.maxQueueDepth;
            enableNameConflictResolution = c.enableNameConflictResolution;
        }

        /** See {@link SerfConfig#protocolVersion()}. Default 5. */
        public Builder protocolVersion(int v) {
            protocolVersion = v;
            return this;
        }

        /** See {@link SerfConfig#broadcastTimeout()}. Default 5 s. */
        public Builder broadcastTimeout(Duration v) {
            broadcastTimeout = Objects.requireNonNull(v, "broadcastTimeout");
            return this;
        }

        /** See {@link SerfConfig#leavePropagateDelay()}. Default 1 s. */
        public Builder leavePropagateDelay(Duration v) {
            leavePropagateDelay = Objects.requireNonNull(v, "leavePropagateDelay");
            return this;
        }

        /** See {@link SerfConfig#userCoalescePeriod()}. Default 0 (off). */
        public Builder userCoalescePeriod(Duration v) {
            userCoalescePeriod = Objects.requireNonNull(v, "userCoalescePeriod");
            return this;
        }

        /** See {@link SerfConfig#userQuiescentPeriod()}. Default 0 (off). */
        public Builder userQuiescentPeriod(Duration v) {
            userQuiescentPeriod = Objects.requireNonNull(v, "userQuiescentPeriod");
            return this;
        }

        /** See {@link SerfConfig#reapInterval()}. Default 15 s. */
        public Builder reapInterval(Duration v) {
            reapInterval = Objects.requireNonNull(v, "reapInterval");
            return this;
        }

        /** See {@link SerfConfig#reconnectTimeout()}. Default 24 h. */
        public Builder reconnectTimeout(Duration v) {
            reconnectTimeout = Objects.requireNonNull(v, "reconnectTimeout");
            return this;
        }

        /** See {@link SerfConfig#tombstoneTimeout()}. Default 24 h. */
        public Builder tombstoneTimeout(Duration v) {
            tombstoneTimeout = Objects.requireNonNull(v, "tombstoneTimeout");
            return this;
        }

        /** See {@link SerfConfig#flapTimeout()}. Default 60 s. */
        public Builder flapTimeout(Duration v) {
            flapTimeout = Objects.requireNonNull(v, "flapTimeout");
            return this;
        }

        /** See {@link SerfConfig#recentIntentTimeout()}. Default 5 min. */
        public Builder recentIntentTimeout(Duration v) {
            recentIntentTimeout = Objects.requireNonNull(v, "recentIntentTimeout");
            return this;
        }

        /** See {@link SerfConfig#eventBuffer()}. Default 512. */
        public Builder eventBuffer(int v) {
            eventBuffer = v;
            return this;
        }

        /** See {@link SerfConfig#queryBuffer()}. Default 512. */
        public Builder queryBuffer(int v) {
            queryBuffer = v;
            return this;
        }

        /** See {@link SerfConfig#queryTimeoutMult()}. Default 16. */
        public Builder queryTimeoutMult(int v) {
            queryTimeoutMult = v;
            return this;
        }

        /** See {@link SerfConfig#queryResponseSizeLimit()}. Default 1024. */
        public Builder queryResponseSizeLimit(int v) {
            queryResponseSizeLimit = v;
            return this;
        }

        /** See {@link SerfConfig#querySizeLimit()}. Default 1024. */
        public Builder querySizeLimit(int v) {
            querySizeLimit = v;
            return this;
        }

        /** See {@link SerfConfig#userEventSizeLimit()}. Default 512, at most 9 KiB. */
        public Builder userEventSizeLimit(int v) {
            userEventSizeLimit = v;
            return this;
        }

        /** See {@link SerfConfig#maxQueueDepth()}. Default 4096. */
        public Builder maxQueueDepth(int v) {
            maxQueueDepth = v;
            return this;
        }

        /** See {@link SerfConfig#enableNameConflictResolution()}. Default true. */
        public Builder enableNameConflictResolution(boolean v) {
            enableNameConflictResolution = v;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the first bad field
         */
        public SerfConfig build() {
            range("protocolVersion", protocolVersion, PROTOCOL_MIN, PROTOCOL_MAX);
            positive("broadcastTimeout", broadcastTimeout);
            nonNegative("leavePropagateDelay", leavePropagateDelay);
            nonNegative("userCoalescePeriod", userCoalescePeriod);
            nonNegative("userQuiescentPeriod", userQuiescentPeriod);
            positive("reapInterval", reapInterval);
            positive("reconnectTimeout", reconnectTimeout);
            positive("tombstoneTimeout", tombstoneTimeout);
            nonNegative("flapTimeout", flapTimeout);
            positive("recentIntentTimeout", recentIntentTimeout);
            range("eventBuffer", eventBuffer, 1, 1 << 16);
            range("queryBuffer", queryBuffer, 1, 1 << 16);
            range("queryTimeoutMult", queryTimeoutMult, 1, 1000);
            range("queryResponseSizeLimit", queryResponseSizeLimit, 64, 0xffff);
            range("querySizeLimit", querySizeLimit, 64, 0xffff);
            range("userEventSizeLimit", userEventSizeLimit, 1, USER_EVENT_SIZE_CEILING);
            range("maxQueueDepth", maxQueueDepth, 1, 1 << 20);
            return new SerfConfig(this);
        }

        private static void range(String field, int v, int min, int max) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(field + " must be in [" + min + ", " + max + "], got " + v);
            }
        }

        private static void positive(String field, Duration v) {
            if (v.isZero() || v.isNegative()) {
                throw new IllegalArgumentException(field + " must be positive, got " + v);
            }
        }

        private static void nonNegative(String field, Duration v) {
            if (v.isNegative()) {
                throw new IllegalArgumentException(field + " must not be negative, got " + v);
            }
        }
    }
}
