package dev.grapevine.serf;

import dev.grapevine.membership.BroadcastQueue;
import dev.grapevine.membership.Delegate;
import dev.grapevine.membership.Member;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.ProtocolVersions;
import dev.grapevine.membership.Rejection;
import dev.grapevine.membership.wire.DecodeResult;
import dev.grapevine.membership.wire.Packets;
import dev.grapevine.membership.wire.SerfCodec;
import dev.grapevine.membership.wire.SerfMessage;
import dev.grapevine.membership.wire.SerfPayload;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The Serf 0.9.4 layer on top of a {@link MembershipCore}: Lamport clocks, join and leave intents,
 * Serf member statuses, user events, queries (with Serf's internal ping, conflict and key
 * queries), and Serf's push/pull state, wire-compatible with Serf agents (memberlist-wire.md §11).
 * Like the core it is a single-threaded state machine without I/O: it is the core's
 * {@link Delegate}, sends through the core, keeps time with the core's delegate timers, and reports
 * through a {@link SerfHost}.
 *
 * <pre>{@code
 * SerfCore serf = SerfCore.builder()
 *         .config(SerfConfig.defaults())
 *         .tags(Map.of("role", "web"))
 *         .host(serfHost)                          // emit(SerfEvent)
 *         .clock(System::nanoTime).random(new SplittableRandom())
 *         .keyring(keyring)                        // optional: answers the key queries
 *         .membership(MembershipCore.builder()     // everything but delegate and meta
 *                 .config(MembershipConfig.lan().toBuilder().delegateProtocol(2, 5, 5).build())
 *                 .name("node-1").advertise(NodeAddress.of("10.0.0.1", 7946))
 *                 .host(host).clock(System::nanoTime).random(new SplittableRandom()))
 *         .build();
 * serf.start();                                    // starts the core
 * serf.join(List.of(NodeAddress.of("10.0.0.2", 7946)), false);
 * serf.userEvent("deploy", payload, false);
 * QueryHandle q = serf.query("load", null, QueryOptions.defaults());
 * serf.leave();                                    // ... SerfEvent.LeaveCompleted, then shutdown()
 * }</pre>
 *
 * <h2>Serf's rules, and where this differs</h2>
 * <ul>
 *   <li><b>Members and statuses.</b> A member appears on memberlist's join, with the status time of
 *       any buffered intent; memberlist's leave makes an alive member <em>failed</em> and a leaving
 *       one <em>left</em>. <i>Difference:</i> when memberlist reports the member <em>left</em>
 *       (its own dead message), it is recorded left even if its leave intent never arrived, so a
 *       graceful leave is never reported as a failure. Failed members are reaped after
 *       {@code reconnectTimeout}, left ones after {@code tombstoneTimeout}, every
 *       {@code reapInterval}; at most {@value #MAX_TOMBSTONES} of each are kept (the oldest is
 *       reaped early).</li>
 *   <li><b>Intents.</b> Join and leave intents carry the membership Lamport time; one is applied
 *       only when newer than the member's status time, and re-gossiped only when it changed
 *       something. Intents about unknown nodes are buffered for {@code recentIntentTimeout} (at
 *       most {@value #MIN_INTENT_CAPACITY} or twice the member count, oldest dropped first). A
 *       leave intent about this node while it is alive is refuted with a newer join intent. A join
 *       intent is broadcast after every join that reached a seed.</li>
 *   <li><b>Graceful leave</b> ({@link #leave()}): the leave intent is queued; once it has been sent
 *       as often as the retransmit limit asks, or after {@code broadcastTimeout}, the core leaves;
 *       once memberlist's leave completed, the node stays up for {@code leavePropagateDelay} and then
 *       reports {@link SerfEvent.LeaveCompleted}. <i>Difference:</i> Serf gives up with an error
 *       (and no memberlist leave) when the intent times out; this proceeds.</li>
 *   <li><b>User events</b>: size limits ({@code userEventSizeLimit} for name + payload and for the
 *       encoded event, 9 KiB ceiling, and one UDP packet), the event clock, de-duplication by
 *       (Lamport time, name, payload) over the last {@code eventBuffer} Lamport times, re-gossip on
 *       first sight, the whole event ring in every push/pull and replayed from peers' (so a node
 *       that missed the gossip still gets the event, once), events before the peers' clock ignored
 *       after a {@code join(..., ignoreOld = true)}, and optional coalescing of events marked so
 *       (within a window only the events of the newest Lamport time per name are delivered).
 *       <i>Difference:</i> at most {@value #MAX_EVENTS_PER_LTIME} distinct events are remembered per
 *       Lamport time, and 8 MiB in the whole ring; more are dropped (see {@link EventRing}).</li>
 *   <li><b>Queries</b>: node-name and tag filters (Go regular expressions, see {@link TagMatcher}),
 *       the default timeout {@code gossipInterval × queryTimeoutMult × ceil(log10(n+1))}, ack and
 *       no-broadcast flags, relay factor, acks and responses by UDP straight to the query's
 *       address (and relayed through members of protocol ≥ 5), de-duplication by (Lamport time, id)
 *       over {@code queryBuffer} Lamport times, size limits, one response per query before its
 *       deadline. For the queries started here, answers are matched by Lamport time and id and
 *       de-duplicated per node. <i>Differences:</i> only query responses are relayed on (Serf
 *       forwards any bytes, an open reflector); a query with an empty filter is not processed (Serf
 *       panics).</li>
 *   <li><b>Internal queries</b>: {@code _serf_ping} (ack only), {@code _serf_conflict}, and the key
 *       queries, answered as Serf answers them through {@link KeyringOps}; and the sending side of
 *       the key queries with Serf's {@code KeyManager} aggregation ({@link #installKey} ...). A name
 *       conflict about this node runs Serf's vote and reports {@link SerfEvent.NameConflictResolved}
 *       (Serf shuts itself down when it loses; here the host decides).</li>
 *   <li><b>Not here</b>: network coordinates (the ack payload is nil, which Serf ignores), member
 *       event coalescing, snapshots, and Serf's reconnect loop, which the core runs itself
 *       ({@link MembershipConfig#reconnectInterval()}).</li>
 * </ul>
 * Every message decoded from the network that is malformed is counted and dropped; no input throws.
 *
 * <p><b>Threading.</b> Not thread-safe: every method must be called on the core's thread. The core
 * calls the {@link Delegate} methods; the host calls the rest, never from inside a core or Serf
 * callback except {@link #respond} and the read-only queries ({@link #members()}, {@link #member},
 * {@link #state()}, {@link #metrics()}, ...), which may be called from {@link SerfHost#emit}. Work
 * the core does not allow inside its callbacks (its {@code leave}, {@code updateMetadata}) is
 * deferred to a delegate timer of delay 0.
 */
public final class SerfCore implements Delegate {
    /** Prefix of Serf's internal queries; they are answered here and never reach the host. */
    public static final String INTERNAL_QUERY_PREFIX = "_serf_";
    /** Serf's limit on encoded tags (memberlist's {@code MetaMaxSize}). */
    public static final int MAX_TAGS_BYTES = 512;
    /** Distinct user events remembered per Lamport time. */
    static final int MAX_EVENTS_PER_LTIME = EventRing.MAX_PER_LTIME;
    /** Failed (and, separately, left) members kept at most. */
    static final int MAX_TOMBSTONES = 65_536;
    /** Buffered intents kept at least (the bound is the larger of this and twice the member count). */
    static final int MIN_INTENT_CAPACITY = 4096;
    /** Coalesced events held at most before an early flush. */
    static final int MAX_COALESCED = 4096;
    /** Bytes a host may add to each packet (AES-GCM: version, nonce, tag), kept free for user events. */
    static final int PACKET_RESERVE = 1 + 12 + 16;
    /** Serf's estimate of the smallest encoded key, for list-keys truncation ({@code minEncodedKeyLength}). */
    static final int MIN_ENCODED_KEY_LENGTH = 25;

    private static final byte[] EMPTY = new byte[0];

    private final SerfConfig config;
    private final SerfHost host;
    private final LongSupplier clock;
    private final RandomGenerator random;
    private final KeyringOps keyring;
    private final TagMatcher tagMatcher = new TagMatcher();
    private MembershipCore core;
    private String localName;
    private Map<String, String> tags;

    private final LamportClock memberClock = new LamportClock();
    private final LamportClock eventClock = new LamportClock();
    private final LamportClock queryClock = new LamportClock();
    private final BroadcastQueue intentQueue;
    private final BroadcastQueue eventQueue;
    private final BroadcastQueue queryQueue;

    private final Map<String, MemberRecord> members = new LinkedHashMap<>();
    /** Failed and left members, oldest first (insertion order). */
    private final Set<String> failedMembers = new LinkedHashSet<>();
    private final Set<String> leftMembers = new LinkedHashSet<>();
    private final Map<String, Intent> recentIntents = new LinkedHashMap<>();

    private final EventRing eventRing;
    private long eventMinTime;
    private final QueryRing queryRing;
    private final long queryMinTime = 0; // Serf raises it only from a snapshot, which this has not
    private final Map<Long, QueryHandle> runningQueries = new HashMap<>();

    private final Map<Long, Runnable> timers = new HashMap<>();
    private long timerTokens;
    private int callbackDepth;
    /** The signer of the user message being dispatched (signing mode), else null. */
    private String currentSigner;
    private boolean reaperStarted;

    private SerfState state = SerfState.ALIVE;
    private LeavePhase leavePhase = LeavePhase.NONE;
    private boolean leaveIntentSent;
    private final Set<Long> ignoreOldJoins = new HashSet<>();
    private boolean joiningIgnoreOld;
    /** The id of the latest join the core reported complete (a join without seeds completes inside the call). */
    private long completedJoin = -1;
    private boolean conflictVoteRunning;
    private final Coalescer coalescer;
    private final Counters counters = new Counters();

    private SerfCore(Builder b) {
        this.config = b.config;
        this.host = b.host;
        this.clock = b.clock;
        this.random = b.random;
        this.keyring = b.keyring;
        this.tags = Map.copyOf(b.tags);
        this.intentQueue = new BroadcastQueue(config.maxQueueDepth());
        this.eventQueue = new BroadcastQueue(config.maxQueueDepth());
        this.queryQueue = new BroadcastQueue(config.maxQueueDepth());
        this.eventRing = new EventRing(config.eventBuffer());
        this.queryRing = new QueryRing(config.queryBuffer());
        this.coalescer = config.userCoalescing() ? new Coalescer() : null;
        memberClock.increment();
        eventClock.increment();
        queryClock.increment();
    }

    /** A builder; {@code host}, {@code clock}, {@code random} and {@code membership} are required. */
    public static Builder builder() {
        return new Builder();
    }

    // =============================================================================================
    // Lifecycle and user calls
    // =============================================================================================

    /** The underlying core (drive it with packets, streams and timers as usual). */
    public MembershipCore core() {
        return core;
    }

    /** Starts the core ({@link MembershipCore#start()}); the Serf layer starts with it. */
    public void start() {
        core.start();
    }

    /**
     * Joins a cluster through {@code seeds} ({@link MembershipCore#join}). When the join reaches
     * at least one seed a join intent is broadcast. With {@code ignoreOld}, user events older than
     * the seeds' event clocks are not delivered (Serf's {@code Join(existing, ignoreOld)}).
     *
     * @return the core's join id (its {@code JoinCompleted} event carries it)
     * @throws IllegalStateException after {@link #leave()} or {@link #shutdown()}
     */
    public long join(Collection<NodeAddress> seeds, boolean ignoreOld) {
        if (state != SerfState.ALIVE) {
            throw new IllegalStateException("Serf can't Join after Leave or Shutdown");
        }
        joiningIgnoreOld = ignoreOld;
        completedJoin = -1;
        long id;
        try {
            id = core.join(seeds);
        } finally {
            joiningIgnoreOld = false;
        }
        if (ignoreOld && completedJoin != id) {
            ignoreOldJoins.add(id);
        }
        return id;
    }

    /**
     * Leaves gracefully (see the class description): leave intent, then memberlist's leave, then
     * {@code leavePropagateDelay}; ends with {@link SerfEvent.LeaveCompleted}. Keep driving the
     * core until then, and {@link #shutdown()} afterwards. Calling it again after the leave
     * finished does nothing.
     *
     * @throws IllegalStateException when a leave is already in progress or after shutdown
     */
    public void leave() {
        switch (state) {
            case LEFT -> {
                return;
            }
            case LEAVING -> throw new IllegalStateException("Leave already in progress");
            case SHUTDOWN -> throw new IllegalStateException("Leave called after Shutdown");
            default -> {
            }
        }
        state = SerfState.LEAVING;
        SerfMessage.Leave msg = new SerfMessage.Leave(memberClock.time(), localName, false);
        memberClock.increment();
        handleLeaveIntent(msg);
        leavePhase = LeavePhase.INTENT;
        if (hasAliveMembers()) {
            intentQueue.queue(null, SerfCodec.encode(msg), transmitted -> afterLeaveIntent(true));
            schedule(config.broadcastTimeout().toNanos(), () -> afterLeaveIntent(false));
        } else {
            afterLeaveIntent(true);
        }
    }

    private void afterLeaveIntent(boolean sent) {
        if (leavePhase != LeavePhase.INTENT) {
            return;
        }
        leavePhase = LeavePhase.MEMBERLIST;
        leaveIntentSent = sent;
        outsideCallback(() -> {
            if (!core.isShutdown()) {
                core.leave(config.broadcastTimeout());
            }
        });
    }

    private void onCoreLeaveCompleted(boolean propagated) {
        if (leavePhase != LeavePhase.MEMBERLIST) {
            return;
        }
        leavePhase = LeavePhase.PROPAGATE;
        schedule(config.leavePropagateDelay().toNanos(), () -> {
            leavePhase = LeavePhase.DONE;
            if (state != SerfState.SHUTDOWN) {
                state = SerfState.LEFT;
            }
            host.emit(new SerfEvent.LeaveCompleted(leaveIntentSent, propagated));
        });
    }

    /**
     * Stops the node without a leave (others will see it fail unless {@link #leave()} completed
     * first): shuts the core down and drops queued broadcasts and timers. Idempotent.
     */
    public void shutdown() {
        if (state == SerfState.SHUTDOWN) {
            return;
        }
        state = SerfState.SHUTDOWN;
        timers.clear();
        intentQueue.clear();
        eventQueue.clear();
        queryQueue.clear();
        outsideCallback(core::shutdown);
    }

    /**
     * Replaces this node's tags: they are encoded into memberlist metadata and gossiped (the
     * core's {@code updateMetadata}, deferred when called from inside a callback).
     *
     * @throws IllegalArgumentException when the encoded tags exceed {@value #MAX_TAGS_BYTES} bytes
     */
    public void setTags(Map<String, String> newTags) {
        Map<String, String> copy = Map.copyOf(newTags);
        byte[] meta = encodeTags(copy, config.protocolVersion());
        if (meta.length > MAX_TAGS_BYTES) {
            throw new IllegalArgumentException("Encoded length of tags exceeds limit of " + MAX_TAGS_BYTES + " bytes");
        }
        tags = copy;
        outsideCallback(() -> {
            if (!core.isShutdown()) {
                core.updateMetadata(meta);
            }
        });
    }

    /** This node's tags. */
    public Map<String, String> tags() {
        return tags;
    }

    /**
     * Sends a user event to the whole cluster (Serf's {@code UserEvent}); this node receives it
     * too, at once.
     *
     * @param name     the event name
     * @param payload  the payload ({@code null} for none)
     * @param coalesce whether receivers may coalesce it
     * @throws IllegalArgumentException when it exceeds {@code userEventSizeLimit}, the 9 KiB
     *                                  ceiling, or one UDP packet
     * @throws IllegalStateException    after shutdown
     */
    public void userEvent(String name, byte[] payload, boolean coalesce) {
        Objects.requireNonNull(name, "name");
        requireNotShutdown();
        int before = name.getBytes(StandardCharsets.UTF_8).length + (payload == null ? 0 : payload.length);
        if (before > config.userEventSizeLimit()) {
            throw new IllegalArgumentException("user event exceeds configured limit of " + config.userEventSizeLimit()
                    + " bytes before encoding");
        }
        if (before > SerfConfig.USER_EVENT_SIZE_CEILING) {
            throw new IllegalArgumentException("user event exceeds sane limit of "
                    + SerfConfig.USER_EVENT_SIZE_CEILING + " bytes before encoding");
        }
        SerfMessage.UserEvent msg = new SerfMessage.UserEvent(eventClock.time(), name,
                payload == null ? null : payload.clone(), coalesce);
        byte[] raw = SerfCodec.encode(msg);
        if (raw.length > config.userEventSizeLimit()) {
            throw new IllegalArgumentException("encoded user event exceeds configured limit of "
                    + config.userEventSizeLimit() + " bytes after encoding");
        }
        if (raw.length > SerfConfig.USER_EVENT_SIZE_CEILING) {
            throw new IllegalArgumentException("encoded user event exceeds sane limit of "
                    + SerfConfig.USER_EVENT_SIZE_CEILING + " bytes after encoding");
        }
        int room = packetRoom();
        if (raw.length > room) {
            throw new IllegalArgumentException("encoded user event of " + raw.length
                    + " bytes does not fit a packet (" + room + " bytes available)");
        }
        eventClock.increment();
        handleUserEvent(msg);
        eventQueue.queue(null, raw, null);
    }

    /** Room for one gossiped Serf message in a packet: the UDP budget less the framing and a host reserve. */
    private int packetRoom() {
        return core.config().udpBufferSize() - Packets.COMPOUND_HEADER_OVERHEAD - Packets.COMPOUND_PART_OVERHEAD
                - Packets.USER_MSG_OVERHEAD - PACKET_RESERVE;
    }

    /**
     * Starts a query (Serf's {@code Query}): gossiped to the cluster and processed here too. Acks,
     * responses and the end arrive as events on the returned handle.
     *
     * @param name    the query name (names starting with {@value #INTERNAL_QUERY_PREFIX} are Serf's own)
     * @param payload the payload ({@code null} for none)
     * @param options filters, acks, relay factor, timeout
     * @throws IllegalArgumentException      when the encoded query exceeds {@code querySizeLimit}
     * @throws UnsupportedOperationException at Serf protocol versions below 4
     * @throws IllegalStateException         after shutdown
     */
    public QueryHandle query(String name, byte[] payload, QueryOptions options) {
        return startQuery(name, payload == null ? null : payload.clone(), options, null);
    }

    /** The default query timeout now: {@code gossipInterval × queryTimeoutMult × ceil(log10(n + 1))}. */
    public Duration defaultQueryTimeout() {
        int n = core.numMembers();
        long g = core.config().gossipInterval().toNanos();
        return Duration.ofNanos(g * config.queryTimeoutMult() * (long) Math.ceil(Math.log10(n + 1.0)));
    }

    private QueryHandle startQuery(String name, byte[] payload, QueryOptions options, QueryHandle.Consumer consumer) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(options, "options");
        requireNotShutdown();
        if (config.protocolVersion() < 4) {
            throw new UnsupportedOperationException("Feature not supported");
        }
        long timeout = options.timeout() != null ? options.timeout().toNanos() : defaultQueryTimeout().toNanos();
        List<byte[]> filters = null;
        if (!options.filterNodes().isEmpty()) {
            filters = new ArrayList<>();
            filters.add(SerfCodec.encodeFilter(new SerfPayload.NodeFilter(options.filterNodes())));
        }
        for (Map.Entry<String, String> e : options.filterTags().entrySet()) {
            if (filters == null) {
                filters = new ArrayList<>();
            }
            filters.add(SerfCodec.encodeFilter(new SerfPayload.TagFilter(e.getKey(), e.getValue())));
        }
        NodeAddress self = core.localMember().address();
        SerfMessage.Query q = new SerfMessage.Query(queryClock.time(), random.nextInt() & 0x7fffffff, self.ip(),
                self.port(), localName, filters, options.requestAck() ? SerfMessage.QUERY_FLAG_ACK : 0,
                options.relayFactor(), timeout, name, payload);
        byte[] raw = SerfCodec.encode(q);
        if (raw.length > config.querySizeLimit()) {
            throw new IllegalArgumentException("query exceeds limit of " + config.querySizeLimit() + " bytes");
        }
        long now = clock.getAsLong();
        QueryHandle h = new QueryHandle(name, q.id(), q.ltime(), saturatingAdd(now, timeout), options.requestAck(),
                Math.max(64, 2 * core.numMembers()), consumer);
        runningQueries.put(q.ltime(), h);
        schedule(Math.max(0, timeout), () -> finishQuery(h));
        handleQuery(q);
        queryQueue.queue(null, raw, null);
        return h;
    }

    private void finishQuery(QueryHandle h) {
        if (h.finished) {
            return;
        }
        h.finished = true;
        runningQueries.remove(h.ltime(), h);
        if (h.consumer != null) {
            h.consumer.done(h);
        } else {
            host.emit(new SerfEvent.QueryDone(h));
        }
    }

    /**
     * Answers a query this node received (Serf's {@code Query.Respond}): by UDP to the query's
     * origin, and through {@link IncomingQuery#relayFactor()} other members. May be called from
     * inside {@link SerfHost#emit}.
     *
     * @param query   the query, from a {@link SerfEvent.Query}
     * @param payload the response ({@code null} for none)
     * @throws IllegalArgumentException when the encoded response exceeds {@code queryResponseSizeLimit}
     * @throws IllegalStateException    when already answered, past the deadline, or the query had
     *                                  no usable address
     */
    public void respond(IncomingQuery query, byte[] payload) {
        Objects.requireNonNull(query, "query");
        SerfMessage.QueryResponse resp = new SerfMessage.QueryResponse(query.ltime(), query.id(), localName, 0,
                payload == null ? null : payload.clone());
        respondWith(query, SerfCodec.encode(resp), resp);
    }

    private void respondWith(IncomingQuery q, byte[] raw, SerfMessage.QueryResponse resp) {
        if (raw.length > config.queryResponseSizeLimit()) {
            throw new IllegalArgumentException("response exceeds limit of " + config.queryResponseSizeLimit()
                    + " bytes");
        }
        if (q.responded) {
            throw new IllegalStateException("response already sent");
        }
        if (clock.getAsLong() - q.deadlineNanos() > 0) {
            throw new IllegalStateException("response is past the deadline");
        }
        if (q.replyTo() == null) {
            throw new IllegalStateException("the query carried no usable address");
        }
        if (core.isShutdown()) {
            throw new IllegalStateException("core is shut down");
        }
        core.sendUserMessage(q.replyTo(), raw);
        counters.responsesSent++;
        relayResponse(q.relayFactor(), q.replyTo(), q.sourceNode(), resp);
        q.responded = true;
    }

    /** Serf's {@code relayResponse}: a copy through up to {@code relayFactor} random alive members of protocol ≥ 5. */
    private void relayResponse(int relayFactor, NodeAddress dest, String destName, SerfMessage.QueryResponse resp) {
        if (relayFactor == 0) {
            return;
        }
        List<MemberRecord> all = new ArrayList<>(members.values());
        if (all.size() < relayFactor + 1) {
            return;
        }
        byte[] raw = SerfCodec.encodeRelay(dest.ip(), dest.port(), destName, resp);
        if (raw.length > config.queryResponseSizeLimit()) {
            return;
        }
        int n = all.size();
        List<MemberRecord> picked = new ArrayList<>(relayFactor);
        outer:
        for (int i = 0; i < 3 * n && picked.size() < relayFactor; i++) {
            MemberRecord m = all.get(random.nextInt(n));
            if (m.status != SerfMemberStatus.ALIVE || m.versions == null || m.versions.pMax() < 5
                    || m.name.equals(localName)) {
                continue;
            }
            for (MemberRecord p : picked) {
                if (p == m) {
                    continue outer;
                }
            }
            picked.add(m);
        }
        for (MemberRecord m : picked) {
            core.sendUserMessage(m.address, raw);
            counters.relaysSent++;
        }
    }

    // ---- key operations (Serf's KeyManager) -----------------------------------------------------

    /**
     * Installs {@code key} on every member ({@code KeyManager.InstallKey}); the aggregate arrives
     * as {@link SerfEvent.KeyQueryDone}.
     *
     * @param key         the raw key (16, 24 or 32 bytes for the receivers to accept it)
     * @param relayFactor how many members relay each response (0..255)
     */
    public KeyQuery installKey(byte[] key, int relayFactor) {
        return keyQuery(KeyOperation.INSTALL, Objects.requireNonNull(key, "key"), relayFactor);
    }

    /** Makes {@code key} the primary key everywhere ({@code KeyManager.UseKey}). */
    public KeyQuery useKey(byte[] key, int relayFactor) {
        return keyQuery(KeyOperation.USE, Objects.requireNonNull(key, "key"), relayFactor);
    }

    /** Removes {@code key} everywhere ({@code KeyManager.RemoveKey}). */
    public KeyQuery removeKey(byte[] key, int relayFactor) {
        return keyQuery(KeyOperation.REMOVE, Objects.requireNonNull(key, "key"), relayFactor);
    }

    /** Collects every member's keys ({@code KeyManager.ListKeys}). */
    public KeyQuery listKeys(int relayFactor) {
        return keyQuery(KeyOperation.LIST, EMPTY, relayFactor);
    }

    private KeyQuery keyQuery(KeyOperation op, byte[] key, int relayFactor) {
        byte[] payload = SerfCodec.encodeKeyRequest(new SerfPayload.KeyRequest(key.clone()));
        QueryOptions opts = QueryOptions.builder().relayFactor(relayFactor).build();
        KeyQuery kq = new KeyQuery(op, core.numMembers(), this);
        kq.attach(startQuery(op.queryName(), payload, opts, kq.consumer));
        return kq;
    }

    void keyQueryDone(KeyQuery kq) {
        host.emit(new SerfEvent.KeyQueryDone(kq));
    }

    // =============================================================================================
    // Queries (read-only; callable from SerfHost.emit)
    // =============================================================================================

    /** This node's name. */
    public String localName() {
        return localName;
    }

    /** The configuration. */
    public SerfConfig config() {
        return config;
    }

    /** The local lifecycle state. */
    public SerfState state() {
        return state;
    }

    /** Every member Serf knows (alive, leaving, failed and left ones, this node included), as snapshots. */
    public List<SerfMember> members() {
        List<SerfMember> out = new ArrayList<>(members.size());
        for (MemberRecord m : members.values()) {
            out.add(m.snapshot());
        }
        return out;
    }

    /** One member, or {@code null} when unknown. */
    public SerfMember member(String name) {
        MemberRecord m = members.get(name);
        return m == null ? null : m.snapshot();
    }

    /** This node's own member record, or {@code null} before the core started. */
    public SerfMember localMember() {
        return member(localName);
    }

    /** How many members Serf knows, whatever their status (Serf's {@code NumNodes}). */
    public int numNodes() {
        return members.size();
    }

    /** The membership Lamport clock's current value. */
    public long memberTime() {
        return memberClock.time();
    }

    /** The event Lamport clock's current value. */
    public long eventTime() {
        return eventClock.time();
    }

    /** The query Lamport clock's current value. */
    public long queryTime() {
        return queryClock.time();
    }

    /** Whether this node answers key queries (a keyring was given). */
    public boolean encryptionEnabled() {
        return keyring != null;
    }

    /** A snapshot of the counters and gauges. */
    public SerfMetrics metrics() {
        Counters c = counters;
        return new SerfMetrics(c.intentsReceived, c.intentsRebroadcast, c.eventsReceived, c.eventsDelivered,
                c.eventsDuplicate, c.eventsTooOld, c.eventsDropped, c.queriesReceived, c.queriesDuplicate,
                c.queriesTooOld, c.queriesFiltered, c.acksSent, c.responsesSent, c.responsesDropped, c.relaysSent, c.relaysForwarded,
                c.relaysRefused, c.answersReceived, c.answersIgnored, c.malformed, c.unknownType, c.flaps, c.reaped,
                members.size(), failedMembers.size(), leftMembers.size(), recentIntents.size(),
                intentQueue.size() + eventQueue.size() + queryQueue.size(), memberClock.time(), eventClock.time(),
                queryClock.time());
    }

    /**
     * Checks the layer's invariants and returns the first one broken, or {@code null}: statuses
     * agree with the failed and left lists, every buffer is within its bound, the local node is
     * never failed. For tests and simulators; linear in the member count.
     */
    public String selfCheck() {
        for (String n : failedMembers) {
            MemberRecord m = members.get(n);
            if (m == null || m.status != SerfMemberStatus.FAILED) {
                return "failed list holds " + n + " which is " + (m == null ? "unknown" : m.status);
            }
        }
        for (String n : leftMembers) {
            MemberRecord m = members.get(n);
            if (m == null || m.status != SerfMemberStatus.LEFT) {
                return "left list holds " + n + " which is " + (m == null ? "unknown" : m.status);
            }
        }
        int failed = 0;
        int left = 0;
        for (MemberRecord m : members.values()) {
            if (m.status == SerfMemberStatus.FAILED) {
                failed++;
            } else if (m.status == SerfMemberStatus.LEFT) {
                left++;
            }
        }
        if (failed != failedMembers.size() || left != leftMembers.size()) {
            return "status counts " + failed + "/" + left + " disagree with the lists " + failedMembers.size() + "/"
                    + leftMembers.size();
        }
        MemberRecord self = members.get(localName);
        if (self != null && self.status == SerfMemberStatus.FAILED) {
            return "local node holds itself failed";
        }
        if (failedMembers.size() > MAX_TOMBSTONES || leftMembers.size() > MAX_TOMBSTONES) {
            return "tombstones over their bound";
        }
        if (recentIntents.size() > intentCapacity()) {
            return "recent intents over their bound: " + recentIntents.size();
        }
        int bound = config.maxQueueDepth();
        if (intentQueue.size() > bound || eventQueue.size() > bound || queryQueue.size() > bound) {
            return "a broadcast queue is over its bound";
        }
        String ring = eventRing.selfCheck();
        if (ring == null) {
            ring = queryRing.selfCheck();
        }
        if (ring != null) {
            return ring;
        }
        if (coalescer != null && coalescer.held > MAX_COALESCED) {
            return "coalescer over its bound";
        }
        return null;
    }

    // =============================================================================================
    // Delegate (called by the core)
    // =============================================================================================

    @Override
    public List<byte[]> broadcasts(int overhead, int limit) {
        callbackDepth++;
        try {
            if (intentQueue.size() + queryQueue.size() + eventQueue.size() == 0) {
                return List.of();
            }
            List<byte[]> out = new ArrayList<>();
            int transmitLimit = BroadcastQueue.retransmitLimit(core.config().retransmitMult(), members.size());
            int max = Packets.MAX_INTEROP_COMPOUND_PARTS;
            int used = intentQueue.take(overhead, limit, max, transmitLimit, out);
            used += queryQueue.take(overhead, limit - used, max - out.size(), transmitLimit, out);
            eventQueue.take(overhead, limit - used, max - out.size(), transmitLimit, out);
            return out;
        } finally {
            callbackDepth--;
        }
    }

    @Override
    public byte[] localState(boolean join) {
        callbackDepth++;
        try {
            Map<String, Long> statuses = new LinkedHashMap<>();
            for (MemberRecord m : members.values()) {
                statuses.put(m.name, m.statusLTime);
            }
            return SerfCodec.encode(new SerfMessage.PushPull(memberClock.time(), statuses,
                    new ArrayList<>(leftMembers), eventClock.time(), eventRing.snapshot(), queryClock.time()));
        } finally {
            callbackDepth--;
        }
    }

    @Override
    public void mergeRemoteState(byte[] buf, boolean join) {
        callbackDepth++;
        try {
            mergeState(buf, join);
        } finally {
            callbackDepth--;
        }
    }

    @Override
    public boolean userMessage(byte[] payload, NodeAddress from) {
        return userMessage(payload, from, null);
    }

    /** Every user message is a Serf message; in signing mode {@code signer} is its sender. */
    @Override
    public boolean userMessage(byte[] payload, NodeAddress from, String signer) {
        callbackDepth++;
        currentSigner = signer;
        try {
            if (payload.length > 0) {
                dispatch(payload, from);
            }
            return true;
        } finally {
            currentSigner = null;
            callbackDepth--;
        }
    }

    @Override
    public void event(MembershipEvent e) {
        callbackDepth++;
        try {
            if (e instanceof MembershipEvent.MemberJoined j) {
                onMemberJoined(j.member());
            } else if (e instanceof MembershipEvent.MemberUpdated u) {
                onMemberUpdated(u.member());
            } else if (e instanceof MembershipEvent.MemberDown d) {
                onMemberDown(d.member());
            } else if (e instanceof MembershipEvent.NameConflict c) {
                onNameConflict(c.existing());
            } else if (e instanceof MembershipEvent.JoinCompleted jc) {
                completedJoin = jc.joinId();
                ignoreOldJoins.remove(jc.joinId());
                if (jc.contacted() > 0 && state == SerfState.ALIVE) {
                    broadcastJoin(memberClock.time());
                }
            } else if (e instanceof MembershipEvent.LeaveCompleted lc) {
                onCoreLeaveCompleted(lc.propagated());
            }
        } finally {
            callbackDepth--;
        }
    }

    /** Runs deferred work; core calls are allowed here (this is where deferred calls land). */
    @Override
    public void timer(long token) {
        Runnable r = timers.remove(token);
        if (r != null && state != SerfState.SHUTDOWN) {
            r.run();
        }
    }

    // =============================================================================================
    // Message dispatch
    // =============================================================================================

    private void dispatch(byte[] payload, NodeAddress from) {
        int type = payload[0] & 0xff;
        if (type != 0 && type != 1 && type != 3 && type != 4 && type != 5 && type != 9) {
            counters.unknownType++;
            return;
        }
        DecodeResult<SerfMessage> r = SerfCodec.decode(payload, 0, payload.length);
        if (!r.ok()) {
            DecodeResult.Rejected<SerfMessage> bad = (DecodeResult.Rejected<SerfMessage>) r;
            counters.malformed++;
            host.rejectedMessage(from, bad.reason(), "Serf message type " + type + ": " + bad.detail());
            return;
        }
        SerfMessage m = r.value();
        if (m instanceof SerfMessage.Leave l) {
            counters.intentsReceived++;
            if (handleLeaveIntent(l)) {
                counters.intentsRebroadcast++;
                intentQueue.queue(null, payload.clone(), null);
                core.noteNews();
            }
        } else if (m instanceof SerfMessage.Join j) {
            counters.intentsReceived++;
            if (handleJoinIntent(j)) {
                counters.intentsRebroadcast++;
                intentQueue.queue(null, payload.clone(), null);
                core.noteNews();
            }
        } else if (m instanceof SerfMessage.UserEvent ue) {
            counters.eventsReceived++;
            if (handleUserEvent(ue)) {
                eventQueue.queue(null, payload.clone(), null);
                core.noteNews();
            }
        } else if (m instanceof SerfMessage.Query q) {
            counters.queriesReceived++;
            if (handleQuery(q)) {
                queryQueue.queue(null, payload.clone(), null);
            }
        } else if (m instanceof SerfMessage.QueryResponse resp) {
            handleQueryResponse(resp);
        } else if (m instanceof SerfMessage.Relay relay) {
            forwardRelay(relay, from);
        }
    }

    private void forwardRelay(SerfMessage.Relay relay, NodeAddress from) {
        byte[] inner = relay.inner();
        if (inner.length == 0 || (inner[0] & 0xff) != SerfMessage.Type.QUERY_RESPONSE.code()
                || inner.length > packetRoom()) {
            counters.relaysRefused++;
            return;
        }
        byte[] ip = relay.destIp();
        if (ip == null || (ip.length != 4 && ip.length != 16) || relay.destPort() <= 0 || relay.destPort() > 0xffff) {
            counters.relaysRefused++;
            host.rejectedMessage(from, Rejection.BAD_ADDRESS, "relay to an unusable address");
            return;
        }
        core.sendUserMessage(NodeAddress.of(ip, relay.destPort()), inner.clone());
        counters.relaysForwarded++;
    }

    // =============================================================================================
    // Members
    // =============================================================================================

    private void onMemberJoined(Member n) {
        if (!reaperStarted) {
            reaperStarted = true;
            localName = core.localName();
            scheduleReap();
        }
        long now = clock.getAsLong();
        MemberRecord m = members.get(n.name());
        SerfMemberStatus old;
        if (m == null) {
            old = SerfMemberStatus.NONE;
            m = new MemberRecord(n.name(), n.address(), SerfCodec.decodeTags(n.meta()), SerfMemberStatus.ALIVE);
            Intent intent = recentIntents.get(n.name());
            if (intent != null) {
                if (intent.type == SerfMessage.Type.JOIN) {
                    m.statusLTime = intent.ltime;
                } else {
                    m.status = SerfMemberStatus.LEAVING;
                    m.statusLTime = intent.ltime;
                }
            }
            members.put(m.name, m);
        } else {
            old = m.status;
            if (old == SerfMemberStatus.FAILED && now - m.leaveTime < config.flapTimeout().toNanos()) {
                counters.flaps++;
            }
            m.status = SerfMemberStatus.ALIVE;
            m.leaveTime = 0;
            m.address = n.address();
            m.tags = SerfCodec.decodeTags(n.meta());
        }
        m.versions = n.versions();
        if (old == SerfMemberStatus.FAILED || old == SerfMemberStatus.LEFT) {
            failedMembers.remove(m.name);
            leftMembers.remove(m.name);
        }
        host.emit(new SerfEvent.MemberJoin(m.snapshot()));
    }

    private void onMemberDown(Member n) {
        MemberRecord m = members.get(n.name());
        if (m == null) {
            return;
        }
        switch (m.status) {
            case LEAVING -> markLeft(m);
            case ALIVE -> {
                if (n.state() == MemberState.LEFT) {
                    markLeft(m); // memberlist's own leave: left, even if its intent was missed
                } else {
                    m.status = SerfMemberStatus.FAILED;
                    m.leaveTime = clock.getAsLong();
                    addTombstone(failedMembers, m.name);
                }
            }
            default -> {
                return; // Serf: "Bad state when leave"
            }
        }
        host.emit(m.status == SerfMemberStatus.LEFT ? new SerfEvent.MemberLeave(m.snapshot())
                : new SerfEvent.MemberFailed(m.snapshot()));
    }

    private void markLeft(MemberRecord m) {
        m.status = SerfMemberStatus.LEFT;
        m.leaveTime = clock.getAsLong();
        addTombstone(leftMembers, m.name);
    }

    private void onMemberUpdated(Member n) {
        MemberRecord m = members.get(n.name());
        if (m == null) {
            return;
        }
        m.address = n.address();
        m.tags = SerfCodec.decodeTags(n.meta());
        m.versions = n.versions();
        host.emit(new SerfEvent.MemberUpdate(m.snapshot()));
    }

    private void addTombstone(Set<String> list, String name) {
        list.add(name);
        while (list.size() > MAX_TOMBSTONES) {
            String oldest = list.iterator().next();
            MemberRecord m = members.get(oldest);
            if (m != null && !oldest.equals(localName)) {
                eraseMember(m);
            } else {
                list.remove(oldest);
            }
        }
    }

    private void eraseMember(MemberRecord m) {
        members.remove(m.name);
        failedMembers.remove(m.name);
        leftMembers.remove(m.name);
        counters.reaped++;
        host.emit(new SerfEvent.MemberReap(m.snapshot()));
    }

    private boolean hasAliveMembers() {
        for (MemberRecord m : members.values()) {
            if (m.status == SerfMemberStatus.ALIVE && !m.name.equals(localName)) {
                return true;
            }
        }
        return false;
    }

    private void scheduleReap() {
        schedule(config.reapInterval().toNanos(), () -> {
            reap();
            scheduleReap();
        });
    }

    /** Serf's {@code handleReap}: failed and left members past their timeouts, then old intents. */
    void reap() {
        long now = clock.getAsLong();
        reapList(failedMembers, now, config.reconnectTimeout().toNanos());
        reapList(leftMembers, now, config.tombstoneTimeout().toNanos());
        long intentTimeout = config.recentIntentTimeout().toNanos();
        recentIntents.values().removeIf(i -> now - i.wallTime > intentTimeout);
    }

    private void reapList(Set<String> list, long now, long timeout) {
        List<MemberRecord> due = new ArrayList<>();
        for (String name : list) {
            MemberRecord m = members.get(name);
            if (m != null && now - m.leaveTime > timeout && !name.equals(localName)) {
                due.add(m);
            }
        }
        for (MemberRecord m : due) {
            eraseMember(m);
        }
    }

    // =============================================================================================
    // Intents
    // =============================================================================================

    /** Serf's {@code handleNodeLeaveIntent}; returns whether to re-gossip. */
    private boolean handleLeaveIntent(SerfMessage.Leave msg) {
        memberClock.witness(msg.ltime());
        MemberRecord m = members.get(msg.node());
        if (m == null) {
            return upsertIntent(msg.node(), SerfMessage.Type.LEAVE, msg.ltime());
        }
        if (msg.ltime() <= m.statusLTime) {
            return false;
        }
        if (msg.node().equals(localName) && state == SerfState.ALIVE) {
            broadcastJoin(memberClock.time()); // refute an older leave intent
            return false;
        }
        m.statusLTime = msg.ltime();
        switch (m.status) {
            case ALIVE -> {
                m.status = SerfMemberStatus.LEAVING;
                if (msg.prune()) {
                    prune(m);
                }
                return true;
            }
            case FAILED -> {
                m.status = SerfMemberStatus.LEFT;
                failedMembers.remove(m.name);
                addTombstone(leftMembers, m.name);
                host.emit(new SerfEvent.MemberLeave(m.snapshot()));
                if (msg.prune()) {
                    prune(m);
                }
                return true;
            }
            case LEAVING, LEFT -> {
                if (msg.prune()) {
                    prune(m);
                }
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /** Serf's {@code handlePrune}: erase now, or once a leaving member has had time to leave. */
    private void prune(MemberRecord m) {
        if (m.name.equals(localName)) {
            return;
        }
        if (m.status == SerfMemberStatus.LEAVING) {
            long delay = config.broadcastTimeout().toNanos() + config.leavePropagateDelay().toNanos();
            schedule(delay, () -> {
                if (members.get(m.name) == m) {
                    eraseMember(m);
                }
            });
        } else {
            eraseMember(m);
        }
    }

    /** Serf's {@code handleNodeJoinIntent}; returns whether to re-gossip. */
    private boolean handleJoinIntent(SerfMessage.Join msg) {
        memberClock.witness(msg.ltime());
        MemberRecord m = members.get(msg.node());
        if (m == null) {
            return upsertIntent(msg.node(), SerfMessage.Type.JOIN, msg.ltime());
        }
        if (msg.ltime() <= m.statusLTime) {
            return false;
        }
        m.statusLTime = msg.ltime();
        if (m.status == SerfMemberStatus.LEAVING) {
            m.status = SerfMemberStatus.ALIVE;
        }
        return true;
    }

    /** Serf's {@code broadcastJoin}: a join intent at {@code ltime}, applied here and gossiped. */
    private void broadcastJoin(long ltime) {
        SerfMessage.Join msg = new SerfMessage.Join(ltime, localName);
        memberClock.witness(ltime);
        handleJoinIntent(msg);
        intentQueue.queue(null, SerfCodec.encode(msg), null);
    }

    private boolean upsertIntent(String node, SerfMessage.Type type, long ltime) {
        Intent old = recentIntents.get(node);
        if (old != null && ltime <= old.ltime) {
            return false;
        }
        recentIntents.remove(node); // re-insert: insertion order stays oldest-first
        recentIntents.put(node, new Intent(type, clock.getAsLong(), ltime));
        int cap = intentCapacity();
        Iterator<String> it = recentIntents.keySet().iterator();
        while (recentIntents.size() > cap && it.hasNext()) {
            it.next();
            it.remove();
        }
        return true;
    }

    private int intentCapacity() {
        return Math.max(MIN_INTENT_CAPACITY, 2 * members.size());
    }

    // =============================================================================================
    // Push/pull
    // =============================================================================================

    /** Serf's {@code MergeRemoteState}. */
    private void mergeState(byte[] buf, boolean join) {
        if (buf.length == 0) {
            return;
        }
        if ((buf[0] & 0xff) != SerfMessage.Type.PUSH_PULL.code()) {
            counters.malformed++;
            host.rejectedMessage(null, Rejection.UNKNOWN_TYPE, "Serf remote state has bad type prefix " + (buf[0] & 0xff));
            return;
        }
        DecodeResult<SerfMessage> r = SerfCodec.decode(buf, 0, buf.length);
        if (!r.ok()) {
            DecodeResult.Rejected<SerfMessage> bad = (DecodeResult.Rejected<SerfMessage>) r;
            counters.malformed++;
            host.rejectedMessage(null, bad.reason(), "Serf remote state: " + bad.detail());
            return;
        }
        SerfMessage.PushPull pp = (SerfMessage.PushPull) r.value();
        if (pp.ltime() > 0) {
            memberClock.witness(pp.ltime() - 1);
        }
        if (pp.eventLTime() > 0) {
            eventClock.witness(pp.eventLTime() - 1);
        }
        if (pp.queryLTime() > 0) {
            queryClock.witness(pp.queryLTime() - 1);
        }
        Map<String, Long> statuses = pp.statusLTimes() == null ? Map.of() : pp.statusLTimes();
        Set<String> left = new HashSet<>();
        if (pp.leftMembers() != null) {
            for (String name : pp.leftMembers()) {
                left.add(name);
                long st = statuses.getOrDefault(name, 0L);
                if (st < Long.MAX_VALUE) {
                    handleLeaveIntent(new SerfMessage.Leave(st + 1, name, false));
                }
            }
        }
        for (Map.Entry<String, Long> e : statuses.entrySet()) {
            if (!left.contains(e.getKey())) {
                handleJoinIntent(new SerfMessage.Join(e.getValue(), e.getKey()));
            }
        }
        if (join && (joiningIgnoreOld || !ignoreOldJoins.isEmpty()) && pp.eventLTime() > eventMinTime) {
            eventMinTime = pp.eventLTime();
        }
        if (pp.events() != null) {
            for (SerfMessage.EventSlot slot : pp.events()) {
                if (slot == null || slot.events() == null) {
                    continue;
                }
                for (SerfMessage.EventEntry e : slot.events()) {
                    handleUserEvent(new SerfMessage.UserEvent(slot.ltime(), e.name(), e.payload(), false));
                }
            }
        }
    }

    // =============================================================================================
    // User events
    // =============================================================================================

    /** Serf's {@code handleUserEvent}; returns whether to re-gossip. */
    private boolean handleUserEvent(SerfMessage.UserEvent msg) {
        eventClock.witness(msg.ltime());
        switch (eventRing.record(msg.ltime(), msg.name(), msg.payload(), eventClock.time(), eventMinTime)) {
            case TOO_OLD -> {
                counters.eventsTooOld++;
                return false;
            }
            case DUPLICATE -> {
                counters.eventsDuplicate++;
                return false;
            }
            case FULL -> {
                counters.eventsDropped++;
                return false;
            }
            default -> {
            }
        }
        counters.eventsDelivered++;
        SerfEvent.User ev = new SerfEvent.User(msg.ltime(), msg.name(),
                msg.payload() == null ? EMPTY : msg.payload().clone(), msg.cc(), currentSigner);
        if (coalescer != null && msg.cc()) {
            coalescer.add(ev);
        } else {
            host.emit(ev);
        }
        return true;
    }

    // =============================================================================================
    // Queries
    // =============================================================================================

    /** Serf's {@code handleQuery}; returns whether to re-gossip. */
    private boolean handleQuery(SerfMessage.Query q) {
        queryClock.witness(q.ltime());
        switch (queryRing.record(q.ltime(), q.id(), queryClock.time(), queryMinTime)) {
            case TOO_OLD -> {
                counters.queriesTooOld++;
                return false;
            }
            case DUPLICATE -> {
                counters.queriesDuplicate++;
                return false;
            }
            default -> {
            }
        }
        boolean rebroadcast = !q.noBroadcast();
        if (!shouldProcess(q.filters())) {
            counters.queriesFiltered++;
            return rebroadcast;
        }
        NodeAddress replyTo = replyAddress(q.addr(), q.port());
        if (q.ack() && replyTo != null) {
            SerfMessage.QueryResponse ack = new SerfMessage.QueryResponse(q.ltime(), q.id(), localName,
                    SerfMessage.QUERY_FLAG_ACK, null);
            core.sendUserMessage(replyTo, SerfCodec.encode(ack));
            counters.acksSent++;
            relayResponse(q.relayFactor(), replyTo, q.sourceNode(), ack);
        }
        IncomingQuery in = new IncomingQuery(q.ltime(), q.id(), q.name(), q.payload(), q.sourceNode(), replyTo,
                saturatingAdd(clock.getAsLong(), q.timeoutNanos()), q.relayFactor(), currentSigner);
        if (q.name().startsWith(INTERNAL_QUERY_PREFIX)) {
            handleInternalQuery(in);
        } else {
            host.emit(new SerfEvent.Query(in));
        }
        return rebroadcast;
    }

    private static NodeAddress replyAddress(byte[] ip, int port) {
        if (ip == null || (ip.length != 4 && ip.length != 16) || port <= 0) {
            return null;
        }
        return NodeAddress.of(ip, port);
    }

    /** Serf's {@code shouldProcessQuery}. */
    private boolean shouldProcess(List<byte[]> filters) {
        if (filters == null) {
            return true;
        }
        for (byte[] f : filters) {
            DecodeResult<SerfPayload.Filter> r = SerfCodec.decodeFilter(f);
            if (!r.ok()) {
                return false;
            }
            SerfPayload.Filter filter = r.value();
            if (filter instanceof SerfPayload.NodeFilter nf) {
                if (nf.nodes() == null || !nf.nodes().contains(localName)) {
                    return false;
                }
            } else {
                SerfPayload.TagFilter tf = (SerfPayload.TagFilter) filter;
                if (!tagMatcher.matches(tf.expr(), tags.getOrDefault(tf.tag(), ""))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Serf's {@code handleQueryResponse}: acks and responses to the queries started here. */
    private void handleQueryResponse(SerfMessage.QueryResponse resp) {
        QueryHandle h = runningQueries.get(resp.ltime());
        if (h == null || h.id() != resp.id() || h.finished || clock.getAsLong() - h.deadlineNanos() > 0) {
            counters.answersIgnored++;
            return;
        }
        if (resp.ack()) {
            if (!h.requestAck() || h.acks.contains(resp.from()) || h.acks.size() >= h.capacity) {
                counters.answersIgnored++;
                return;
            }
            h.acks.add(resp.from());
            counters.answersReceived++;
            if (h.consumer == null) {
                host.emit(new SerfEvent.QueryAck(h, resp.from()));
            }
        } else {
            if (h.responses.containsKey(resp.from()) || h.responses.size() >= h.capacity) {
                counters.answersIgnored++;
                return;
            }
            byte[] payload = resp.payload() == null ? EMPTY : resp.payload();
            h.responses.put(resp.from(), payload);
            counters.answersReceived++;
            if (h.consumer != null) {
                h.consumer.response(h, resp.from(), payload);
            } else {
                host.emit(new SerfEvent.QueryResponse(h, resp.from(), payload));
            }
        }
    }

    // ---- internal queries (Serf's serfQueries) ---------------------------------------------------

    private void handleInternalQuery(IncomingQuery q) {
        String op = q.name().substring(INTERNAL_QUERY_PREFIX.length());
        try {
            switch (op) {
                case "ping" -> {
                    // the ack is the answer
                }
                case "conflict" -> answerConflict(q);
                case "install-key", "use-key", "remove-key" -> answerKeyChange(q, op);
                case "list-keys" -> answerListKeys(q);
                default -> counters.unknownType++;
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            counters.responsesDropped++; // too large, past the deadline, or no address: Serf logs and drops
        }
    }

    private void answerConflict(IncomingQuery q) {
        byte[] p = q.rawPayload();
        String node = p == null ? "" : new String(p, StandardCharsets.UTF_8);
        if (node.equals(localName)) {
            return;
        }
        MemberRecord m = members.get(node);
        SerfPayload.MemberInfo info = null;
        if (m != null) {
            ProtocolVersions v = m.versions;
            info = new SerfPayload.MemberInfo(m.name, m.address.ip(), m.address.port(), m.tags, m.status.code(),
                    v == null ? 0 : v.pMin(), v == null ? 0 : v.pMax(), v == null ? 0 : v.pCur(),
                    v == null ? 0 : v.dMin(), v == null ? 0 : v.dMax(), v == null ? 0 : v.dCur());
        }
        respond(q, SerfCodec.encodeConflictResponse(info));
    }

    private void answerKeyChange(IncomingQuery q, String op) {
        SerfPayload.KeyResponse resp;
        DecodeResult<SerfPayload.KeyRequest> req = SerfCodec.decodeKeyRequest(q.rawPayload());
        if (!req.ok()) {
            resp = keyResponse(false, "");
        } else if (keyring == null) {
            resp = keyResponse(false, "No keyring to modify (encryption not enabled)");
        } else {
            byte[] key = req.value().key() == null ? EMPTY : req.value().key();
            String err = switch (op) {
                case "install-key" -> keyring.install(key);
                case "use-key" -> keyring.use(key);
                default -> keyring.remove(key);
            };
            if (err == null) {
                err = keyring.persist();
            }
            resp = err == null ? keyResponse(true, "") : keyResponse(false, err);
        }
        respond(q, SerfCodec.encodeKeyResponse(resp));
    }

    private static SerfPayload.KeyResponse keyResponse(boolean result, String message) {
        return new SerfPayload.KeyResponse(result, message, null, "");
    }

    private void answerListKeys(IncomingQuery q) {
        SerfPayload.KeyResponse resp;
        if (keyring == null) {
            resp = new SerfPayload.KeyResponse(false, "Keyring is empty (encryption not enabled)", null, "");
        } else {
            List<byte[]> ks = keyring.keys();
            List<String> encoded = null;
            for (byte[] k : ks) {
                if (encoded == null) {
                    encoded = new ArrayList<>();
                }
                encoded.add(Base64.getEncoder().encodeToString(k));
            }
            String primary = ks.isEmpty() ? "" : Base64.getEncoder().encodeToString(ks.get(0));
            resp = new SerfPayload.KeyResponse(true, "", encoded, primary);
        }
        // Serf's keyListResponseWithCorrectSize: drop keys from the end until the response fits.
        int actual = resp.keys() == null ? 0 : resp.keys().size();
        for (int i = config.queryResponseSizeLimit() / MIN_ENCODED_KEY_LENGTH; i >= 0; i--) {
            SerfMessage.QueryResponse qr = new SerfMessage.QueryResponse(q.ltime(), q.id(), localName, 0,
                    SerfCodec.encodeKeyResponse(resp));
            byte[] raw = SerfCodec.encode(qr);
            if (raw.length <= config.queryResponseSizeLimit()) {
                respondWith(q, raw, qr);
                return;
            }
            List<String> keys = resp.keys() == null ? null : resp.keys().subList(0, Math.min(i, resp.keys().size()));
            int shown = keys == null ? i : keys.size();
            resp = new SerfPayload.KeyResponse(resp.result(), "truncated key list response, showing first " + shown
                    + " of " + actual + " keys", keys, resp.primaryKey());
        }
        counters.responsesDropped++; // "Failed to truncate response so that it fits into message"
    }

    // ---- name conflicts ---------------------------------------------------------------------------

    private void onNameConflict(Member existing) {
        if (!existing.name().equals(localName) || !config.enableNameConflictResolution() || conflictVoteRunning
                || config.protocolVersion() < 4 || state == SerfState.SHUTDOWN) {
            return;
        }
        conflictVoteRunning = true;
        NodeAddress self = core.localMember().address();
        startQuery(INTERNAL_QUERY_PREFIX + "conflict", localName.getBytes(StandardCharsets.UTF_8),
                QueryOptions.defaults(), new QueryHandle.Consumer() {
                    int responses;
                    int matching;

                    @Override
                    public void response(QueryHandle h, String from, byte[] payload) {
                        DecodeResult<SerfPayload.ConflictResponse> r = SerfCodec.decodeConflictResponse(payload);
                        if (!r.ok() || r.value().member() == null) {
                            // Go decodes a nil Member into a zero Member and counts it; a zero
                            // address never matches ours.
                            if (r.ok()) {
                                responses++;
                            }
                            return;
                        }
                        responses++;
                        SerfPayload.MemberInfo m = r.value().member();
                        if (m.addr() != null && sameIp(m.addr(), self.ip()) && m.port() == self.port()) {
                            matching++;
                        }
                    }

                    @Override
                    public void done(QueryHandle h) {
                        conflictVoteRunning = false;
                        int majority = responses / 2 + 1;
                        host.emit(new SerfEvent.NameConflictResolved(matching >= majority, matching, responses));
                    }
                });
    }

    /** Go's {@code net.IP.Equal}: IPv4 equals its IPv4-mapped IPv6 form. */
    private static boolean sameIp(byte[] a, byte[] b) {
        return Arrays.equals(v4(a), v4(b));
    }

    private static byte[] v4(byte[] ip) {
        if (ip.length == 16) {
            for (int i = 0; i < 10; i++) {
                if (ip[i] != 0) {
                    return ip;
                }
            }
            if (ip[10] == (byte) 0xff && ip[11] == (byte) 0xff) {
                return Arrays.copyOfRange(ip, 12, 16);
            }
        }
        return ip;
    }

    // =============================================================================================
    // Helpers
    // =============================================================================================

    /** Serf's {@code encodeTags}: a legacy role below protocol 3, else {@code 0xFF} + msgpack map. */
    static byte[] encodeTags(Map<String, String> tags, int protocolVersion) {
        if (protocolVersion < 3) {
            return tags.getOrDefault("role", "").getBytes(StandardCharsets.UTF_8);
        }
        return SerfCodec.encodeTags(tags);
    }

    private long schedule(long delayNanos, Runnable r) {
        long token = ++timerTokens;
        timers.put(token, r);
        core.scheduleDelegateTimer(token, delayNanos);
        return token;
    }

    /** Runs {@code r} now when outside a core callback, else from a delegate timer of delay 0. */
    private void outsideCallback(Runnable r) {
        if (callbackDepth > 0) {
            long token = ++timerTokens;
            timers.put(token, r);
            core.scheduleDelegateTimer(token, 0);
        } else {
            r.run();
        }
    }

    private void requireNotShutdown() {
        if (state == SerfState.SHUTDOWN) {
            throw new IllegalStateException("Serf is shut down");
        }
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return r;
    }

    // =============================================================================================
    // State holders
    // =============================================================================================

    private enum LeavePhase { NONE, INTENT, MEMBERLIST, PROPAGATE, DONE }

    /** A member as Serf tracks it (Serf's {@code memberState}). */
    private static final class MemberRecord {
        final String name;
        NodeAddress address;
        Map<String, String> tags;
        SerfMemberStatus status;
        ProtocolVersions versions;
        long statusLTime;
        long leaveTime;

        MemberRecord(String name, NodeAddress address, Map<String, String> tags, SerfMemberStatus status) {
            this.name = name;
            this.address = address;
            this.tags = tags;
            this.status = status;
        }

        SerfMember snapshot() {
            return new SerfMember(name, address, tags, status, versions, statusLTime);
        }
    }

    /** A buffered intent about a node not (yet) known (Serf's {@code nodeIntent}). */
    private record Intent(SerfMessage.Type type, long wallTime, long ltime) {
    }

    /**
     * Serf's {@code userEventCoalescer} with its coalesce loop: a window opens with the first
     * coalescable event and closes after {@code userCoalescePeriod}, or after
     * {@code userQuiescentPeriod} without a new one; then, per name, the events of the newest
     * Lamport time seen are delivered (names in first-seen order).
     */
    private final class Coalescer {
        private final Map<String, List<SerfEvent.User>> latest = new LinkedHashMap<>();
        private boolean open;
        private long window;
        private long quiet;
        int held;

        void add(SerfEvent.User e) {
            if (!open) {
                open = true;
                long w = ++window;
                schedule(config.userCoalescePeriod().toNanos(), () -> {
                    if (open && window == w) {
                        flush();
                    }
                });
            }
            long w = window;
            long q = ++quiet;
            schedule(config.userQuiescentPeriod().toNanos(), () -> {
                if (open && window == w && quiet == q) {
                    flush();
                }
            });
            List<SerfEvent.User> l = latest.get(e.name());
            if (l == null || l.get(0).ltime() < e.ltime()) {
                held -= l == null ? 0 : l.size();
                l = new ArrayList<>(2);
                latest.put(e.name(), l);
            } else if (l.get(0).ltime() > e.ltime()) {
                return;
            }
            l.add(e);
            held++;
            if (held >= MAX_COALESCED) {
                flush();
            }
        }

        void flush() {
            open = false;
            List<SerfEvent.User> out = new ArrayList<>(held);
            for (List<SerfEvent.User> l : latest.values()) {
                out.addAll(l);
            }
            latest.clear();
            held = 0;
            for (SerfEvent.User e : out) {
                host.emit(e);
            }
        }
    }

    /** Mutable counters behind {@link SerfMetrics}. */
    private static final class Counters {
        long intentsReceived;
        long intentsRebroadcast;
        long eventsReceived;
        long eventsDelivered;
        long eventsDuplicate;
        long eventsTooOld;
        long eventsDropped;
        long queriesReceived;
        long queriesDuplicate;
        long queriesTooOld;
        long queriesFiltered;
        long acksSent;
        long responsesSent;
        long responsesDropped;
        long relaysSent;
        long relaysForwarded;
        long relaysRefused;
        long answersReceived;
        long answersIgnored;
        long malformed;
        long unknownType;
        long flaps;
        long reaped;
    }

    // =============================================================================================
    // Builder
    // =============================================================================================

    /**
     * Builds a {@link SerfCore} together with its {@link MembershipCore}. Not thread-safe;
     * {@link #build()} validates.
     */
    public static final class Builder {
        private SerfConfig config = SerfConfig.defaults();
        private Map<String, String> tags = Map.of();
        private SerfHost host;
        private LongSupplier clock;
        private RandomGenerator random;
        private KeyringOps keyring;
        private MembershipCore.Builder membership;

        private Builder() {
        }

        /** The Serf settings; default {@link SerfConfig#defaults()}. */
        public Builder config(SerfConfig v) {
            config = Objects.requireNonNull(v, "config");
            return this;
        }

        /** The node's initial tags (copied); encoded, at most {@value SerfCore#MAX_TAGS_BYTES} bytes. */
        public Builder tags(Map<String, String> v) {
            tags = Map.copyOf(v);
            return this;
        }

        /** Where Serf events go. Required. */
        public Builder host(SerfHost v) {
            host = Objects.requireNonNull(v, "host");
            return this;
        }

        /** Monotonic nanoseconds, the same clock as the core's. Required. */
        public Builder clock(LongSupplier v) {
            clock = Objects.requireNonNull(v, "clock");
            return this;
        }

        /** Randomness for query ids and relay choices. Required. */
        public Builder random(RandomGenerator v) {
            random = Objects.requireNonNull(v, "random");
            return this;
        }

        /** The keyring the key queries act on; none (the default) answers them "encryption not enabled". */
        public Builder keyring(KeyringOps v) {
            keyring = v;
            return this;
        }

        /**
         * The core to build underneath, configured with everything but its delegate and metadata,
         * which the Serf layer sets (the tags). Its config must advertise delegate versions
         * {@code (2, 5, protocolVersion)}. Required.
         */
        public Builder membership(MembershipCore.Builder v) {
            membership = Objects.requireNonNull(v, "membership");
            return this;
        }

        /**
         * Validates, builds the core, and returns the Serf layer on top of it (neither started).
         *
         * @throws IllegalArgumentException naming the missing or bad setting
         */
        public SerfCore build() {
            require(host != null, "host is required");
            require(clock != null, "clock is required");
            require(random != null, "random is required");
            require(membership != null, "membership (a MembershipCore.Builder) is required");
            byte[] meta = encodeTags(tags, config.protocolVersion());
            require(meta.length <= MAX_TAGS_BYTES, "tags encode to " + meta.length + " bytes, limit is "
                    + MAX_TAGS_BYTES);
            SerfCore serf = new SerfCore(this);
            MembershipCore core = membership.delegate(serf).meta(meta).build();
            MembershipConfig mc = core.config();
            require(mc.delegateProtocolMin() == SerfConfig.PROTOCOL_MIN
                            && mc.delegateProtocolMax() == SerfConfig.PROTOCOL_MAX
                            && mc.delegateProtocolVersion() == config.protocolVersion(),
                    "the membership config's delegateProtocol must be (" + SerfConfig.PROTOCOL_MIN + ", "
                            + SerfConfig.PROTOCOL_MAX + ", " + config.protocolVersion() + "), got ("
                            + mc.delegateProtocolMin() + ", " + mc.delegateProtocolMax() + ", "
                            + mc.delegateProtocolVersion() + ")");
            serf.core = core;
            serf.localName = core.localName();
            return serf;
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
