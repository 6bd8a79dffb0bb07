package dev.grapevine.membership;

import dev.grapevine.membership.wire.DecodeResult;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.Message.Ack;
import dev.grapevine.membership.wire.Message.Alive;
import dev.grapevine.membership.wire.Message.Dead;
import dev.grapevine.membership.wire.Message.Err;
import dev.grapevine.membership.wire.Message.IndirectPing;
import dev.grapevine.membership.wire.Message.Nack;
import dev.grapevine.membership.wire.Message.Ping;
import dev.grapevine.membership.wire.Message.PushNodeState;
import dev.grapevine.membership.wire.Message.PushPull;
import dev.grapevine.membership.wire.Message.Signed;
import dev.grapevine.membership.wire.Message.SignedPushPull;
import dev.grapevine.membership.wire.Message.Suspect;
import dev.grapevine.membership.wire.Message.User;
import dev.grapevine.membership.wire.PacketVisitor;
import dev.grapevine.membership.wire.SignedCodec;
import dev.grapevine.membership.wire.Packets;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireEncoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The membership protocol: SWIM with Lifeguard, speaking memberlist 0.2.2's wire format, as one
 * single-threaded state machine with no I/O of its own.
 *
 * <p><b>Inputs</b> are method calls: packets ({@link #handlePacket}), stream requests from peers
 * ({@link #handleStream}), replies to our own streams ({@link #handleStreamReply},
 * {@link #handleStreamFailure}), timer firings ({@link #handleTimer}) and user calls
 * ({@link #join}, {@link #leave}, {@link #updateMetadata}, {@link #broadcast},
 * {@link #sendUserMessage}, {@link #sendReliable}). <b>Outputs</b> all go through the {@link Host}:
 * packets to send, streams to open, timers to schedule, events. Time comes from an injected
 * monotonic nanosecond clock and randomness from an injected generator, so a simulator with virtual
 * time and a fixed seed replays a run exactly.
 *
 * <p>The algorithm is memberlist's (randomized round-robin probing; indirect probes with nacks; a
 * stream-ping fallback; Lifeguard's health score, dynamic suspicion timeout and buddy system;
 * incarnation refutation; transmit-limited piggybacked gossip; push/pull anti-entropy) with these
 * deliberate differences, none visible to memberlist peers as a protocol violation:
 * <ul>
 *   <li>a relay sends its nack at 80% of the probe timeout (Lifeguard's figure) rather than at
 *       100%, so that the nack reaches the prober before its probe deadline;</li>
 *   <li>left members are reaped like dead ones after {@code gossipToTheDeadTime} (as newer
 *       memberlist releases do), so the member list does not grow without bound;</li>
 *   <li>an alive message with incarnation 0 about an unknown node is ignored outright, rather
 *       than creating a placeholder entry;</li>
 *   <li>version arrays must be exactly 6 bytes, and compound packets never exceed 127 parts (memberlist
 *       0.2.2 misreads the length table of larger ones).</li>
 * </ul>
 *
 * <p><b>Threading.</b> Not thread-safe: every method must be called from one thread at a time (in
 * practice one event-loop thread), and none blocks. Host callbacks run synchronously inside these
 * calls and must not call back in.
 */
public final class MembershipCore {

    private static final long MILLI = 1_000_000L;
    /** Extra time a host gets past a stream's own timeout before the core gives up on it. */
    private static final long STREAM_GUARD_GRACE = 2_000 * MILLI;
    /** Relays send their nack at this fraction of the probe timeout (Lifeguard). */
    private static final double NACK_FRACTION = 0.8;
    private static final byte[] EMPTY = new byte[0];
    /**
     * Catch-up push/pulls are done only up to this many members (a push/pull state of about 80 KB):
     * in larger clusters the burst of push/pulls after each change would cost more than the rare
     * late delivery it prevents, and memberlist's periodic push/pull alone is used.
     */
    static final int CATCH_UP_MAX_MEMBERS = 1024;
    /** Signing mode: user-message envelopes kept for relaying (least recently used dropped first). */
    static final int SIGNED_USER_CACHE = 1024;
    /** Signing mode: the most recent signed user messages a push/pull carries (see {@link #mergeSigned}). */
    static final int SIGNED_PUSH_PULL_BROADCASTS = 128;
    /** At most this many failed members are remembered for reconnect attempts (oldest forgotten first). */
    static final int MAX_FAILED_REMEMBERED = 4096;

    private final MembershipConfig config;
    private final String localName;
    private final NodeAddress advertise;
    private final Host host;
    private final Delegate delegate;
    private final LongSupplier clock;
    private final RandomGenerator random;
    private final Interner interner;
    /** Signing mode when set: our claims are signed, others' must be. */
    private final ClaimAuthority authority;
    /** Failed verifications that cost a certificate or signature check (signing mode). */
    private long costlyRefusals;
    /** Failed verifications after which the rest of one signed push/pull is dropped unchecked. */
    public static final int MAX_FAILED_PROOFS = 32;
    /** Asked before an alive adds a member or moves one to another address. */
    private final Admission admission;
    /** Signing mode: envelopes of user messages, by payload, so relays forward the originator's signature. */
    private final Map<PayloadKey, byte[]> signedUsers;
    private final ProtocolVersions localVersions;
    private final byte[] localVsn;
    private final long probeIntervalNanos;
    private final long probeTimeoutNanos;
    private final long gossipToTheDeadNanos;

    private final MemberTable table;
    private final BroadcastQueue memberBroadcasts;
    private final BroadcastQueue userBroadcasts;
    private final Awareness awareness;
    private final Map<String, Suspicion> suspicions = new HashMap<>();
    private final Map<Integer, Relay> relays = new HashMap<>();
    private final Map<Long, PendingStream> streams = new HashMap<>();
    private final Map<Long, JoinState> joins = new HashMap<>();
    /** Members declared failed, oldest first, for reconnect attempts; survives reaping. */
    private final LinkedHashMap<String, Failed> failed = new LinkedHashMap<>();
    private final Counters counters = new Counters();
    private final PacketDispatcher dispatcher = new PacketDispatcher();

    private byte[] localMeta;
    private int packetOverhead;
    private int incarnation;
    private int sequence;
    private long tokens;
    private long nextStreamId = 1;
    private boolean started;
    private boolean leaving;
    private boolean leaveReported;
    private boolean shutdown;
    private long leaveToken;
    private ProbeRound probe;
    private boolean catchUpPending;
    private long lastCatchUp = Long.MIN_VALUE / 2;
    private boolean probeTickPending;
    private int probeIndex;

    private MembershipCore(Builder b) {
        this.config = b.config;
        this.localName = b.name;
        this.advertise = b.advertise;
        this.host = b.host;
        this.delegate = b.delegate;
        this.clock = b.clock;
        this.random = b.random;
        this.interner = b.interner;
        this.authority = b.authority;
        this.admission = b.admission;
        this.signedUsers = b.authority == null ? null : new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<PayloadKey, byte[]> eldest) {
                return size() > SIGNED_USER_CACHE;
            }
        };
        this.localMeta = b.meta;
        this.packetOverhead = b.packetOverhead;
        this.localVersions = config.versions();
        this.localVsn = localVersions.toVsn();
        this.probeIntervalNanos = config.probeInterval().toNanos();
        this.probeTimeoutNanos = config.probeTimeout().toNanos();
        this.gossipToTheDeadNanos = config.gossipToTheDeadTime().toNanos();
        this.table = new MemberTable(b.expectedMembers);
        this.memberBroadcasts = new BroadcastQueue(Integer.MAX_VALUE);
        this.userBroadcasts = new BroadcastQueue(config.maxQueuedBroadcasts());
        this.awareness = new Awareness(config.lifeguard() ? config.awarenessMaxMultiplier() : 1);
    }

    /** A builder; {@code name}, {@code advertise}, {@code host}, {@code clock} and {@code random} are required. */
    public static Builder builder() {
        return new Builder();
    }

    // =============================================================================================
    // Lifecycle and user calls
    // =============================================================================================

    /**
     * Announces the local node (incarnation 1, an alive about itself queued for gossip, a
     * {@link MembershipEvent.MemberJoined} for itself) and schedules the probe, gossip and
     * push/pull timers, each after a random fraction of its period.
     *
     * @throws IllegalStateException when called twice
     */
    public void start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        aliveNode(new Alive(nextIncarnation(), localName, advertise.rawIp(), advertise.port(), localMeta, localVsn),
                true, null, null, null, null);
        schedule(Timer.Kind.PROBE_TICK, 0, null, stagger(probeIntervalNanos));
        long gossip = config.gossipInterval().toNanos();
        if (gossip > 0 && config.gossipNodes() > 0) {
            schedule(Timer.Kind.GOSSIP_TICK, 0, null, stagger(gossip));
        }
        long pushPull = config.pushPullInterval().toNanos();
        if (pushPull > 0) {
            schedule(Timer.Kind.PUSH_PULL_TICK, 0, null, stagger(pushPull));
        }
        long reconnect = config.reconnectInterval().toNanos();
        if (reconnect > 0) {
            schedule(Timer.Kind.RECONNECT_TICK, 0, null, stagger(reconnect));
        }
    }

    /**
     * Joins a cluster through {@code seeds}: a push/pull (with {@code Join} set) with each. The
     * outcome arrives as one {@link MembershipEvent.JoinCompleted} carrying the returned id once
     * every seed has answered or failed; with no seeds it is emitted at once.
     *
     * @return the join's id
     */
    public long join(Collection<NodeAddress> seeds) {
        requireRunning();
        long id = ++tokens;
        JoinState js = new JoinState(id, seeds.size());
        if (seeds.isEmpty()) {
            emit(new MembershipEvent.JoinCompleted(id, 0, List.of()));
            return id;
        }
        joins.put(id, js);
        for (NodeAddress seed : seeds) {
            pushPullWith(Objects.requireNonNull(seed, "seed"), "", true, id, 0);
        }
        return id;
    }

    /**
     * Starts a push/pull (anti-entropy state exchange, not a join) with one node now, outside the
     * periodic schedule; its outcome is merged like any other. A host's {@link Admission} check
     * uses it to verify a node it has heard of but not authenticated: the stream request names the
     * node, so a host that authenticates peers (TLS) reaches only that node, and the reply carries
     * the node's own record. Counted in {@link CoreMetrics#pushPullsStarted()}.
     *
     * @param target where the node is
     * @param name   the node expected there ({@link StreamRequest#targetName()})
     */
    public void pushPull(NodeAddress target, String name) {
        requireRunning();
        if (leaving) {
            return;
        }
        pushPullWith(Objects.requireNonNull(target, "target"), Objects.requireNonNull(name, "name"), false, 0, 0);
    }

    /**
     * Leaves gracefully: gossips {@code dead(self, From = self)} so peers record the node as left,
     * and emits {@link MembershipEvent.LeaveCompleted} once that message has been sent as often as
     * the retransmit limit asks, or after {@code timeout} (zero: wait as long as it takes), or at
     * once when no other member is alive. Keep driving the core (packets, timers) until then; shut
     * it down afterwards. Calling it again has no effect.
     */
    public void leave(Duration timeout) {
        requireStarted();
        if (leaving || shutdown) {
            return;
        }
        leaving = true;
        int self = table.find(localName);
        deadNode(new Dead(table.incarnation(self), localName, localName), null);
        if (!anyOtherAlive()) {
            reportLeave(true);
        } else if (!timeout.isZero() && !timeout.isNegative()) {
            leaveToken = ++tokens;
            schedule(Timer.Kind.LEAVE_TIMEOUT, leaveToken, null, timeout.toNanos());
        }
    }

    /**
     * Replaces the local node's metadata: raises the incarnation and gossips a new alive;
     * peers emit {@link MembershipEvent.MemberUpdated}.
     *
     * @throws IllegalArgumentException when longer than {@link MembershipConfig#metaMaxSize()}
     */
    public void updateMetadata(byte[] meta) {
        requireRunning();
        byte[] m = meta == null ? EMPTY : meta.clone();
        if (m.length > config.metaMaxSize()) {
            throw new IllegalArgumentException("metadata is " + m.length + " bytes, limit is " + config.metaMaxSize());
        }
        localMeta = m;
        aliveNode(new Alive(nextIncarnation(), localName, advertise.rawIp(), advertise.port(), m, localVsn), true,
                null, null, null, null);
    }

    /**
     * Queues an application broadcast, piggybacked on gossip and probes until sent
     * {@code retransmitMult × ceil(log10(n+1))} times. Receivers get a
     * {@link MembershipEvent.UserMessage}. The queue is bounded
     * ({@link MembershipConfig#maxQueuedBroadcasts()}); when full, the broadcasts already sent most
     * often are dropped first.
     *
     * @throws IllegalArgumentException when the payload cannot fit in one packet
     */
    public void broadcast(byte[] payload) {
        requireRunning();
        byte[] msg = userClaim(Objects.requireNonNull(payload, "payload"));
        int room = packetBudget() - Packets.COMPOUND_HEADER_OVERHEAD - Packets.COMPOUND_PART_OVERHEAD;
        if (msg.length > room) {
            throw new IllegalArgumentException("broadcast of " + payload.length + " bytes does not fit a packet ("
                    + (room - Packets.USER_MSG_OVERHEAD) + " bytes available)");
        }
        userBroadcasts.queue(null, msg, null);
    }

    /** Sends an application message in one UDP packet (best effort) to an address. */
    public void sendUserMessage(NodeAddress to, byte[] payload) {
        requireRunning();
        rawSend(to, -1, userClaim(Objects.requireNonNull(payload, "payload")));
    }

    /**
     * Sends an application message in one UDP packet (best effort) to a member, with a CRC when
     * the member understands protocol 5.
     *
     * @return false when the member is unknown
     */
    public boolean sendUserMessage(String member, byte[] payload) {
        requireRunning();
        int slot = table.find(member);
        if (slot < 0) {
            return false;
        }
        rawSend(table.address(slot), slot, userClaim(Objects.requireNonNull(payload, "payload")));
        return true;
    }

    /**
     * Sends an application message over a stream (reliable; no size limit beyond the host's frame
     * limit). The host opens the stream; its success or failure is the host's to report.
     */
    public void sendReliable(NodeAddress to, byte[] payload) {
        requireRunning();
        if (authority != null) {
            throw new IllegalStateException("reliable (stream) user messages cannot be signed; in signing mode send "
                    + "user messages by packet or broadcast");
        }
        byte[] body = WireEncoder.encodeStreamUser(payload);
        host.openStream(new StreamRequest(nextStreamId++, StreamRequest.Kind.USER_MESSAGE, to, "", streamOut(body),
                config.streamTimeout().toNanos()));
    }

    /**
     * Tells the core this node has just learned news its delegate tracks (the Serf layer calls it
     * for a new user event or intent), so that, with {@link MembershipConfig#catchUp()} on, it does
     * a catch-up push/pull once the gossip has spread. Membership news is noted by the core itself.
     * Cheap; may be called from inside delegate callbacks.
     */
    public void noteNews() {
        if (!config.catchUp() || catchUpPending || shutdown || !started || table.size() > CATCH_UP_MAX_MEMBERS) {
            return;
        }
        catchUpPending = true;
        long now = clock.getAsLong();
        long settle = config.gossipInterval().toNanos()
                * ProtocolMath.retransmitLimit(config.retransmitMult(), table.size());
        long cooldown = ProtocolMath.pushPullScale(config.pushPullInterval().toNanos(), table.size()) / 6;
        long at = Math.max(now + settle, lastCatchUp + cooldown);
        schedule(Timer.Kind.CATCH_UP, 0, null, at - now);
    }

    private void onCatchUp() {
        catchUpPending = false;
        lastCatchUp = clock.getAsLong();
        int[] peer = randomMembers(1, slot -> !table.name(slot).equals(localName)
                && table.state(slot) == MemberTable.ALIVE);
        if (peer.length == 1 && !leaving) {
            counters.catchUps++;
            pushPullWith(table.address(peer[0]), table.name(peer[0]), false, 0, 0);
        }
    }

    /**
     * Asks the host for a timer on the delegate's behalf: after {@code delayNanos} (zero: as soon as
     * the host gets to it, never synchronously) the core calls {@link Delegate#timer} with
     * {@code token}. This is how a layer above the core (Serf) runs its own periodic work and defers
     * calls it may not make from inside a callback. Ignored after {@link #shutdown()}.
     */
    public void scheduleDelegateTimer(long token, long delayNanos) {
        if (!shutdown) {
            schedule(Timer.Kind.DELEGATE, token, null, Math.max(0, delayNanos));
        }
    }

    /**
     * Stops the core: later inputs are ignored (packets counted as {@link Rejection#SHUT_DOWN}),
     * pending timers become stale, queued broadcasts are dropped. Idempotent.
     */
    public void shutdown() {
        if (shutdown) {
            return;
        }
        shutdown = true;
        memberBroadcasts.clear();
        userBroadcasts.clear();
        suspicions.clear();
        relays.clear();
        streams.clear();
        failed.clear();
        probe = null;
    }

    /**
     * Declares the bytes the host adds to every packet (encryption envelope, label header), which
     * gossip leaves free in the {@link MembershipConfig#udpBufferSize()} budget. May change at any
     * time, e.g. when encryption is switched on.
     */
    public void setPacketOverhead(int bytes) {
        if (bytes < 0 || bytes > config.udpBufferSize() / 2) {
            throw new IllegalArgumentException("packetOverhead out of range: " + bytes);
        }
        packetOverhead = bytes;
    }

    // =============================================================================================
    // Queries
    // =============================================================================================

    /** This node's name. */
    public String localName() {
        return localName;
    }

    /** The configuration. */
    public MembershipConfig config() {
        return config;
    }

    /** A snapshot of every member the node knows, the local node, dead and left ones included. */
    public List<Member> members() {
        List<Member> out = new ArrayList<>(table.size());
        for (int i = 0; i < table.size(); i++) {
            out.add(table.member(i));
        }
        return out;
    }

    /** A snapshot of one member, or {@code null} when unknown. */
    public Member member(String name) {
        int slot = table.find(name);
        return slot < 0 ? null : table.member(slot);
    }

    /** The state of one member without building a snapshot, or {@code null} when unknown. */
    public MemberState state(String name) {
        int slot = table.find(name);
        return slot < 0 ? null : MemberState.ofCode(table.state(slot));
    }

    /** The local node's snapshot. @throws IllegalStateException before {@link #start()} */
    public Member localMember() {
        requireStarted();
        return table.member(table.find(localName));
    }

    /** Members in {@code state}, without building snapshots. */
    public int count(MemberState state) {
        return table.count((byte) state.code());
    }

    /** Members alive or suspect (memberlist's {@code NumMembers}), the local node included. */
    public int numMembers() {
        return table.count(MemberTable.ALIVE) + table.count(MemberTable.SUSPECT);
    }

    /** Lifeguard's health score: 0 is healthy; probes stretch by {@code score + 1}. */
    public int healthScore() {
        return awareness.score();
    }

    /** True once {@link #leave} was called. */
    public boolean isLeaving() {
        return leaving;
    }

    /** True once {@link #shutdown()} was called. */
    public boolean isShutdown() {
        return shutdown;
    }

    /** A snapshot of the counters and gauges. */
    public CoreMetrics metrics() {
        return counters.snapshot(awareness.score(), table, memberBroadcasts.size() + userBroadcasts.size());
    }

    /**
     * Checks the core's invariants and returns a description of the first one broken, or
     * {@code null}: the local node is alive unless it left; its incarnation never went down; no
     * member's incarnation went down except by an address reclaim; queues are within their bounds;
     * suspicions exist only for suspect members; the member index is consistent. Cost is linear in
     * the number of suspicions, plus the member count when {@code full}. For tests and simulators.
     */
    public String selfCheck(boolean full) {
        if (!started) {
            return null;
        }
        int self = table.find(localName);
        if (self < 0) {
            return "local node missing from its member table";
        }
        byte st = table.state(self);
        if (st == MemberTable.DEAD || st == MemberTable.SUSPECT || (st == MemberTable.LEFT && !leaving)) {
            return "local node holds itself " + MemberState.ofCode(st);
        }
        if (Integer.compareUnsigned(table.incarnation(self), incarnation) > 0) {
            return "local incarnation " + Integer.toUnsignedString(table.incarnation(self))
                    + " ahead of the counter " + Integer.toUnsignedString(incarnation);
        }
        if (counters.incarnationRegressions > 0) {
            return counters.incarnationRegressions + " incarnation regression(s)";
        }
        if (userBroadcasts.size() > userBroadcasts.capacity()) {
            return "user broadcast queue over its bound";
        }
        if (memberBroadcasts.size() > table.size() + 1) {
            return "membership broadcast queue (" + memberBroadcasts.size() + ") exceeds member count "
                    + table.size();
        }
        if (relays.size() > 64 * (config.indirectChecks() + 1) * 1024) {
            return "relay table unbounded";
        }
        for (Map.Entry<String, Suspicion> e : suspicions.entrySet()) {
            int slot = table.find(e.getKey());
            if (slot < 0 || table.state(slot) != MemberTable.SUSPECT) {
                return "suspicion timer for " + e.getKey() + " which is not suspect";
            }
        }
        if (awareness.score() < 0 || awareness.score() >= Math.max(1, config.awarenessMaxMultiplier())) {
            return "health score out of range: " + awareness.score();
        }
        return full ? table.selfCheck() : null;
    }

    // =============================================================================================
    // Inputs from the host
    // =============================================================================================

    /**
     * A UDP packet arrived (plaintext: the host has already removed its own layers). Never throws
     * on bad input: each bad part is counted and reported through {@link Host#rejected}.
     *
     * @param from the packet's source address
     */
    public void handlePacket(NodeAddress from, byte[] buf, int off, int len) {
        counters.packetsReceived++;
        counters.bytesReceived += len;
        if (shutdown) {
            reject(from, Rejection.SHUT_DOWN, "packet after shutdown");
            return;
        }
        dispatcher.from = from;
        Packets.read(buf, off, len, dispatcher);
        dispatcher.from = null;
    }

    /**
     * A peer opened a stream and sent one message (decrypted by the host). Returns the bytes to
     * write back (a push/pull reply, an ack, or an error message), or {@code null} when nothing is
     * to be written; either way the host then closes the stream. The same as
     * {@link #handleStream(NodeAddress, String, byte[], int, int)} with no authenticated peer.
     */
    public byte[] handleStream(NodeAddress from, byte[] buf, int off, int len) {
        return handleStream(from, null, buf, off, len);
    }

    /**
     * A peer opened a stream and sent one message, on a stream whose peer the host may have
     * authenticated (for example by its TLS client certificate). When {@code peer} is given, a
     * push/pull must carry the state of node {@code peer} itself, the sender's own record (memberlist
     * push/pulls do not name their sender otherwise); one that does not is refused whole, counted as
     * {@link Rejection#PEER_MISMATCH} and answered with an error, so that a node cannot speak for
     * itself under another node's certificate. That record reaches the {@link Admission} check as
     * {@link Admission.Evidence#STREAM_PEER}.
     *
     * @param from the stream's source address
     * @param peer the node name the host authenticated for this stream, or {@code null}
     * @return the bytes to write back, or {@code null}
     */
    public byte[] handleStream(NodeAddress from, String peer, byte[] buf, int off, int len) {
        if (shutdown) {
            reject(from, Rejection.SHUT_DOWN, "stream after shutdown");
            return null;
        }
        DecodeResult<Message> r = Streams.read(buf, off, len);
        if (!r.ok()) {
            DecodeResult.Rejected<Message> bad = (DecodeResult.Rejected<Message>) r;
            reject(from, bad.reason(), bad.detail());
            return streamOut(WireEncoder.encode(new Err("failed to decode stream: " + bad.detail())));
        }
        Message m = r.value();
        if (authority != null && (m instanceof PushPull || m instanceof User)) {
            reject(from, Rejection.UNSIGNED, m.type() + " stream in signing mode");
            return streamOut(WireEncoder.encode(new Err("this cluster is in signing mode")));
        }
        if (authority == null && m instanceof SignedPushPull) {
            reject(from, Rejection.UNSUPPORTED_TYPE, "signed push/pull while signing is off");
            return streamOut(WireEncoder.encode(new Err("signing is off on this node")));
        }
        if (peer != null && (m instanceof PushPull || m instanceof SignedPushPull) && !speaksFor(m, peer)) {
            reject(from, Rejection.PEER_MISMATCH, "push/pull without the state of " + peer
                    + ", the node the stream is authenticated as");
            return streamOut(WireEncoder.encode(new Err("push/pull does not carry the state of " + peer
                    + ", the node named by the stream's certificate")));
        }
        if (m instanceof PushPull pp) {
            counters.pushPullsServed++;
            byte[] reply = streamOut(encodeLocalState(pp.join()));
            mergeRemoteState(pp, from, peer);
            return reply;
        }
        if (m instanceof SignedPushPull spp) {
            counters.pushPullsServed++;
            byte[] reply = streamOut(encodeLocalState(spp.join()));
            mergeSigned(spp, from);
            return reply;
        }
        if (m instanceof Ping p) {
            if (!p.node().isEmpty() && !p.node().equals(localName)) {
                reject(from, Rejection.WRONG_NODE, "stream ping for " + p.node());
                return null;
            }
            return streamOut(WireEncoder.encode(new Ack(p.seqNo(), null)));
        }
        if (m instanceof User u) {
            if (u.payload().length > 0) {
                userMessage(u.payload(), from, null);
            }
            return null;
        }
        reject(from, Rejection.UNEXPECTED_MESSAGE, "stream request of type " + m.type());
        return null;
    }

    /**
     * The reply to a stream this core opened arrived (decrypted by the host). The same as
     * {@link #handleStreamReply(long, String, byte[], int, int)} with no authenticated peer.
     */
    public void handleStreamReply(long streamId, byte[] buf, int off, int len) {
        handleStreamReply(streamId, null, buf, off, len);
    }

    /**
     * The reply to a stream this core opened arrived, from a peer the host may have authenticated.
     * When {@code peer} is given it must be the node the request named (when it named one), and a
     * push/pull reply must carry the peer's own state, as for
     * {@link #handleStream(NodeAddress, String, byte[], int, int)}; otherwise the exchange fails,
     * counted as {@link Rejection#PEER_MISMATCH}.
     *
     * @param peer the node name the host authenticated for this stream, or {@code null}
     */
    public void handleStreamReply(long streamId, String peer, byte[] buf, int off, int len) {
        PendingStream ps = streams.remove(streamId);
        if (ps == null || shutdown) {
            return;
        }
        if (peer != null && !ps.targetName.isEmpty() && !ps.targetName.equals(peer)) {
            reject(ps.target, Rejection.PEER_MISMATCH, "reply from " + peer + " to a stream opened to "
                    + ps.targetName);
            streamFailed(ps, "answered by " + peer + ", not " + ps.targetName);
            return;
        }
        DecodeResult<Message> r = Streams.read(buf, off, len);
        if (!r.ok()) {
            DecodeResult.Rejected<Message> bad = (DecodeResult.Rejected<Message>) r;
            reject(ps.target, bad.reason(), bad.detail());
            streamFailed(ps, "bad reply: " + bad.reason());
            return;
        }
        Message m = r.value();
        if (peer != null && ps.kind == StreamRequest.Kind.PUSH_PULL
                && (m instanceof PushPull || m instanceof SignedPushPull) && !speaksFor(m, peer)) {
            reject(ps.target, Rejection.PEER_MISMATCH, "push/pull reply without the state of " + peer
                    + ", the node the stream is authenticated as");
            streamFailed(ps, "the reply does not carry the state of " + peer + ", the node its certificate names");
            return;
        }
        switch (ps.kind) {
            case PUSH_PULL -> {
                if (m instanceof SignedPushPull spp && authority != null) {
                    mergeSigned(spp, ps.target);
                    streamSucceeded(ps);
                } else if (m instanceof PushPull pp && authority == null) {
                    String failure = mergeRemoteState(pp, ps.target, peer);
                    if (failure == null) {
                        streamSucceeded(ps);
                    } else {
                        streamFailed(ps, failure);
                    }
                } else if (m instanceof Err e) {
                    streamFailed(ps, "remote error: " + e.error());
                } else {
                    reject(ps.target, Rejection.UNEXPECTED_MESSAGE, "push/pull answered with " + m.type());
                    streamFailed(ps, "unexpected reply " + m.type());
                }
            }
            case PING -> {
                if (m instanceof Ack a && a.seqNo() == ps.seqNo) {
                    if (probe != null && probe.seqNo == ps.seqNo) {
                        probe.streamPingSucceeded = true;
                    }
                } else {
                    reject(ps.target, Rejection.UNEXPECTED_MESSAGE, "stream ping answered with " + m.type());
                }
            }
            default -> {
            }
        }
    }

    /** A stream this core opened failed (connect error, timeout, closed without reply). */
    public void handleStreamFailure(long streamId, String reason) {
        PendingStream ps = streams.remove(streamId);
        if (ps == null || shutdown) {
            return;
        }
        streamFailed(ps, reason == null ? "failed" : reason);
    }

    /** A timer scheduled through {@link Host#schedule} is due. Stale timers are ignored. */
    public void handleTimer(Timer timer) {
        if (shutdown) {
            return;
        }
        switch (timer.kind) {
            case PROBE_TICK -> onProbeTick();
            case PROBE_TIMEOUT -> onProbeTimeout((int) timer.token);
            case PROBE_DEADLINE -> onProbeDeadline((int) timer.token);
            case GOSSIP_TICK -> onGossipTick();
            case PUSH_PULL_TICK -> onPushPullTick();
            case RECONNECT_TICK -> onReconnectTick();
            case CATCH_UP -> onCatchUp();
            case SUSPICION -> onSuspicionTimeout(timer.subject, timer.token);
            case RELAY_NACK -> onRelayNack((int) timer.token);
            case RELAY_EXPIRE -> relays.remove((int) timer.token);
            case LEAVE_TIMEOUT -> {
                if (timer.token == leaveToken) {
                    reportLeave(false);
                }
            }
            case DELEGATE -> delegate.timer(timer.token);
            case STREAM_GUARD -> {
                PendingStream ps = streams.remove(timer.token);
                if (ps != null) {
                    streamFailed(ps, "no answer from the host within the stream timeout");
                }
            }
        }
    }

    // =============================================================================================
    // Packet dispatch
    // =============================================================================================

    /** Receives decoded messages of one packet; {@code from} is set for the duration of a read. */
    private final class PacketDispatcher implements PacketVisitor {
        NodeAddress from;

        @Override
        public void message(Message m) {
            if (authority != null) {
                if (m instanceof Signed s) {
                    onSigned(s, from);
                    return;
                }
                if (m instanceof Alive || m instanceof Suspect || m instanceof Dead || m instanceof User) {
                    reject(from, Rejection.UNSIGNED, m.type() + " without a signature in signing mode");
                    return;
                }
            } else if (m instanceof Signed) {
                reject(from, Rejection.UNSUPPORTED_TYPE, "signed message while signing is off");
                return;
            }
            if (m instanceof Ping p) {
                onPing(p, from);
            } else if (m instanceof IndirectPing ip) {
                onIndirectPing(ip, from);
            } else if (m instanceof Ack a) {
                onAck(a);
            } else if (m instanceof Nack n) {
                if (probe != null && probe.seqNo == n.seqNo()) {
                    probe.nacks++;
                }
            } else if (m instanceof Alive a) {
                onAlive(a, from, null, Admission.Evidence.HEARSAY);
            } else if (m instanceof Suspect s) {
                suspectNode(s, null);
            } else if (m instanceof Dead d) {
                deadNode(d, null);
            } else if (m instanceof User u) {
                userMessage(u.payload(), from, null);
            } else {
                reject(from, Rejection.UNSUPPORTED_TYPE, m.type() + " in a packet");
            }
        }

        @Override
        public void rejected(Rejection reason, String detail) {
            reject(from, reason, detail);
        }
    }

    private void onPing(Ping p, NodeAddress from) {
        if (!p.node().isEmpty() && !p.node().equals(localName)) {
            reject(from, Rejection.WRONG_NODE, "ping for " + p.node());
            return;
        }
        NodeAddress replyTo = replyAddress(p.sourceAddr(), p.sourcePort(), from);
        sendWithPiggyback(replyTo, WireEncoder.encode(new Ack(p.seqNo(), delegate.ackPayload())));
    }

    private void onIndirectPing(IndirectPing ind, NodeAddress from) {
        byte[] ip = ind.target();
        if (ip == null || (ip.length != 4 && ip.length != 16)) {
            reject(from, Rejection.BAD_ADDRESS, "indirect ping target of " + (ip == null ? 0 : ip.length) + " bytes");
            return;
        }
        int port = ind.port();
        if (config.protocolVersion() < 2 || port == 0) {
            port = advertise.port();
        }
        NodeAddress target = NodeAddress.ofTrusted(ip, port);
        NodeAddress replyTo = replyAddress(ind.sourceAddr(), ind.sourcePort(), from);
        int localSeq = nextSeqNo();
        relays.put(localSeq, new Relay(ind.seqNo(), replyTo, ind.nack()));
        sendWithPiggyback(target, WireEncoder.encode(
                new Ping(localSeq, ind.node(), advertise.rawIp(), advertise.port(), localName)));
        schedule(Timer.Kind.RELAY_EXPIRE, localSeq, null, probeTimeoutNanos);
        if (ind.nack()) {
            schedule(Timer.Kind.RELAY_NACK, localSeq, null, (long) (probeTimeoutNanos * NACK_FRACTION));
        }
    }

    private void onAck(Ack a) {
        ProbeRound p = probe;
        if (p != null && p.seqNo == a.seqNo()) {
            long now = clock.getAsLong();
            if (!p.indirect) {
                long rtt = now - p.startNanos;
                counters.recordRtt(rtt);
                int slot = table.find(p.target);
                if (slot >= 0) {
                    delegate.pingCompleted(table.member(slot), rtt, a.payload());
                }
            }
            finishProbe(true);
            return;
        }
        Relay r = relays.remove(a.seqNo());
        if (r != null) {
            sendWithPiggyback(r.replyTo, WireEncoder.encode(new Ack(r.requesterSeq, null)));
        }
        // Unknown or expired sequence numbers are ignored silently, as memberlist does.
    }

    private void onRelayNack(int localSeq) {
        Relay r = relays.get(localSeq);
        if (r != null && r.nack) {
            sendWithPiggyback(r.replyTo, WireEncoder.encode(new Nack(r.requesterSeq)));
        }
    }

    /**
     * A signed claim: the signer must be entitled to it (an alive about itself, an accusation in
     * its own name), and stale claims are dropped before any signature work; then the authority
     * verifies it and the claim is handled with its envelope as proof, which relays forward.
     */
    private void onSigned(Signed s, NodeAddress from) {
        Message in = s.inner();
        if (in instanceof Alive a) {
            if (!a.node().equals(s.signer())) {
                reject(from, Rejection.FORGED, s.signer() + " signed an alive about " + a.node());
                return;
            }
            int slot = table.find(a.node());
            if (slot >= 0 && !a.node().equals(localName)
                    && Integer.compareUnsigned(a.incarnation(), table.incarnation(slot)) <= 0) {
                countIfOlder(a.incarnation(), slot); // an equal one is an ordinary duplicate
                return;
            }
        } else if (in instanceof Suspect x) {
            if (!x.from().equals(s.signer())) {
                reject(from, Rejection.FORGED, s.signer() + " signed a suspicion in the name of " + x.from());
                return;
            }
            int slot = table.find(x.node());
            if (slot < 0 || Integer.compareUnsigned(x.incarnation(), table.incarnation(slot)) < 0
                    || table.isDown(slot)) {
                if (slot >= 0) {
                    countIfOlder(x.incarnation(), slot);
                }
                return;
            }
        } else if (in instanceof Dead d) {
            if (!d.from().equals(s.signer())) {
                reject(from, Rejection.FORGED, s.signer() + " signed a death in the name of " + d.from());
                return;
            }
            int slot = table.find(d.node());
            if (slot < 0 || Integer.compareUnsigned(d.incarnation(), table.incarnation(slot)) < 0
                    || table.isDown(slot)) {
                if (slot >= 0) {
                    countIfOlder(d.incarnation(), slot);
                }
                return;
            }
        }
        if (!verified(s, from)) {
            return;
        }
        if (in instanceof Alive a) {
            onAlive(a, from, s.envelope(), Admission.Evidence.SIGNED);
        } else if (in instanceof Suspect x) {
            suspectNode(x, s.envelope());
        } else if (in instanceof Dead d) {
            deadNode(d, s.envelope());
        } else if (in instanceof User u) {
            signedUsers.put(new PayloadKey(u.payload()), s.envelope());
            userMessage(u.payload(), from, s.signer());
        }
    }

    /**
     * Counts a claim older than what the table holds (a replay, or news overtaken in flight); such
     * claims are dropped without signature work, as are equal ones, which are ordinary duplicates.
     */
    private void countIfOlder(int incarnation, int slot) {
        if (Integer.compareUnsigned(incarnation, table.incarnation(slot)) < 0) {
            counters.staleClaims++;
        }
    }

    private boolean verified(Signed s, NodeAddress from) {
        ClaimAuthority.Verdict v = authority.verify(s.signer(), s.signature(), s.certificate(),
                SignedCodec.signedBytes(s));
        switch (v) {
            case OK -> {
                return true;
            }
            case UNKNOWN_SIGNER -> reject(from, Rejection.UNKNOWN_SIGNER, "no certificate known for " + s.signer());
            case UNTRUSTED_CERTIFICATE -> {
                costlyRefusals++;
                reject(from, Rejection.UNTRUSTED_CERTIFICATE, "certificate of " + s.signer() + " is not trusted");
            }
            default -> {
                costlyRefusals++;
                reject(from, Rejection.BAD_SIGNATURE, "signature of " + s.signer() + " does not verify");
            }
        }
        return false;
    }

    /**
     * Whether a signed push/pull has cost too many failed verifications (each a certificate or
     * signature check) to go on with: an honest peer's proofs verify, so after
     * {@link #MAX_FAILED_PROOFS} failures the rest of it is dropped rather than checked.
     */
    private boolean tooManyFailedProofs(long refusalsAtStart, NodeAddress from) {
        if (costlyRefusals - refusalsAtStart < MAX_FAILED_PROOFS) {
            return false;
        }
        reject(from, Rejection.BAD_SIGNATURE, "signed push/pull abandoned after " + MAX_FAILED_PROOFS
                + " proofs that do not verify");
        return true;
    }

    private void onAlive(Alive a, NodeAddress from, byte[] proof, Admission.Evidence evidence) {
        byte[] ip = a.addr();
        if (ip == null || (ip.length != 4 && ip.length != 16)) {
            reject(from, Rejection.BAD_ADDRESS, "alive for " + a.node() + " with a " + (ip == null ? 0 : ip.length)
                    + "-byte address");
            return;
        }
        ProtocolVersions v = ProtocolVersions.fromVsn(a.vsn());
        if (v == null || !v.plausible()) {
            reject(from, Rejection.BAD_VERSION, "alive for " + a.node() + " with an unusable version array");
            return;
        }
        if (a.meta() != null && a.meta().length > Math.max(config.metaMaxSize(), MembershipConfig.DEFAULT_META_MAX_SIZE)) {
            reject(from, Rejection.META_TOO_LARGE, "alive for " + a.node() + " with " + a.meta().length
                    + " bytes of metadata");
            return;
        }
        if (a.node().isEmpty()) {
            reject(from, Rejection.MALFORMED, "alive without a node name");
            return;
        }
        Alive fixed = a;
        if (config.protocolVersion() < 2 || a.port() == 0) {
            fixed = new Alive(a.incarnation(), a.node(), a.addr(), advertise.port(), a.meta(), a.vsn());
        }
        aliveNode(fixed, false, null, proof, from, evidence);
    }

    /** Asks the {@link Admission} check about a received alive; a refusal is counted as vetoed. */
    private boolean admitted(Alive a, NodeAddress from, Admission.Evidence evidence, String what) {
        if (admission == Admission.ALL) {
            return true;
        }
        NodeAddress at = NodeAddress.ofTrusted(a.addr(), a.port());
        if (admission.admit(a.node(), at, evidence == null ? Admission.Evidence.HEARSAY : evidence)) {
            return true;
        }
        reject(from, Rejection.VETOED, "admission refused " + what + ": " + a.node() + " at " + at);
        return false;
    }

    /**
     * Whether a push/pull carries the state of node {@code peer} itself: a record of it (any
     * state), or in signing mode its own signed alive or leave.
     */
    private static boolean speaksFor(Message m, String peer) {
        if (m instanceof PushPull pp) {
            for (PushNodeState n : pp.nodes()) {
                if (n.name().equals(peer)) {
                    return true;
                }
            }
        } else if (m instanceof SignedPushPull spp) {
            for (Signed proof : spp.proofs()) {
                if (proof.signer().equals(peer) && (proof.inner() instanceof Alive a && a.node().equals(peer)
                        || proof.inner() instanceof Dead d && d.node().equals(peer) && d.from().equals(peer))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static NodeAddress replyAddress(byte[] ip, int port, NodeAddress from) {
        if (ip != null && (ip.length == 4 || ip.length == 16) && port > 0) {
            return NodeAddress.ofTrusted(ip, port);
        }
        return from;
    }

    // =============================================================================================
    // State transitions (memberlist's aliveNode, suspectNode, deadNode, refute)
    // =============================================================================================

    /**
     * @param proof    in signing mode, the signed envelope of a received alive (forwarded unchanged);
     *                 null for an alive this node originates (signed here) or outside signing mode
     * @param from     where a received alive came from (for rejections); null for the local node's
     * @param evidence what backs a received alive, for the {@link Admission} check; null for the local node's
     */
    private void aliveNode(Alive a, boolean bootstrap, BroadcastQueue.FinishListener notify, byte[] proof,
                           NodeAddress from, Admission.Evidence evidence) {
        boolean isLocal = a.node().equals(localName);
        if (leaving && isLocal) {
            return;
        }
        long now = clock.getAsLong();
        int slot = table.find(a.node());
        boolean updatesNode = false;
        NodeAddress addr = null;
        if (slot < 0) {
            if (a.incarnation() == 0 && !isLocal) {
                return;
            }
            if (!isLocal && !admitted(a, from, evidence, "a new member")) {
                return;
            }
            addr = interner.address(NodeAddress.ofTrusted(a.addr(), a.port()));
            slot = table.add(interner.name(a.node()), addr, interner.meta(a.meta()), ProtocolVersions.fromVsn(a.vsn()));
            int offset = table.size() > 1 ? random.nextInt(table.size() - 1) : 0;
            table.swap(offset, table.size() - 1);
            slot = offset;
        } else {
            NodeAddress known = table.address(slot);
            if (known.port() != a.port() || !Arrays.equals(known.rawIp(), a.addr())) {
                long reclaim = config.deadNodeReclaimTime().toNanos();
                boolean canReclaim = reclaim > 0 && now - table.changedAt(slot) > reclaim;
                byte st = table.state(slot);
                if (proof != null && Integer.compareUnsigned(a.incarnation(), table.incarnation(slot)) > 0) {
                    // Signing mode: the node itself, proven by its key, moved; not a conflict.
                    if (!admitted(a, from, evidence, "a move from " + known)) {
                        return;
                    }
                    updatesNode = true;
                } else if (st == MemberTable.LEFT || (st == MemberTable.DEAD && canReclaim)) {
                    if (!admitted(a, from, evidence, "a move from " + known)) {
                        return;
                    }
                    updatesNode = true;
                } else {
                    counters.conflicts++;
                    Member claimant = new Member(a.node(), NodeAddress.ofTrusted(a.addr(), a.port()), a.meta(),
                            MemberState.ALIVE, Integer.toUnsignedLong(a.incarnation()), ProtocolVersions.fromVsn(a.vsn()));
                    emit(new MembershipEvent.NameConflict(table.member(slot), claimant));
                    return;
                }
            }
        }
        int known = table.incarnation(slot);
        int cmp = Integer.compareUnsigned(a.incarnation(), known);
        if (cmp <= 0 && !isLocal && !updatesNode) {
            return;
        }
        if (cmp < 0 && isLocal) {
            return;
        }
        cancelSuspicion(a.node());
        byte oldState = table.state(slot);
        byte[] oldMeta = table.meta(slot);
        if (!bootstrap && isLocal) {
            if (cmp == 0 && Arrays.equals(normalize(a.meta()), table.meta(slot)) && Arrays.equals(a.vsn(), localVsn)) {
                return;
            }
            refute(slot, a.incarnation());
        } else {
            byte[] msg = claim(a, proof, isLocal);
            memberBroadcasts.queue(table.name(slot), interner.broadcast(msg), notify);
            if (authority != null) {
                table.setProof(slot, msg);
            }
            ProtocolVersions v = ProtocolVersions.fromVsn(a.vsn());
            if (v != null) {
                table.setVersions(slot, v);
            }
            if (cmp < 0 && !updatesNode) {
                counters.incarnationRegressions++;
            }
            table.setIncarnation(slot, a.incarnation());
            if (!Arrays.equals(oldMeta, normalize(a.meta()))) {
                table.setMeta(slot, interner.meta(a.meta()));
            }
            if (addr == null && (updatesNode || table.address(slot).port() != a.port()
                    || !Arrays.equals(table.address(slot).rawIp(), a.addr()))) {
                table.setAddress(slot, interner.address(NodeAddress.ofTrusted(a.addr(), a.port())));
            }
            table.setState(slot, MemberTable.ALIVE, now);
            failed.remove(a.node());
        }
        if (oldState == MemberTable.DEAD || oldState == MemberTable.LEFT) {
            emit(new MembershipEvent.MemberJoined(table.member(slot)));
        } else if (!Arrays.equals(oldMeta, table.meta(slot))) {
            emit(new MembershipEvent.MemberUpdated(table.member(slot)));
        }
    }

    /** @param proof as for {@link #aliveNode}: a received signed suspicion, or null to originate one */
    private void suspectNode(Suspect s, byte[] proof) {
        int slot = table.find(s.node());
        if (slot < 0) {
            return;
        }
        if (Integer.compareUnsigned(s.incarnation(), table.incarnation(slot)) < 0) {
            return;
        }
        Suspicion existing = suspicions.get(s.node());
        if (existing != null) {
            if (existing.confirm(s.from())) {
                counters.confirmations++;
                memberBroadcasts.queue(table.name(slot), interner.broadcast(claim(s, proof, false)), null);
                long remaining = existing.remaining(clock.getAsLong());
                existing.token = ++tokens;
                schedule(Timer.Kind.SUSPICION, existing.token, s.node(), Math.max(0, remaining));
            }
            return;
        }
        if (table.state(slot) != MemberTable.ALIVE) {
            return;
        }
        if (s.node().equals(localName)) {
            refute(slot, s.incarnation());
            return;
        }
        byte[] msg = claim(s, proof, false);
        memberBroadcasts.queue(table.name(slot), interner.broadcast(msg), null);
        if (authority != null) {
            table.setProof(slot, msg);
        }
        counters.suspicionsStarted++;
        long now = clock.getAsLong();
        table.setIncarnation(slot, s.incarnation());
        table.setState(slot, MemberTable.SUSPECT, now);

        int n = table.size();
        int k = config.suspicionMult() - 2;
        if (n - 2 < k || !config.lifeguard()) {
            k = 0;
        }
        long min = ProtocolMath.suspicionTimeout(config.suspicionMult(), n, probeIntervalNanos);
        long max = config.suspicionMaxTimeoutMult() * min;
        Suspicion sus = new Suspicion(s.from(), k, min, max, now);
        sus.token = ++tokens;
        suspicions.put(table.name(slot), sus);
        schedule(Timer.Kind.SUSPICION, sus.token, table.name(slot), sus.initialTimeout());
    }

    private void onSuspicionTimeout(String node, long token) {
        Suspicion sus = suspicions.get(node);
        if (sus == null || sus.token != token) {
            return;
        }
        int slot = table.find(node);
        if (slot < 0 || table.state(slot) != MemberTable.SUSPECT) {
            suspicions.remove(node);
            return;
        }
        counters.deathsDeclared++;
        deadNode(new Dead(table.incarnation(slot), node, localName), null);
    }

    /** @param proof as for {@link #aliveNode}: a received signed death or leave, or null to originate one */
    private void deadNode(Dead d, byte[] proof) {
        int slot = table.find(d.node());
        if (slot < 0) {
            return;
        }
        if (Integer.compareUnsigned(d.incarnation(), table.incarnation(slot)) < 0) {
            return;
        }
        cancelSuspicion(d.node());
        if (table.isDown(slot)) {
            return;
        }
        if (d.node().equals(localName)) {
            if (!leaving) {
                refute(slot, d.incarnation());
                return;
            }
            byte[] msg = claim(d, null, false);
            memberBroadcasts.queue(localName, msg, transmitted -> reportLeave(transmitted));
            if (authority != null) {
                table.setProof(slot, msg);
            }
        } else {
            byte[] msg = claim(d, proof, false);
            memberBroadcasts.queue(table.name(slot), interner.broadcast(msg), null);
            if (authority != null) {
                table.setProof(slot, msg);
            }
        }
        table.setIncarnation(slot, d.incarnation());
        boolean left = d.node().equals(d.from());
        long now = clock.getAsLong();
        table.setState(slot, left ? MemberTable.LEFT : MemberTable.DEAD, now);
        failed.remove(d.node());
        if (!left && !d.node().equals(localName)) {
            failed.put(table.name(slot), new Failed(table.address(slot), now));
            if (failed.size() > MAX_FAILED_REMEMBERED) {
                Iterator<String> oldest = failed.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        emit(new MembershipEvent.MemberDown(table.member(slot), d.from()));
    }

    private void refute(int selfSlot, int accusedIncarnation) {
        int inc = nextIncarnation();
        if (Integer.compareUnsigned(accusedIncarnation, inc) >= 0) {
            inc = accusedIncarnation + 1;
            incarnation = inc;
        }
        table.setIncarnation(selfSlot, inc);
        counters.refutations++;
        awareness.apply(1);
        Alive a = new Alive(inc, localName, advertise.rawIp(), advertise.port(), localMeta, localVsn);
        byte[] msg = claim(a, null, true);
        memberBroadcasts.queue(localName, msg, null);
        if (authority != null) {
            table.setProof(selfSlot, msg);
        }
    }

    /**
     * The bytes of a membership claim as sent: outside signing mode its plain encoding; in signing
     * mode the received envelope ({@code proof}) forwarded as it is, or a new envelope signed by
     * this node ({@code withCertificate} for its own alive claims).
     */
    private byte[] claim(Message m, byte[] proof, boolean withCertificate) {
        if (proof != null) {
            return proof;
        }
        byte[] payload = WireEncoder.encode(m);
        return authority == null ? payload : sign(payload, withCertificate);
    }

    private byte[] sign(byte[] payload, boolean withCertificate) {
        byte[] signature = authority.sign(SignedCodec.signedBytes(localName, payload));
        return SignedCodec.envelope(localName, signature, withCertificate ? authority.certificate() : null, payload);
    }

    /**
     * A user message as sent: {@code [8][payload]}; in signing mode inside an envelope, the
     * originator's one when this node relays a message it received (so receivers see who sent it),
     * else signed here. Envelopes are remembered by payload, so a broadcast taken many times is
     * signed once.
     */
    private byte[] userClaim(byte[] payload) {
        if (authority == null) {
            return WireEncoder.encode(new User(payload));
        }
        PayloadKey key = new PayloadKey(payload);
        byte[] env = signedUsers.get(key);
        if (env == null) {
            env = sign(WireEncoder.encode(new User(payload)), false);
            signedUsers.put(key, env);
        }
        return env;
    }

    private void cancelSuspicion(String node) {
        suspicions.remove(node);
    }

    // =============================================================================================
    // Probing
    // =============================================================================================

    private void onProbeTick() {
        schedule(Timer.Kind.PROBE_TICK, 0, null, probeIntervalNanos);
        if (probe != null) {
            probeTickPending = true;
            return;
        }
        probeNext();
    }

    /** memberlist's {@code probe()}: the next alive-or-suspect member in round-robin order. */
    private void probeNext() {
        int checked = 0;
        while (true) {
            if (checked >= table.size()) {
                return;
            }
            if (probeIndex >= table.size()) {
                resetNodes();
                probeIndex = 0;
                checked++;
                continue;
            }
            int slot = probeIndex++;
            if (table.name(slot).equals(localName) || table.isDown(slot)) {
                checked++;
                continue;
            }
            probeNode(slot);
            return;
        }
    }

    /** Reaps members down for longer than gossipToTheDeadTime, then reshuffles the probe order. */
    private void resetNodes() {
        long now = clock.getAsLong();
        table.reapAndShuffle(slot -> table.isDown(slot) && !table.name(slot).equals(localName)
                && now - table.changedAt(slot) > gossipToTheDeadNanos, random);
    }

    private void probeNode(int slot) {
        long now = clock.getAsLong();
        ProbeRound p = new ProbeRound(nextSeqNo(), table.name(slot), table.address(slot), table.incarnation(slot),
                table.pMax(slot), now, awareness.scale(probeIntervalNanos));
        probe = p;
        counters.probes++;
        byte[] ping = WireEncoder.encode(new Ping(p.seqNo, p.target, advertise.rawIp(), advertise.port(), localName));
        if (table.state(slot) == MemberTable.SUSPECT && config.lifeguard()) {
            // Buddy system: a suspect learns of the accusation from the ping itself and can refute.
            byte[] suspect = claim(new Suspect(p.incarnation, p.target, localName), null, false);
            rawSend(p.address, slot, Packets.compound(List.of(ping, suspect)));
        } else {
            sendWithPiggyback(p.address, ping);
        }
        schedule(Timer.Kind.PROBE_TIMEOUT, p.seqNo, null, probeTimeoutNanos);
    }

    private void onProbeTimeout(int seqNo) {
        ProbeRound p = probe;
        if (p == null || p.seqNo != seqNo) {
            return;
        }
        p.indirect = true;
        counters.indirectProbes++;
        int[] helpers = randomMembers(config.indirectChecks(), slot -> !table.name(slot).equals(localName)
                && !table.name(slot).equals(p.target) && table.state(slot) == MemberTable.ALIVE);
        for (int h : helpers) {
            boolean nack = config.lifeguard() && table.pMax(h) >= 4;
            if (nack) {
                p.expectedNacks++;
            }
            sendWithPiggyback(table.address(h), WireEncoder.encode(new IndirectPing(p.seqNo, p.address.rawIp(),
                    p.address.port(), p.target, nack, advertise.rawIp(), advertise.port(), localName)));
        }
        long deadline = p.startNanos + p.intervalNanos;
        long now = clock.getAsLong();
        if (config.streamPings() && p.pMax >= 3) {
            long id = nextStreamId++;
            byte[] ping = WireEncoder.encode(new Ping(p.seqNo, p.target, advertise.rawIp(), advertise.port(), localName));
            PendingStream ps = new PendingStream(id, StreamRequest.Kind.PING, p.address, p.target, 0, p.seqNo, 0);
            streams.put(id, ps);
            long timeout = Math.max(MILLI, deadline - now);
            host.openStream(new StreamRequest(id, StreamRequest.Kind.PING, p.address, p.target, streamOut(ping), timeout));
            schedule(Timer.Kind.STREAM_GUARD, id, null, timeout + STREAM_GUARD_GRACE);
        }
        schedule(Timer.Kind.PROBE_DEADLINE, p.seqNo, null, Math.max(0, deadline - now));
    }

    private void onProbeDeadline(int seqNo) {
        ProbeRound p = probe;
        if (p == null || p.seqNo != seqNo) {
            return;
        }
        if (p.streamPingSucceeded) {
            finishProbe(true);
            return;
        }
        counters.probeFailures++;
        int delta = p.expectedNacks > 0 ? Math.max(0, p.expectedNacks - p.nacks) : 1;
        awareness.apply(delta);
        probe = null;
        suspectNode(new Suspect(p.incarnation, p.target, localName), null);
        afterProbe();
    }

    private void finishProbe(boolean success) {
        if (success) {
            awareness.apply(-1);
        }
        probe = null;
        afterProbe();
    }

    private void afterProbe() {
        if (probeTickPending) {
            probeTickPending = false;
            probeNext();
        }
    }

    // =============================================================================================
    // Gossip and push/pull
    // =============================================================================================

    private void onGossipTick() {
        schedule(Timer.Kind.GOSSIP_TICK, 0, null, config.gossipInterval().toNanos());
        long now = clock.getAsLong();
        int[] targets = randomMembers(config.gossipNodes(), slot -> {
            if (table.name(slot).equals(localName)) {
                return false;
            }
            byte st = table.state(slot);
            return st == MemberTable.ALIVE || st == MemberTable.SUSPECT
                    || (st == MemberTable.DEAD && now - table.changedAt(slot) <= gossipToTheDeadNanos);
        });
        int budget = packetBudget() - Packets.COMPOUND_HEADER_OVERHEAD;
        for (int slot : targets) {
            List<byte[]> msgs = new ArrayList<>();
            takeBroadcasts(Packets.COMPOUND_PART_OVERHEAD, budget, Packets.MAX_INTEROP_COMPOUND_PARTS, msgs);
            if (msgs.isEmpty()) {
                return;
            }
            rawSend(table.address(slot), slot, msgs.size() == 1 ? msgs.get(0) : Packets.compound(msgs));
        }
    }

    private void onPushPullTick() {
        schedule(Timer.Kind.PUSH_PULL_TICK, 0, null,
                ProtocolMath.pushPullScale(config.pushPullInterval().toNanos(), table.size()));
        int[] peer = randomMembers(1, slot -> !table.name(slot).equals(localName)
                && table.state(slot) == MemberTable.ALIVE);
        if (peer.length == 1) {
            pushPullWith(table.address(peer[0]), table.name(peer[0]), false, 0, 0);
        }
    }

    /**
     * Serf-style reconnect: with probability {@code failed / alive}, push/pull with one random
     * member held as failed. If it answers, the exchange makes both sides refute the other's claim
     * that they are dead; a second exchange right after then carries the refuted incarnations
     * across, and anti-entropy spreads the rest.
     */
    private void onReconnectTick() {
        schedule(Timer.Kind.RECONNECT_TICK, 0, null, config.reconnectInterval().toNanos());
        long now = clock.getAsLong();
        long timeout = config.reconnectTimeout().toNanos();
        for (Iterator<Failed> it = failed.values().iterator(); it.hasNext(); ) {
            if (now - it.next().since > timeout) {
                it.remove();
            } else {
                break;
            }
        }
        if (failed.isEmpty() || leaving) {
            return;
        }
        int alive = Math.max(1, numMembers());
        if (random.nextDouble() > (double) failed.size() / alive) {
            return;
        }
        int pick = random.nextInt(failed.size());
        for (Map.Entry<String, Failed> e : failed.entrySet()) {
            if (pick-- == 0) {
                pushPullWith(e.getValue().address, e.getKey(), false, 0, 1);
                return;
            }
        }
    }

    private void pushPullWith(NodeAddress target, String name, boolean join, long joinId, int reconnectRound) {
        long id = nextStreamId++;
        counters.pushPullsStarted++;
        PendingStream ps = new PendingStream(id, StreamRequest.Kind.PUSH_PULL, target, name, joinId, 0,
                reconnectRound);
        streams.put(id, ps);
        long timeout = config.streamTimeout().toNanos();
        host.openStream(new StreamRequest(id, StreamRequest.Kind.PUSH_PULL, target, name,
                streamOut(encodeLocalState(join)), timeout));
        schedule(Timer.Kind.STREAM_GUARD, id, null, timeout + STREAM_GUARD_GRACE);
    }

    /**
     * The full local state: every member, dead and left included, plus the delegate's state. In
     * signing mode, each member's signed proof instead of a bare record (members without one, which
     * cannot happen once running, are left out).
     */
    private byte[] encodeLocalState(boolean join) {
        byte[] user = delegate.localState(join);
        if (authority != null) {
            List<byte[]> proofs = new ArrayList<>(table.size());
            for (int i = 0; i < table.size(); i++) {
                if (table.proof(i) != null) {
                    proofs.add(table.proof(i));
                }
            }
            List<byte[]> recent = new ArrayList<>(signedUsers.values());
            if (recent.size() > SIGNED_PUSH_PULL_BROADCASTS) {
                recent = recent.subList(recent.size() - SIGNED_PUSH_PULL_BROADCASTS, recent.size());
            }
            return SignedCodec.encodePushPull(join, proofs, recent, user);
        }
        List<PushNodeState> nodes = new ArrayList<>(table.size());
        for (int i = 0; i < table.size(); i++) {
            NodeAddress a = table.address(i);
            ProtocolVersions v = table.versions(i);
            nodes.add(new PushNodeState(table.name(i), a.rawIp(), a.port(), table.meta(i), table.incarnation(i),
                    table.state(i), v == null ? localVsn : v.toVsn()));
        }
        return WireEncoder.encode(new PushPull(join, nodes, user == null ? EMPTY : user));
    }

    /**
     * The signing-mode merge: each proof is handled as if it had arrived by gossip (so it is checked
     * and verified the same way), except that a remote node's death or suspicion of another node
     * only makes this node suspect it, in its own name, as memberlist's merge does.
     */
    private void mergeSigned(SignedPushPull spp, NodeAddress from) {
        long refusalsAtStart = costlyRefusals;
        for (Signed proof : spp.proofs()) {
            if (tooManyFailedProofs(refusalsAtStart, from)) {
                return;
            }
            Message in = proof.inner();
            if (in instanceof Alive || (in instanceof Dead d && d.node().equals(d.from()))) {
                onSigned(proof, from);
            } else if (in instanceof Dead || in instanceof Suspect) {
                String node = in instanceof Dead d ? d.node() : ((Suspect) in).node();
                int inc = in instanceof Dead d ? d.incarnation() : ((Suspect) in).incarnation();
                int slot = table.find(node);
                if (slot < 0 || table.state(slot) != MemberTable.ALIVE || node.equals(localName)
                        || Integer.compareUnsigned(inc, table.incarnation(slot)) < 0) {
                    if (slot >= 0) {
                        countIfOlder(inc, slot);
                    }
                    continue;
                }
                if (verified(proof, from)) {
                    suspectNode(new Suspect(inc, node, localName), null);
                }
            } else {
                reject(from, Rejection.UNEXPECTED_MESSAGE, "a push/pull proof that is a " + in.type());
            }
        }
        // Recent signed user messages first: what the delegate's state then replays (Serf's events)
        // has already arrived with its signature, and the delegate drops the unsigned copy.
        for (Signed b : spp.broadcasts()) {
            if (tooManyFailedProofs(refusalsAtStart, from)) {
                return;
            }
            if (b.inner() instanceof User) {
                onSigned(b, from);
            } else {
                reject(from, Rejection.UNEXPECTED_MESSAGE, "a push/pull broadcast that is a " + b.inner().type());
            }
        }
        byte[] user = spp.userState();
        if (user != null && user.length > 0) {
            delegate.mergeRemoteState(user, spp.join());
        }
    }

    /**
     * memberlist's {@code mergeRemoteState}: verify versions, then merge each record (a remote
     * "dead" only makes us suspect), then hand the user state to the delegate.
     *
     * @return null on success, else why the merge was refused
     */
    private String mergeRemoteState(PushPull pp, NodeAddress from, String peer) {
        for (PushNodeState n : pp.nodes()) {
            if (n.vsn() == null || n.vsn().length != 6) {
                reject(from, Rejection.BAD_VERSION, "push/pull record for " + n.name() + " has a "
                        + (n.vsn() == null ? 0 : n.vsn().length) + "-byte version array");
                return "node '" + n.name() + "' has an unusable version array";
            }
        }
        String incompatible = verifyProtocol(pp.nodes());
        if (incompatible != null) {
            reject(from, Rejection.INCOMPATIBLE_VERSION, incompatible);
            return incompatible;
        }
        for (PushNodeState n : pp.nodes()) {
            MemberState st = MemberState.ofCode(n.state());
            if (st == null || n.name().isEmpty()) {
                continue;
            }
            switch (st) {
                case ALIVE -> onAlive(new Alive(n.incarnation(), n.name(), n.addr(), n.port(), n.meta(), n.vsn()), from,
                        null, n.name().equals(peer) ? Admission.Evidence.STREAM_PEER : Admission.Evidence.HEARSAY);
                case LEFT -> deadNode(new Dead(n.incarnation(), n.name(), n.name()), null);
                case DEAD, SUSPECT -> suspectNode(new Suspect(n.incarnation(), n.name(), localName), null);
            }
        }
        byte[] user = pp.userState();
        if (user != null && user.length > 0) {
            delegate.mergeRemoteState(user, pp.join());
        }
        return null;
    }

    /** memberlist's {@code verifyProtocol} over the remote records and the local alive members. */
    private String verifyProtocol(List<PushNodeState> remote) {
        int maxPMin = 0;
        int minPMax = 255;
        int maxDMin = 0;
        int minDMax = 255;
        for (PushNodeState n : remote) {
            if (n.state() != MemberTable.ALIVE) {
                continue;
            }
            byte[] v = n.vsn();
            maxPMin = Math.max(maxPMin, v[0] & 0xff);
            minPMax = Math.min(minPMax, v[1] & 0xff);
            maxDMin = Math.max(maxDMin, v[3] & 0xff);
            minDMax = Math.min(minDMax, v[4] & 0xff);
        }
        for (int i = 0; i < table.size(); i++) {
            ProtocolVersions v = table.versions(i);
            if (table.state(i) != MemberTable.ALIVE || v == null) {
                continue;
            }
            maxPMin = Math.max(maxPMin, v.pMin());
            minPMax = Math.min(minPMax, v.pMax());
            maxDMin = Math.max(maxDMin, v.dMin());
            minDMax = Math.min(minDMax, v.dMax());
        }
        for (PushNodeState n : remote) {
            int pCur = n.vsn()[2] & 0xff;
            int dCur = n.vsn()[5] & 0xff;
            if (pCur < maxPMin || pCur > minPMax) {
                return "node '" + n.name() + "' protocol version (" + pCur + ") is incompatible: [" + maxPMin + ", "
                        + minPMax + "]";
            }
            if (dCur < maxDMin || dCur > minDMax) {
                return "node '" + n.name() + "' delegate protocol version (" + dCur + ") is incompatible: [" + maxDMin
                        + ", " + minDMax + "]";
            }
        }
        for (int i = 0; i < table.size(); i++) {
            ProtocolVersions v = table.versions(i);
            if (v == null) {
                continue;
            }
            if (v.pCur() < maxPMin || v.pCur() > minPMax) {
                return "node '" + table.name(i) + "' protocol version (" + v.pCur() + ") is incompatible: ["
                        + maxPMin + ", " + minPMax + "]";
            }
            if (v.dCur() < maxDMin || v.dCur() > minDMax) {
                return "node '" + table.name(i) + "' delegate protocol version (" + v.dCur()
                        + ") is incompatible: [" + maxDMin + ", " + minDMax + "]";
            }
        }
        return null;
    }

    private void streamSucceeded(PendingStream ps) {
        if (ps.reconnectRound == 1 && state(ps.targetName) != MemberState.ALIVE) {
            pushPullWith(ps.target, ps.targetName, false, 0, 2);
        }
        if (ps.joinId != 0) {
            JoinState js = joins.get(ps.joinId);
            if (js != null) {
                js.contacted++;
                joinStep(js);
            }
        }
    }

    private void streamFailed(PendingStream ps, String reason) {
        if (ps.kind == StreamRequest.Kind.PUSH_PULL) {
            counters.pushPullFailures++;
            if (ps.joinId != 0) {
                JoinState js = joins.get(ps.joinId);
                if (js != null) {
                    js.failures.add(ps.target + ": " + reason);
                    joinStep(js);
                }
            }
        }
    }

    private void joinStep(JoinState js) {
        if (--js.remaining == 0) {
            joins.remove(js.id);
            emit(new MembershipEvent.JoinCompleted(js.id, js.contacted, js.failures));
        }
    }

    // =============================================================================================
    // Sending
    // =============================================================================================

    /** Bytes of a packet the core may fill: the configured budget minus the host's overheads. */
    private int packetBudget() {
        return config.udpBufferSize() - packetOverhead;
    }

    /** memberlist's {@code sendMsg}: one message plus whatever broadcasts fit beside it. */
    private void sendWithPiggyback(NodeAddress to, byte[] msg) {
        int avail = packetBudget() - msg.length - Packets.COMPOUND_HEADER_OVERHEAD;
        List<byte[]> parts = null;
        if (avail > Packets.COMPOUND_PART_OVERHEAD) {
            parts = new ArrayList<>();
            parts.add(msg);
            takeBroadcasts(Packets.COMPOUND_PART_OVERHEAD, avail, Packets.MAX_INTEROP_COMPOUND_PARTS - 1, parts);
        }
        if (parts == null || parts.size() == 1) {
            rawSend(to, -1, msg);
        } else {
            rawSend(to, -1, Packets.compound(parts));
        }
    }

    /** Fills {@code out} from the membership queue, then user broadcasts, then the delegate's. */
    private void takeBroadcasts(int overhead, int limit, int maxCount, List<byte[]> out) {
        int before = out.size();
        int transmitLimit = ProtocolMath.retransmitLimit(config.retransmitMult(), table.size());
        int used = memberBroadcasts.take(overhead, limit, maxCount, transmitLimit, out);
        int count = out.size() - before;
        if (count < maxCount) {
            used += userBroadcasts.take(overhead, limit - used, maxCount - count, transmitLimit, out);
            count = out.size() - before;
        }
        int avail = limit - used;
        if (count < maxCount && avail > overhead + Packets.USER_MSG_OVERHEAD) {
            for (byte[] m : delegate.broadcasts(overhead + Packets.USER_MSG_OVERHEAD, avail)) {
                if (count >= maxCount) {
                    break;
                }
                out.add(userClaim(m));
                count++;
            }
        }
    }

    /**
     * memberlist's {@code rawSendMsgPacket}: compress when that makes the packet smaller, add a CRC
     * when the recipient is a known member that understands protocol 5, hand to the host.
     *
     * @param slot the recipient's member slot, or -1 when sending to an address
     */
    private void rawSend(NodeAddress to, int slot, byte[] packet) {
        byte[] out = packet;
        if (config.compression()) {
            byte[] compressed = Packets.compress(packet);
            if (compressed.length < packet.length) {
                out = compressed;
            }
        }
        if (slot >= 0 && table.pMax(slot) >= 5) {
            out = Packets.withCrc(out);
        }
        counters.packetsSent++;
        counters.bytesSent += out.length;
        host.sendPacket(to, out);
    }

    /** Stream bytes as memberlist writes them: compressed whenever compression is on. */
    private byte[] streamOut(byte[] message) {
        return config.compression() ? Packets.compress(message) : message;
    }

    /** A payload compared by content, for the envelope cache. */
    private static final class PayloadKey {
        private final byte[] bytes;
        private final int hash;

        PayloadKey(byte[] bytes) {
            this.bytes = bytes;
            this.hash = Arrays.hashCode(bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PayloadKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    // =============================================================================================
    // Helpers
    // =============================================================================================

    /** memberlist's {@code kRandomNodes}: up to k distinct members passing the filter, 3n tries. */
    private int[] randomMembers(int k, MemberTable.SlotPredicate filter) {
        int n = table.size();
        int[] picked = new int[k];
        int count = 0;
        outer:
        for (int i = 0; i < 3 * n && count < k; i++) {
            int slot = random.nextInt(n);
            if (!filter.test(slot)) {
                continue;
            }
            for (int j = 0; j < count; j++) {
                if (picked[j] == slot) {
                    continue outer;
                }
            }
            picked[count++] = slot;
        }
        return count == k ? picked : Arrays.copyOf(picked, count);
    }

    private boolean anyOtherAlive() {
        for (int i = 0; i < table.size(); i++) {
            if (!table.isDown(i) && !table.name(i).equals(localName)) {
                return true;
            }
        }
        return false;
    }

    private void reportLeave(boolean propagated) {
        if (!leaveReported) {
            leaveReported = true;
            emit(new MembershipEvent.LeaveCompleted(propagated));
        }
    }

    private void userMessage(byte[] payload, NodeAddress from, String signer) {
        boolean consumed = signer == null ? delegate.userMessage(payload, from)
                : delegate.userMessage(payload, from, signer);
        if (!consumed) {
            emit(new MembershipEvent.UserMessage(payload, from, signer));
        }
    }

    private void emit(MembershipEvent event) {
        if (event instanceof MembershipEvent.MemberJoined j && !j.member().name().equals(localName)
                || event instanceof MembershipEvent.MemberUpdated u && !u.member().name().equals(localName)
                || event instanceof MembershipEvent.MemberDown d && !d.member().name().equals(localName)) {
            noteNews();
        }
        delegate.event(event);
        host.emit(event);
    }

    /**
     * Counts input the host refused before it reached the core (a stream its framer could not
     * delimit, for example) under the same typed reasons as the core's own refusals, so that every
     * refusal shows in {@link CoreMetrics#rejections()}. Core thread, like every input.
     *
     * @param from   where the input came from, or null if unknown
     * @param reason why it was refused
     * @param detail a short description for the host's log
     */
    public void noteRejected(NodeAddress from, Rejection reason, String detail) {
        reject(from, Objects.requireNonNull(reason, "reason"), detail);
    }

    private void reject(NodeAddress from, Rejection reason, String detail) {
        counters.reject(reason);
        host.rejected(from, reason, detail);
    }

    private void schedule(Timer.Kind kind, long token, String subject, long delayNanos) {
        host.schedule(new Timer(kind, token, subject), delayNanos);
    }

    private long stagger(long period) {
        return period <= 1 ? 0 : random.nextLong(period);
    }

    private int nextSeqNo() {
        return ++sequence;
    }

    private int nextIncarnation() {
        return ++incarnation;
    }

    private static byte[] normalize(byte[] meta) {
        return meta == null ? EMPTY : meta;
    }

    private void requireStarted() {
        if (!started) {
            throw new IllegalStateException("core not started");
        }
    }

    private void requireRunning() {
        requireStarted();
        if (shutdown) {
            throw new IllegalStateException("core is shut down");
        }
    }

    // =============================================================================================
    // Small state holders
    // =============================================================================================

    /** The probe in progress (memberlist runs at most one at a time). */
    private static final class ProbeRound {
        final int seqNo;
        final String target;
        final NodeAddress address;
        final int incarnation;
        final int pMax;
        final long startNanos;
        final long intervalNanos;
        boolean indirect;
        int expectedNacks;
        int nacks;
        boolean streamPingSucceeded;

        ProbeRound(int seqNo, String target, NodeAddress address, int incarnation, int pMax, long startNanos,
                   long intervalNanos) {
            this.seqNo = seqNo;
            this.target = target;
            this.address = address;
            this.incarnation = incarnation;
            this.pMax = pMax;
            this.startNanos = startNanos;
            this.intervalNanos = intervalNanos;
        }
    }

    /** An indirect probe this node relays for another. */
    private record Relay(int requesterSeq, NodeAddress replyTo, boolean nack) {
    }

    /** A stream this node opened and awaits. */
    private record PendingStream(long id, StreamRequest.Kind kind, NodeAddress target, String targetName,
                                 long joinId, int seqNo, int reconnectRound) {
    }

    /** A member declared failed, remembered for reconnect attempts. */
    private record Failed(NodeAddress address, long since) {
    }

    /** Progress of one {@link #join}. */
    private static final class JoinState {
        final long id;
        int remaining;
        int contacted;
        final List<String> failures = new ArrayList<>();

        JoinState(long id, int seeds) {
            this.id = id;
            this.remaining = seeds;
        }
    }

    /** Mutable counters behind {@link CoreMetrics}. */
    private static final class Counters {
        long packetsSent;
        long bytesSent;
        long packetsReceived;
        long bytesReceived;
        final long[] rejections = new long[Rejection.values().length];
        long probes;
        long probeFailures;
        long indirectProbes;
        long rttCount;
        long rttSum;
        long rttMax;
        long suspicionsStarted;
        long confirmations;
        long deathsDeclared;
        long refutations;
        long pushPullsStarted;
        long pushPullsServed;
        long pushPullFailures;
        long catchUps;
        long staleClaims;
        long conflicts;
        long incarnationRegressions;

        void reject(Rejection r) {
            rejections[r.ordinal()]++;
        }

        void recordRtt(long rtt) {
            rttCount++;
            rttSum += rtt;
            rttMax = Math.max(rttMax, rtt);
        }

        CoreMetrics snapshot(int health, MemberTable t, int queued) {
            Map<Rejection, Long> rej = new EnumMap<>(Rejection.class);
            for (Rejection r : Rejection.values()) {
                if (rejections[r.ordinal()] > 0) {
                    rej.put(r, rejections[r.ordinal()]);
                }
            }
            return new CoreMetrics(packetsSent, bytesSent, packetsReceived, bytesReceived, rej, probes,
                    probeFailures, indirectProbes, rttCount, rttSum, rttMax, suspicionsStarted, confirmations,
                    deathsDeclared, refutations, pushPullsStarted, pushPullsServed, pushPullFailures, catchUps, staleClaims,
                    conflicts,
                    health, t.count(MemberTable.ALIVE), t.count(MemberTable.SUSPECT), t.count(MemberTable.DEAD),
                    t.count(MemberTable.LEFT), queued);
        }
    }

    // =============================================================================================
    // Builder
    // =============================================================================================

    /**
     * Builds a {@link MembershipCore}. Not thread-safe; {@link #build()} validates.
     */
    public static final class Builder {
        private MembershipConfig config = MembershipConfig.lan();
        private String name;
        private NodeAddress advertise;
        private byte[] meta = EMPTY;
        private Host host;
        private Delegate delegate = new Delegate() {
        };
        private LongSupplier clock;
        private RandomGenerator random;
        private Interner interner = Interner.NONE;
        private ClaimAuthority authority;
        private Admission admission = Admission.ALL;
        private int packetOverhead;
        private int expectedMembers = 16;

        private Builder() {
        }

        /** Protocol tuning; default {@link MembershipConfig#lan()}. */
        public Builder config(MembershipConfig v) {
            config = Objects.requireNonNull(v, "config");
            return this;
        }

        /** The node's unique name (1..255 bytes of UTF-8). Required. */
        public Builder name(String v) {
            name = Objects.requireNonNull(v, "name");
            return this;
        }

        /** The address peers should use for this node (gossip UDP and TCP port). Required. */
        public Builder advertise(NodeAddress v) {
            advertise = Objects.requireNonNull(v, "advertise");
            return this;
        }

        /** Initial node metadata (copied); at most {@link MembershipConfig#metaMaxSize()} bytes. */
        public Builder meta(byte[] v) {
            meta = v == null ? EMPTY : v.clone();
            return this;
        }

        /** Where effects go. Required. */
        public Builder host(Host v) {
            host = Objects.requireNonNull(v, "host");
            return this;
        }

        /** Application hooks; default: none. */
        public Builder delegate(Delegate v) {
            delegate = Objects.requireNonNull(v, "delegate");
            return this;
        }

        /** Monotonic nanoseconds (e.g. {@code System::nanoTime}, or a simulator's virtual clock). Required. */
        public Builder clock(LongSupplier v) {
            clock = Objects.requireNonNull(v, "clock");
            return this;
        }

        /** Source of randomness (probe order, gossip targets, timer stagger). Required. */
        public Builder random(RandomGenerator v) {
            random = Objects.requireNonNull(v, "random");
            return this;
        }

        /** Value sharing for many cores in one JVM; default {@link Interner#NONE}. */
        public Builder interner(Interner v) {
            interner = Objects.requireNonNull(v, "interner");
            return this;
        }

        /**
         * Turns on signing mode: this node signs every claim it makes and accepts only claims
         * signed by the node entitled to make them (see {@link ClaimAuthority}). Every member of
         * the cluster must be in signing mode. Default: off (memberlist's unsigned protocol).
         */
        public Builder authority(ClaimAuthority v) {
            authority = Objects.requireNonNull(v, "authority");
            return this;
        }

        /**
         * The check a node must pass to enter the member list or move to another address (see
         * {@link Admission}). Default {@link Admission#ALL}: everyone, as memberlist.
         */
        public Builder admission(Admission v) {
            admission = Objects.requireNonNull(v, "admission");
            return this;
        }

        /** Bytes the host adds to each packet; see {@link MembershipCore#setPacketOverhead}. */
        public Builder packetOverhead(int v) {
            packetOverhead = v;
            return this;
        }

        /** Initial member table capacity (it grows as needed). */
        public Builder expectedMembers(int v) {
            expectedMembers = Math.max(1, v);
            return this;
        }

        /**
         * Validates and builds (not started).
         *
         * @throws IllegalArgumentException naming the missing or bad setting
         */
        public MembershipCore build() {
            require(name != null, "name is required");
            int nameBytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            require(nameBytes >= 1 && nameBytes <= 255, "name must be 1..255 bytes of UTF-8, got " + nameBytes);
            require(advertise != null, "advertise is required");
            require(advertise.port() > 0, "advertise port must be 1..65535");
            require(host != null, "host is required");
            require(clock != null, "clock is required");
            require(random != null, "random is required");
            require(meta.length <= config.metaMaxSize(), "meta is " + meta.length + " bytes, limit is "
                    + config.metaMaxSize());
            require(packetOverhead >= 0 && packetOverhead <= config.udpBufferSize() / 2,
                    "packetOverhead out of range: " + packetOverhead);
            if (authority != null) {
                // Our own alive, with the certificate and metadata at their largest, must fit a packet.
                int alive = SignedCodec.overhead(name, authority.certificate()) + 1 + 128 + nameBytes
                        + config.metaMaxSize();
                int room = config.udpBufferSize() - packetOverhead - 2 - 2;
                require(alive <= room, "a signed alive (certificate of " + authority.certificate().length
                        + " bytes, metadata up to " + config.metaMaxSize() + ") needs " + alive + " bytes but a packet "
                        + "has " + room + ": raise udpBufferSize or lower metaMaxSize");
            }
            return new MembershipCore(this);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
