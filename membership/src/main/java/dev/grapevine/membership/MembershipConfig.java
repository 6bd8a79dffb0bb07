package dev.grapevine.membership;

import java.time.Duration;
import java.util.Objects;

/**
 * Protocol tuning for a {@link MembershipCore}: memberlist's {@code Config}, minus everything
 * about sockets (which belongs to the host).
 *
 * <p>Three presets carry memberlist's defaults value for value: {@link #lan()} (memberlist
 * {@code DefaultLANConfig}), {@link #wan()} ({@code DefaultWANConfig}) and {@link #local()}
 * ({@code DefaultLocalConfig}). Start from one and override through {@link #toBuilder()}; every
 * setter documents the memberlist field it mirrors. {@link Builder#build()} checks every value and
 * names the first bad field in its exception.
 *
 * <p>Immutable; safe to share between threads and cores.
 */
public final class MembershipConfig {

    /** memberlist's {@code MetaMaxSize}: the default metadata limit. */
    public static final int DEFAULT_META_MAX_SIZE = 512;
    /** Bytes of a packet kept free for the rest of an alive message when metadata is at its limit. */
    public static final int ALIVE_RESERVE_BYTES = 400;

    private final Duration probeInterval;
    private final Duration probeTimeout;
    private final int indirectChecks;
    private final int retransmitMult;
    private final int suspicionMult;
    private final int suspicionMaxTimeoutMult;
    private final Duration pushPullInterval;
    private final Duration gossipInterval;
    private final int gossipNodes;
    private final Duration gossipToTheDeadTime;
    private final int awarenessMaxMultiplier;
    private final Duration streamTimeout;
    private final boolean streamPings;
    private final boolean compression;
    private final int udpBufferSize;
    private final Duration deadNodeReclaimTime;
    private final int protocolVersion;
    private final int delegateProtocolMin;
    private final int delegateProtocolMax;
    private final int delegateProtocolVersion;
    private final int metaMaxSize;
    private final boolean lifeguard;
    private final int maxQueuedBroadcasts;
    private final Duration reconnectInterval;
    private final Duration reconnectTimeout;
    private final boolean catchUp;

    private MembershipConfig(Builder b) {
        probeInterval = b.probeInterval;
        probeTimeout = b.probeTimeout;
        indirectChecks = b.indirectChecks;
        retransmitMult = b.retransmitMult;
        suspicionMult = b.suspicionMult;
        suspicionMaxTimeoutMult = b.suspicionMaxTimeoutMult;
        pushPullInterval = b.pushPullInterval;
        gossipInterval = b.gossipInterval;
        gossipNodes = b.gossipNodes;
        gossipToTheDeadTime = b.gossipToTheDeadTime;
        awarenessMaxMultiplier = b.awarenessMaxMultiplier;
        streamTimeout = b.streamTimeout;
        streamPings = b.streamPings;
        compression = b.compression;
        udpBufferSize = b.udpBufferSize;
        deadNodeReclaimTime = b.deadNodeReclaimTime;
        protocolVersion = b.protocolVersion;
        delegateProtocolMin = b.delegateProtocolMin;
        delegateProtocolMax = b.delegateProtocolMax;
        delegateProtocolVersion = b.delegateProtocolVersion;
        metaMaxSize = b.metaMaxSize;
        lifeguard = b.lifeguard;
        maxQueuedBroadcasts = b.maxQueuedBroadcasts;
        reconnectInterval = b.reconnectInterval;
        reconnectTimeout = b.reconnectTimeout;
        catchUp = b.catchUp;
    }

    /** memberlist's {@code DefaultLANConfig}: a single datacenter or LAN. */
    public static MembershipConfig lan() {
        return new Builder().build();
    }

    /**
     * memberlist's {@code DefaultWANConfig}: slower, more tolerant timings for links between
     * regions. Overrides of {@link #lan()}: probe 5 s / 3 s (round trips of hundreds of ms and
     * loss bursts), suspicion multiplier 6, push/pull 60 s, gossip 500 ms to 4 nodes, stream
     * timeout 30 s, gossip to the dead 60 s.
     */
    public static MembershipConfig wan() {
        return new Builder()
                .streamTimeout(Duration.ofSeconds(30))
                .suspicionMult(6)
                .pushPullInterval(Duration.ofSeconds(60))
                .probeTimeout(Duration.ofSeconds(3))
                .probeInterval(Duration.ofSeconds(5))
                .gossipNodes(4)
                .gossipInterval(Duration.ofMillis(500))
                .gossipToTheDeadTime(Duration.ofSeconds(60))
                .build();
    }

    /**
     * memberlist's {@code DefaultLocalConfig}: one host or a fast local network. Overrides of
     * {@link #lan()}: stream timeout 1 s, 1 indirect check, retransmit multiplier 2, suspicion
     * multiplier 3, push/pull 15 s, probe timeout 200 ms, gossip every 100 ms, gossip to the dead
     * 15 s.
     */
    public static MembershipConfig local() {
        return new Builder()
                .streamTimeout(Duration.ofSeconds(1))
                .indirectChecks(1)
                .retransmitMult(2)
                .suspicionMult(3)
                .pushPullInterval(Duration.ofSeconds(15))
                .probeTimeout(Duration.ofMillis(200))
                .probeInterval(Duration.ofSeconds(1))
                .gossipInterval(Duration.ofMillis(100))
                .gossipToTheDeadTime(Duration.ofSeconds(15))
                .build();
    }

    /** A builder holding the {@link #lan()} values. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** memberlist {@code ProbeInterval}: time between probes (scaled by the health score when probes fail). */
    public Duration probeInterval() {
        return probeInterval;
    }

    /** memberlist {@code ProbeTimeout}: wait for a direct ack before probing indirectly. */
    public Duration probeTimeout() {
        return probeTimeout;
    }

    /** memberlist {@code IndirectChecks}: helpers asked to probe a target that missed its ack. */
    public int indirectChecks() {
        return indirectChecks;
    }

    /** memberlist {@code RetransmitMult}: a broadcast is sent {@code mult × ceil(log10(n+1))} times. */
    public int retransmitMult() {
        return retransmitMult;
    }

    /** memberlist {@code SuspicionMult}: minimum suspicion timeout in probe intervals, scaled by log10(n). */
    public int suspicionMult() {
        return suspicionMult;
    }

    /** memberlist {@code SuspicionMaxTimeoutMult}: the maximum suspicion timeout as a multiple of the minimum. */
    public int suspicionMaxTimeoutMult() {
        return suspicionMaxTimeoutMult;
    }

    /** memberlist {@code PushPullInterval}: anti-entropy period (scaled up above 32 nodes); zero disables. */
    public Duration pushPullInterval() {
        return pushPullInterval;
    }

    /** memberlist {@code GossipInterval}: period of gossip rounds; zero disables gossip. */
    public Duration gossipInterval() {
        return gossipInterval;
    }

    /** memberlist {@code GossipNodes}: nodes sent a packet each gossip round. */
    public int gossipNodes() {
        return gossipNodes;
    }

    /** memberlist {@code GossipToTheDeadTime}: keep gossiping to, and keep, dead nodes this long. */
    public Duration gossipToTheDeadTime() {
        return gossipToTheDeadTime;
    }

    /** memberlist {@code AwarenessMaxMultiplier}: the health score runs from 0 to this minus one. */
    public int awarenessMaxMultiplier() {
        return awarenessMaxMultiplier;
    }

    /** memberlist {@code TCPTimeout}: deadline for a stream exchange. */
    public Duration streamTimeout() {
        return streamTimeout;
    }

    /** The inverse of memberlist {@code DisableTcpPings}: fall back to a stream ping when UDP probes fail. */
    public boolean streamPings() {
        return streamPings;
    }

    /** memberlist {@code EnableCompression}: LZW-compress packets (when smaller) and streams. */
    public boolean compression() {
        return compression;
    }

    /** memberlist {@code UDPBufferSize}: byte budget of a gossip packet before host overheads. */
    public int udpBufferSize() {
        return udpBufferSize;
    }

    /** memberlist {@code DeadNodeReclaimTime}: after this, a dead node's name may return with a new address; zero = never. */
    public Duration deadNodeReclaimTime() {
        return deadNodeReclaimTime;
    }

    /** memberlist {@code ProtocolVersion}: the protocol this node speaks (PCur), 1..5. */
    public int protocolVersion() {
        return protocolVersion;
    }

    /** memberlist {@code DelegateProtocolMin}. */
    public int delegateProtocolMin() {
        return delegateProtocolMin;
    }

    /** memberlist {@code DelegateProtocolMax}. */
    public int delegateProtocolMax() {
        return delegateProtocolMax;
    }

    /** memberlist {@code DelegateProtocolVersion}. */
    public int delegateProtocolVersion() {
        return delegateProtocolVersion;
    }

    /** memberlist {@code MetaMaxSize}: the largest node metadata accepted, locally and from peers. */
    public int metaMaxSize() {
        return metaMaxSize;
    }

    /**
     * Lifeguard on (the default, as in memberlist) or off (plain SWIM with suspicion): when off the
     * health score stays 0, relays are not asked for nacks, suspicion timeouts are the fixed minimum,
     * and pings to suspects do not carry the suspicion. Off exists to measure what Lifeguard buys.
     */
    public boolean lifeguard() {
        return lifeguard;
    }

    /** Bound of the user broadcast queue; when full, the most-sent broadcasts are dropped first. */
    public int maxQueuedBroadcasts() {
        return maxQueuedBroadcasts;
    }

    /**
     * How often a node tries a push/pull with one member it holds as failed, so that a partition
     * longer than the suspicion timeout heals once it is lifted (memberlist has no such mechanism,
     * its issue #222; Serf's {@code ReconnectInterval}, 30 s, does the same one layer up). Each node
     * tries with probability {@code failed / alive}, so the cluster makes about one attempt per failed
     * member per interval. Zero disables. Default 30 s.
     */
    public Duration reconnectInterval() {
        return reconnectInterval;
    }

    /** How long a failed member keeps being retried (Serf's {@code ReconnectTimeout}). Default 24 h. */
    public Duration reconnectTimeout() {
        return reconnectTimeout;
    }

    /**
     * Catch-up anti-entropy (a Grapevine addition; memberlist has none): a node that has just
     * learned news (a member joined, changed, failed or left; or its delegate asks, as the Serf layer
     * does for a new user event) does one extra push/pull with a random alive member once the gossip
     * about it has had time to spread ({@code gossipInterval × retransmit limit}), at most once per
     * sixth of the scaled push/pull interval. A member that missed every copy of a broadcast (about
     * one in three thousand per broadcast at 50 nodes) then catches up within seconds instead of
     * waiting up to a whole push/pull interval. Only in clusters of up to 1,024 members, where a
     * push/pull costs at most about 80 KB. Default true; false gives memberlist's behaviour.
     */
    public boolean catchUp() {
        return catchUp;
    }

    /** The version array this configuration advertises. */
    public ProtocolVersions versions() {
        return ProtocolVersions.intern(new ProtocolVersions(ProtocolVersions.PROTOCOL_MIN, ProtocolVersions.PROTOCOL_MAX,
                protocolVersion, delegateProtocolMin, delegateProtocolMax, delegateProtocolVersion));
    }

    @Override
    public String toString() {
        return "MembershipConfig[probe=" + probeInterval.toMillis() + "ms/" + probeTimeout.toMillis()
                + "ms, indirect=" + indirectChecks + ", retransmitMult=" + retransmitMult + ", suspicion="
                + suspicionMult + "x" + suspicionMaxTimeoutMult + ", pushPull=" + pushPullInterval.toSeconds()
                + "s, gossip=" + gossipInterval.toMillis() + "ms x" + gossipNodes + ", lifeguard=" + lifeguard
                + ", protocol=" + protocolVersion + "]";
    }

    /**
     * Builds a {@link MembershipConfig}. Starts from the {@link MembershipConfig#lan()} values.
     * Not thread-safe; {@link #build()} validates and copies.
     */
    public static final class Builder {
        private Duration probeInterval = Duration.ofSeconds(1);
        private Duration probeTimeout = Duration.ofMillis(500);
        private int indirectChecks = 3;
        private int retransmitMult = 4;
        private int suspicionMult = 4;
        private int suspicionMaxTimeoutMult = 6;
        private Duration pushPullInterval = Duration.ofSeconds(30);
        private Duration gossipInterval = Duration.ofMillis(200);
        private int gossipNodes = 3;
        private Duration gossipToTheDeadTime = Duration.ofSeconds(30);
        private int awarenessMaxMultiplier = 8;
        private Duration streamTimeout = Duration.ofSeconds(10);
        private boolean streamPings = true;
        private boolean compression = true;
        private int udpBufferSize = 1400;
        private Duration deadNodeReclaimTime = Duration.ZERO;
        private int protocolVersion = 2;
        private int delegateProtocolMin;
        private int delegateProtocolMax;
        private int delegateProtocolVersion;
        private int metaMaxSize = DEFAULT_META_MAX_SIZE;
        private boolean lifeguard = true;
        private int maxQueuedBroadcasts = 4096;
        private Duration reconnectInterval = Duration.ofSeconds(30);
        private Duration reconnectTimeout = Duration.ofHours(24);
        private boolean catchUp = true;

        private Builder() {
        }

        private Builder(MembershipConfig c) {
            probeInterval = c.probeInterval;
            probeTimeout = c.probeTimeout;
            indirectChecks = c.indirectChecks;
            retransmitMult = c.retransmitMult;
            suspicionMult = c.suspicionMult;
            suspicionMaxTimeoutMult = c.suspicionMaxTimeoutMult;
            pushPullInterval = c.pushPullInterval;
            gossipInterval = c.gossipInterval;
            gossipNodes = c.gossipNodes;
            gossipToTheDeadTime = c.gossipToTheDeadTime;
            awarenessMaxMultiplier = c.awarenessMaxMultiplier;
            streamTimeout = c.streamTimeout;
            streamPings = c.streamPings;
            compression = c.compression;
            udpBufferSize = c.udpBufferSize;
            deadNodeReclaimTime = c.deadNodeReclaimTime;
            protocolVersion = c.protocolVersion;
            delegateProtocolMin = c.delegateProtocolMin;
            delegateProtocolMax = c.delegateProtocolMax;
            delegateProtocolVersion = c.delegateProtocolVersion;
            metaMaxSize = c.metaMaxSize;
            lifeguard = c.lifeguard;
            maxQueuedBroadcasts = c.maxQueuedBroadcasts;
            reconnectInterval = c.reconnectInterval;
            reconnectTimeout = c.reconnectTimeout;
            catchUp = c.catchUp;
        }

        /** See {@link MembershipConfig#probeInterval()}. LAN 1 s. */
        public Builder probeInterval(Duration v) {
            probeInterval = Objects.requireNonNull(v, "probeInterval");
            return this;
        }

        /** See {@link MembershipConfig#probeTimeout()}. LAN 500 ms; must not exceed the probe interval. */
        public Builder probeTimeout(Duration v) {
            probeTimeout = Objects.requireNonNull(v, "probeTimeout");
            return this;
        }

        /** See {@link MembershipConfig#indirectChecks()}. LAN 3. */
        public Builder indirectChecks(int v) {
            indirectChecks = v;
            return this;
        }

        /** See {@link MembershipConfig#retransmitMult()}. LAN 4. */
        public Builder retransmitMult(int v) {
            retransmitMult = v;
            return this;
        }

        /** See {@link MembershipConfig#suspicionMult()}. LAN 4. */
        public Builder suspicionMult(int v) {
            suspicionMult = v;
            return this;
        }

        /** See {@link MembershipConfig#suspicionMaxTimeoutMult()}. LAN 6. */
        public Builder suspicionMaxTimeoutMult(int v) {
            suspicionMaxTimeoutMult = v;
            return this;
        }

        /** See {@link MembershipConfig#pushPullInterval()}. LAN 30 s; zero disables. */
        public Builder pushPullInterval(Duration v) {
            pushPullInterval = Objects.requireNonNull(v, "pushPullInterval");
            return this;
        }

        /** See {@link MembershipConfig#gossipInterval()}. LAN 200 ms; zero disables. */
        public Builder gossipInterval(Duration v) {
            gossipInterval = Objects.requireNonNull(v, "gossipInterval");
            return this;
        }

        /** See {@link MembershipConfig#gossipNodes()}. LAN 3. */
        public Builder gossipNodes(int v) {
            gossipNodes = v;
            return this;
        }

        /** See {@link MembershipConfig#gossipToTheDeadTime()}. LAN 30 s. */
        public Builder gossipToTheDeadTime(Duration v) {
            gossipToTheDeadTime = Objects.requireNonNull(v, "gossipToTheDeadTime");
            return this;
        }

        /** See {@link MembershipConfig#awarenessMaxMultiplier()}. LAN 8. */
        public Builder awarenessMaxMultiplier(int v) {
            awarenessMaxMultiplier = v;
            return this;
        }

        /** See {@link MembershipConfig#streamTimeout()}. LAN 10 s. */
        public Builder streamTimeout(Duration v) {
            streamTimeout = Objects.requireNonNull(v, "streamTimeout");
            return this;
        }

        /** See {@link MembershipConfig#streamPings()}. LAN true. */
        public Builder streamPings(boolean v) {
            streamPings = v;
            return this;
        }

        /** See {@link MembershipConfig#compression()}. LAN true. */
        public Builder compression(boolean v) {
            compression = v;
            return this;
        }

        /** See {@link MembershipConfig#udpBufferSize()}. LAN 1400; 512..65507. */
        public Builder udpBufferSize(int v) {
            udpBufferSize = v;
            return this;
        }

        /** See {@link MembershipConfig#deadNodeReclaimTime()}. LAN zero (never). */
        public Builder deadNodeReclaimTime(Duration v) {
            deadNodeReclaimTime = Objects.requireNonNull(v, "deadNodeReclaimTime");
            return this;
        }

        /** See {@link MembershipConfig#protocolVersion()}. LAN 2. */
        public Builder protocolVersion(int v) {
            protocolVersion = v;
            return this;
        }

        /**
         * Delegate (application) protocol versions advertised in the Vsn array; memberlist's default
         * is 0/0/0. A node that should join a Serf cluster needs Serf's range (2, 5, 5 for
         * Serf 0.9.4 agents).
         */
        public Builder delegateProtocol(int min, int max, int current) {
            delegateProtocolMin = min;
            delegateProtocolMax = max;
            delegateProtocolVersion = current;
            return this;
        }

        /** See {@link MembershipConfig#metaMaxSize()}. Default 512. */
        public Builder metaMaxSize(int v) {
            metaMaxSize = v;
            return this;
        }

        /** See {@link MembershipConfig#lifeguard()}. Default true. */
        public Builder lifeguard(boolean v) {
            lifeguard = v;
            return this;
        }

        /** See {@link MembershipConfig#maxQueuedBroadcasts()}. Default 4096. */
        public Builder maxQueuedBroadcasts(int v) {
            maxQueuedBroadcasts = v;
            return this;
        }

        /** See {@link MembershipConfig#reconnectInterval()}. Default 30 s; zero disables. */
        public Builder reconnectInterval(Duration v) {
            reconnectInterval = Objects.requireNonNull(v, "reconnectInterval");
            return this;
        }

        /** See {@link MembershipConfig#reconnectTimeout()}. Default 24 h. */
        public Builder reconnectTimeout(Duration v) {
            reconnectTimeout = Objects.requireNonNull(v, "reconnectTimeout");
            return this;
        }

        /** See {@link MembershipConfig#catchUp()}. Default true. */
        public Builder catchUp(boolean v) {
            catchUp = v;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the first field whose value is out of range
         */
        public MembershipConfig build() {
            positive("probeInterval", probeInterval);
            positive("probeTimeout", probeTimeout);
            require(probeTimeout.compareTo(probeInterval) <= 0, "probeTimeout",
                    "must not exceed probeInterval (" + probeInterval + "), got " + probeTimeout);
            range("indirectChecks", indirectChecks, 0, 64);
            range("retransmitMult", retransmitMult, 1, 64);
            range("suspicionMult", suspicionMult, 1, 64);
            range("suspicionMaxTimeoutMult", suspicionMaxTimeoutMult, 1, 64);
            notNegative("pushPullInterval", pushPullInterval);
            notNegative("gossipInterval", gossipInterval);
            range("gossipNodes", gossipNodes, 0, 64);
            notNegative("gossipToTheDeadTime", gossipToTheDeadTime);
            range("awarenessMaxMultiplier", awarenessMaxMultiplier, 1, 64);
            positive("streamTimeout", streamTimeout);
            range("udpBufferSize", udpBufferSize, 512, 65507);
            notNegative("deadNodeReclaimTime", deadNodeReclaimTime);
            range("protocolVersion", protocolVersion, ProtocolVersions.PROTOCOL_MIN, ProtocolVersions.PROTOCOL_MAX);
            range("delegateProtocolMin", delegateProtocolMin, 0, 255);
            range("delegateProtocolMax", delegateProtocolMax, 0, 255);
            range("delegateProtocolVersion", delegateProtocolVersion, delegateProtocolMin, delegateProtocolMax);
            range("metaMaxSize", metaMaxSize, 0, udpBufferSize - ALIVE_RESERVE_BYTES);
            range("maxQueuedBroadcasts", maxQueuedBroadcasts, 1, 1 << 20);
            notNegative("reconnectInterval", reconnectInterval);
            notNegative("reconnectTimeout", reconnectTimeout);
            return new MembershipConfig(this);
        }

        private static void positive(String field, Duration d) {
            require(!d.isNegative() && !d.isZero(), field, "must be positive, got " + d);
        }

        private static void notNegative(String field, Duration d) {
            require(!d.isNegative(), field, "must not be negative, got " + d);
        }

        private static void range(String field, int v, int min, int max) {
            require(v >= min && v <= max, field, "must be in [" + min + ", " + max + "], got " + v);
        }

        private static void require(boolean ok, String field, String message) {
            if (!ok) {
                throw new IllegalArgumentException(field + " " + message);
            }
        }
    }
}
