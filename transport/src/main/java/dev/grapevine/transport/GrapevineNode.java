package dev.grapevine.transport;

import dev.grapevine.crypto.GossipEnvelope;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.sign.CertificateClaimAuthority;
import dev.grapevine.crypto.sign.NodeIdentity;
import dev.grapevine.crypto.tls.NodeTls;
import dev.grapevine.membership.ClaimAuthority;
import dev.grapevine.membership.Delegate;
import dev.grapevine.membership.Member;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.serf.IncomingQuery;
import dev.grapevine.serf.KeyResponse;
import dev.grapevine.serf.QueryOptions;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfCore;
import dev.grapevine.serf.SerfMember;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running cluster member: memberlist's SWIM + Lifeguard protocol over real UDP and TCP sockets,
 * wire-compatible with memberlist 0.2.2 and Serf 0.9.4 peers.
 *
 * <pre>{@code
 * try (GrapevineNode node = GrapevineNode.builder()
 *         .name("web-1")
 *         .bind("0.0.0.0:7946")
 *         .listener(new MembershipListener() {
 *             public void onJoin(Member m) { System.out.println("joined: " + m); }
 *         })
 *         .start()) {
 *     node.join("10.0.0.2:7946", "10.0.0.3");
 *     System.out.println(node.members());
 *     node.leave(Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p><b>Threading.</b> Each node owns one event-loop thread, {@code grapevine-<name>}, that runs
 * its protocol core, sockets and timers; nothing blocks on it. Every public method is
 * thread-safe. Methods that wait (queries, {@link #join}, {@link #leave}, {@link #broadcast},
 * {@link #updateMetadata}, {@link #close}) hand their work to the event loop and block the caller
 * until it is done, so they see one consistent state; called on the event loop itself (from a
 * {@link Delegate}, or from a callback of a future that completed there) they throw
 * {@link IllegalStateException} instead of deadlocking. The sends ({@link #sendBestEffort},
 * {@link #sendReliable}) and the {@code *Async} methods never block. Listeners run on the listener
 * executor, never on the event loop; they may call any method here.
 *
 * <p><b>Serf mode.</b> Started with {@link Builder#serf} (or {@link Builder#tags}), the node also
 * runs the Serf 0.9.4 layer, as a Serf agent does: tags in its metadata, join and leave intents
 * (a graceful leave shows as {@code left}, never {@code failed}), user events
 * ({@link #userEvent}), queries ({@link #query}, {@link #respond}), Serf member statuses
 * ({@link #serfMembers}) and Serf's key queries. Every application message is then a Serf message,
 * so the raw memberlist messages ({@link #broadcast}, {@link #sendBestEffort},
 * {@link #sendReliable}) and raw metadata ({@link #updateMetadata}) are not available; Serf
 * agents would misread them.
 *
 * <p><b>Encryption.</b> With a {@link Builder#keyring keyring}, every packet and stream is
 * encrypted as memberlist does it (AES-GCM under the primary key; every key tried to decrypt), so
 * the node joins Serf agents started with {@code -encrypt} or {@code -keyring-file}. Keys rotate
 * while the node runs: through the keyring itself, or cluster-wide with Serf's key queries
 * ({@link #installKey}, {@link #useKey}, {@link #removeKey}, or {@code serf keys} against any agent).
 * Refused input is counted in {@link NodeMetrics#envelopeRejections()}. With {@link Builder#tls TLS},
 * the keyring encrypts packets only: streams are protected by TLS alone, so a node whose key went
 * stale (it was down during a rotation) still joins, and then recovers the keyring (below).
 *
 * <p><b>Keyring recovery.</b> With TLS required and a keyring holding a key, a node whose gossip
 * no longer decrypts (within 10 s, at least 3 packets from members refused for want of a key and
 * none decrypted; or nothing decrypted in the first seconds after a join) asks a member for its
 * keyring over a mutually authenticated TLS stream: the certificate, not the old key, proves
 * membership. A member answers only over TLS, and only while its own gossip decrypts. The asking
 * node adopts the member's keyring as it is (the member's primary becomes its primary; keys the
 * member does not hold are removed) if the offered primary decrypts a packet it refused from
 * another member, or, when it refused none, is a key it lacks; then it writes the keyring to its
 * {@link dev.grapevine.crypto.KeyringFile file} and logs the member's name at INFO. Counted in
 * {@link NodeMetrics#keyringRecoveries()} and its neighbours.
 *
 * <p><b>Security.</b> {@link Builder#tls} puts mutual TLS on every stream connection, with no
 * plaintext fallback, and admits a node to the member list only once a TLS handshake has shown a
 * certificate from the cluster CA naming it; {@link Builder#signing} turns on signing mode, in
 * which every membership claim and user message is signed by the node that makes it. Both need
 * every member of the cluster to use them (Serf and memberlist peers cannot join such a cluster).
 *
 * <p><b>Lifecycle.</b> {@link Builder#start()} binds the sockets and starts the protocol; the node
 * runs alone until it {@linkplain #join joins} others. {@link #leave} tells the cluster it is
 * going, and {@link #close} stops it (after a leave, or abruptly, in which case the others detect
 * it as failed). After {@code close} the queries and operations throw
 * {@link IllegalStateException}; {@link #metrics()} keeps returning the last snapshot.
 */
public final class GrapevineNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GrapevineNode.class);
    /** The largest UDP payload of an IPv4 datagram. */
    private static final int MAX_UDP_PAYLOAD = 65_507;
    /** Signing mode: verified certificates and signatures cached by the claim authority. */
    static final int SIGNING_CACHE_SIZE = 4096;

    private final NodeRuntime runtime;
    private final String name;
    private final InetSocketAddress bound;
    private final NodeAddress advertise;
    private final MembershipConfig config;
    private final int packetOverhead;
    private final boolean serfMode;

    private GrapevineNode(NodeRuntime runtime, String name, InetSocketAddress bound, NodeAddress advertise,
                          MembershipConfig config, int packetOverhead, boolean serfMode) {
        this.runtime = runtime;
        this.name = name;
        this.bound = bound;
        this.advertise = advertise;
        this.config = config;
        this.packetOverhead = packetOverhead;
        this.serfMode = serfMode;
    }

    /**
     * A builder for a node; set at least its {@link Builder#name name}. Any thread.
     *
     * @return a new builder with the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    // =============================================================================================
    // Identity (no blocking, any thread, also after close)
    // =============================================================================================

    /**
     * This node's unique name. Does not block.
     *
     * @return the name given to the builder
     */
    public String name() {
        return name;
    }

    /**
     * The address other members reach this node at (UDP and TCP). Does not block.
     *
     * @return the advertised address; an IPv4 address is always 4 bytes
     */
    public NodeAddress advertiseAddress() {
        return advertise;
    }

    /**
     * The local address the sockets are bound to, with the real port. Does not block.
     *
     * @return the bind address, with the port the system picked when 0 was asked for
     */
    public InetSocketAddress boundAddress() {
        return bound;
    }

    /**
     * Whether the node runs: true from {@link Builder#start()} until {@link #close()}, also after
     * a leave. Does not block.
     *
     * @return true until closed
     */
    public boolean isRunning() {
        return runtime.isRunning();
    }

    // =============================================================================================
    // Joining and leaving
    // =============================================================================================

    /**
     * Joins a cluster: a push/pull state exchange with every address of every seed, waiting until
     * each has answered or failed (a seed that does not answer fails after the configured stream
     * timeout). Names are resolved on the calling thread. Blocks; not on the event loop.
     *
     * @param seeds {@code host:port}, {@code [v6]:port}, or a host alone (port 7946); hosts may be
     *              names, each of whose addresses is contacted
     * @return how many addresses completed the exchange (at least one)
     * @throws JoinException            when none did (or {@code seeds} is empty); it names each seed
     *                                  and why it failed. The node keeps running, alone.
     * @throws IllegalArgumentException when a seed is malformed
     * @throws IllegalStateException    on the event loop, or when the node is closed
     */
    public int join(Collection<String> seeds) {
        runtime.requireOffLoop();
        if (!runtime.isRunning()) {
            throw runtime.closedException();
        }
        List<String> failures = new ArrayList<>();
        Map<NodeAddress, String> seedOf = new LinkedHashMap<>();
        for (String seed : List.copyOf(seeds)) {
            HostPort hp = HostPort.parse(seed, HostPort.DEFAULT_PORT);
            try {
                for (InetAddress a : hp.resolveAll()) {
                    seedOf.putIfAbsent(NodeAddress.of(new InetSocketAddress(a, hp.port())), seed);
                }
            } catch (UnknownHostException e) {
                failures.add(seed + ": cannot resolve host '" + hp.host() + "'");
            }
        }
        if (seedOf.isEmpty()) {
            throw new JoinException(failures);
        }
        MembershipEvent.JoinCompleted outcome = await(runtime.join(seedOf.keySet()),
                2 * config.streamTimeout().toNanos() + TimeUnit.SECONDS.toNanos(10), "join");
        if (outcome == null) {
            failures.add("no outcome from the protocol core in time");
            throw new JoinException(failures);
        }
        for (String line : outcome.failures()) {
            failures.add(nameSeed(line, seedOf));
        }
        if (outcome.contacted() == 0) {
            throw new JoinException(failures);
        }
        if (!failures.isEmpty()) {
            LOG.info("node {} joined through {} address(es); failed: {}", name, outcome.contacted(), failures);
        }
        return outcome.contacted();
    }

    /**
     * Joins a cluster; see {@link #join(Collection)}. Blocks; not on the event loop.
     *
     * @param seeds {@code host:port}, {@code [v6]:port} or a host alone (port 7946)
     * @return how many addresses completed the exchange
     * @throws JoinException when none did
     */
    public int join(String... seeds) {
        return join(Arrays.asList(seeds));
    }

    /**
     * Joins a cluster without blocking: {@link #join(Collection)} runs on a new daemon thread,
     * which also completes the future (never the event loop). Any thread.
     *
     * @param seeds as for {@link #join(Collection)}
     * @return how many addresses completed the exchange, or a {@link JoinException} (or
     *         {@link IllegalArgumentException} for a malformed seed, {@link IllegalStateException}
     *         when the node is closed)
     */
    public CompletableFuture<Integer> joinAsync(Collection<String> seeds) {
        List<String> copy = List.copyOf(seeds);
        CompletableFuture<Integer> f = new CompletableFuture<>();
        NodeThreads.spawn(name, "join", () -> {
            try {
                f.complete(join(copy));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /**
     * Leaves the cluster gracefully: gossips that this node is leaving and waits until that news
     * has been sent as often as the protocol's retransmit limit asks, or until {@code timeout}. Other
     * members then hold the node as {@link MemberState#LEFT}, not failed. The node keeps running
     * (and answering) until {@link #close()}; call that next. Calling it again returns the first
     * outcome. Blocks; not on the event loop.
     *
     * @param timeout the longest to wait; zero waits as long as it takes
     * @return true when the leave was propagated; false on timeout or when the node was closed first
     * @throws IllegalStateException on the event loop, or when the node is closed
     */
    public boolean leave(Duration timeout) {
        requireTimeout(timeout);
        runtime.requireOffLoop();
        CompletableFuture<Boolean> f = runtime.leave(timeout);
        long wait = timeout.isZero() ? Long.MAX_VALUE : timeout.toNanos() + TimeUnit.SECONDS.toNanos(5);
        Boolean done = await(f, wait, "leave");
        return done != null && done;
    }

    /**
     * Leaves gracefully without blocking: {@link #leave(Duration)} runs on a new daemon thread,
     * which also completes the future. Any thread.
     *
     * @param timeout as for {@link #leave(Duration)}
     * @return whether the leave was propagated
     */
    public CompletableFuture<Boolean> leaveAsync(Duration timeout) {
        requireTimeout(timeout);
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        NodeThreads.spawn(name, "leave", () -> {
            try {
                f.complete(leave(timeout));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    // =============================================================================================
    // Queries (block briefly on the event loop; not on the event loop)
    // =============================================================================================

    /**
     * Members alive or suspect, this node included (memberlist's {@code Members}). Snapshots; they
     * do not change afterwards. Blocks briefly; not on the event loop.
     *
     * @return the members, in no particular order
     * @throws IllegalStateException on the event loop, or when the node is closed
     */
    public List<Member> members() {
        return runtime.call(() -> {
            List<Member> out = new ArrayList<>();
            for (Member m : runtime.core().members()) {
                if (m.state() == MemberState.ALIVE || m.state() == MemberState.SUSPECT) {
                    out.add(m);
                }
            }
            return List.copyOf(out);
        });
    }

    /**
     * Every member known, dead and left ones included until they are reaped. Blocks briefly; not on
     * the event loop.
     *
     * @return the members, in no particular order
     * @throws IllegalStateException on the event loop, or when the node is closed
     */
    public List<Member> allMembers() {
        return runtime.call(() -> List.copyOf(runtime.core().members()));
    }

    /**
     * This node as the cluster sees it. Blocks briefly; not on the event loop.
     *
     * @return a snapshot of the local member (its incarnation, metadata, state)
     * @throws IllegalStateException on the event loop, or when the node is closed
     */
    public Member localMember() {
        return runtime.call(() -> runtime.core().localMember());
    }

    /**
     * How many members are alive or suspect, this node included. Blocks briefly; not on the event loop.
     *
     * @return at least 1
     * @throws IllegalStateException on the event loop, or when the node is closed
     */
    public int numMembers() {
        return runtime.call(() -> runtime.core().numMembers());
    }

    /**
     * Lifeguard's local health score: 0 is healthy; higher means this node has recently missed acks
     * or nacks and is stretching its probe timeouts. Blocks briefly; not on the event loop.
     *
     * @return 0 up to {@code awarenessMaxMultiplier - 1}
     * @throws IllegalStateException on the event loop, or when the node is closed
     */
    public int healthScore() {
        return runtime.call(() -> runtime.core().healthScore());
    }

    /**
     * A snapshot of the node's metrics. Any thread: on the event loop it does not block, elsewhere
     * it waits briefly for the loop. After {@link #close()}, the last snapshot taken.
     *
     * @return an immutable snapshot
     */
    public NodeMetrics metrics() {
        return runtime.metrics();
    }

    // =============================================================================================
    // Operations
    // =============================================================================================

    /**
     * Replaces this node's metadata; other members see it through
     * {@link MembershipListener#onUpdate}. Blocks briefly; not on the event loop.
     *
     * @param meta at most {@link MembershipConfig#metaMaxSize()} bytes (copied)
     * @throws IllegalArgumentException when too long
     * @throws IllegalStateException    on the event loop, or when the node is closed
     */
    public void updateMetadata(byte[] meta) {
        requireRawMode("updateMetadata", "setTags");
        byte[] copy = Objects.requireNonNull(meta, "meta").clone();
        runtime.call(() -> {
            runtime.core().updateMetadata(copy);
            return null;
        });
    }

    /**
     * Queues an application broadcast, piggybacked on the node's gossip until sent a limited number
     * of times; receivers get {@link MembershipListener#onUserMessage}. Best effort: memberlist's
     * user broadcasts are not acknowledged or re-gossiped. Blocks briefly; not on the event loop.
     *
     * @param payload the bytes (copied); must fit in one packet with the gossip overheads
     * @throws IllegalArgumentException when the payload cannot fit in a packet
     * @throws IllegalStateException    on the event loop, or when the node is closed
     */
    public void broadcast(byte[] payload) {
        requireRawMode("broadcast", "userEvent");
        byte[] copy = Objects.requireNonNull(payload, "payload").clone();
        runtime.call(() -> {
            runtime.core().broadcast(copy);
            return null;
        });
    }

    /**
     * Sends an application message in one UDP packet; the receiver gets
     * {@link MembershipListener#onUserMessage}. No acknowledgement and no retry. Does not block; any
     * thread.
     *
     * @param to      the receiver's address (a member's {@link Member#address()})
     * @param payload the bytes (copied)
     * @throws IllegalArgumentException when the payload cannot fit in one datagram
     * @throws IllegalStateException    when the node is closed
     */
    public void sendBestEffort(NodeAddress to, byte[] payload) {
        requireRawMode("sendBestEffort", "query");
        Objects.requireNonNull(to, "to");
        byte[] copy = Objects.requireNonNull(payload, "payload").clone();
        if (copy.length + 1 + packetOverhead > MAX_UDP_PAYLOAD) {
            throw new IllegalArgumentException("message of " + copy.length + " bytes does not fit in one UDP packet;"
                    + " use sendReliable");
        }
        runtime.execute(() -> runtime.core().sendUserMessage(to, copy));
    }

    /**
     * Sends an application message over a TCP stream of its own; the receiver gets
     * {@link MembershipListener#onUserMessage}. Does not block; any thread.
     *
     * <p>The future completes on the node's event loop: dependent actions attached without an
     * {@code *Async} variant run there and must be quick and must not block (this node's blocking
     * methods throw there).
     *
     * @param to      the receiver's address
     * @param payload the bytes (copied), at most 20 MiB
     * @return completes when the message has been written and flushed to the connection (not when
     *         the receiver processed it), or exceptionally when connecting or writing failed or the
     *         stream timeout passed
     * @throws IllegalArgumentException when the payload is over 20 MiB
     * @throws IllegalStateException    when the node is closed
     */
    public CompletableFuture<Void> sendReliable(NodeAddress to, byte[] payload) {
        requireRawMode("sendReliable", "query");
        Objects.requireNonNull(to, "to");
        byte[] copy = Objects.requireNonNull(payload, "payload").clone();
        if (copy.length > Streams.MAX_STREAM_BYTES) {
            throw new IllegalArgumentException("message of " + copy.length + " bytes is over the 20 MiB stream limit");
        }
        return runtime.sendReliable(to, copy);
    }

    // =============================================================================================
    // Serf mode
    // =============================================================================================

    /** True when the node runs the Serf layer ({@link Builder#serf}). Any thread. */
    public boolean serfMode() {
        return serfMode;
    }

    /**
     * Sends a Serf user event to every member (Serf agents see it in {@code serf monitor} and their
     * event handlers; Grapevine nodes in {@link SerfListener}). Blocks briefly; not on the event loop.
     *
     * @param eventName the event's name
     * @param payload   the bytes (copied); name and payload within Serf's size limit (512 bytes by default)
     * @param coalesce  whether receivers that coalesce may merge it with later events of the same name
     * @throws IllegalArgumentException when too large
     * @throws IllegalStateException    when not in Serf mode, on the event loop, or when closed
     */
    public void userEvent(String eventName, byte[] payload, boolean coalesce) {
        Objects.requireNonNull(eventName, "eventName");
        byte[] copy = Objects.requireNonNull(payload, "payload").clone();
        runtime.call(() -> {
            runtime.requireSerf().userEvent(eventName, copy, coalesce);
            return null;
        });
    }

    /**
     * Starts a Serf query: every member matching the filters gets it, and may answer once before
     * the deadline. Does not block; not on the event loop.
     *
     * @param queryName the query's name
     * @param payload   the bytes (copied)
     * @param options   filters, ack request, relay factor, timeout ({@link QueryOptions#defaults()})
     * @param callback  gets acks and answers as they arrive, or null
     * @return completes at the query's deadline, on the listener executor, with everything that came back
     * @throws IllegalArgumentException when too large or the options are invalid
     * @throws IllegalStateException    when not in Serf mode, on the event loop, or when closed
     */
    public CompletableFuture<QueryResult> query(String queryName, byte[] payload, QueryOptions options,
                                                QueryCallback callback) {
        Objects.requireNonNull(queryName, "queryName");
        Objects.requireNonNull(options, "options");
        return runtime.query(queryName, Objects.requireNonNull(payload, "payload").clone(), options, callback);
    }

    /**
     * {@link #query(String, byte[], QueryOptions, QueryCallback)} without a callback.
     *
     * @return completes at the query's deadline with everything that came back
     */
    public CompletableFuture<QueryResult> query(String queryName, byte[] payload, QueryOptions options) {
        return query(queryName, payload, options, null);
    }

    /**
     * Answers a query delivered to a {@link SerfListener} (once, before its deadline). Blocks
     * briefly; not on the event loop.
     *
     * @param query   the query, from the {@code Query} event
     * @param payload the answer (copied), within Serf's response size limit
     * @throws IllegalArgumentException when too large
     * @throws IllegalStateException    when already answered, past its deadline, not in Serf mode, or closed
     */
    public void respond(IncomingQuery query, byte[] payload) {
        runtime.respond(Objects.requireNonNull(query, "query"), Objects.requireNonNull(payload, "payload").clone());
    }

    /**
     * The members with their Serf statuses ({@code alive}, {@code leaving}, {@code left},
     * {@code failed}) and tags, including this node. Blocks briefly; not on the event loop.
     *
     * @return an immutable snapshot
     * @throws IllegalStateException when not in Serf mode, on the event loop, or when closed
     */
    public List<SerfMember> serfMembers() {
        return runtime.serfMembers();
    }

    /**
     * Replaces this node's tags; other members see a {@code MemberUpdate}. Blocks briefly; not on
     * the event loop.
     *
     * @param tags the new tags; encoded at most 512 bytes
     * @throws IllegalArgumentException when too large
     * @throws IllegalStateException    when not in Serf mode, on the event loop, or when closed
     */
    public void setTags(Map<String, String> tags) {
        Map<String, String> copy = Map.copyOf(tags);
        runtime.call(() -> {
            runtime.requireSerf().setTags(copy);
            return null;
        });
    }

    /**
     * This node's tags. Blocks briefly; not on the event loop.
     *
     * @return an immutable map
     */
    public Map<String, String> tags() {
        return runtime.call(() -> runtime.requireSerf().tags());
    }

    /**
     * Asks every member to install a gossip key (Serf's {@code _serf_install-key} query). Does not block.
     *
     * @param key a 16, 24 or 32-byte AES key (copied; never logged)
     * @return completes with the aggregated answers when the query's deadline passes
     */
    public CompletableFuture<KeyResponse> installKey(byte[] key) {
        byte[] k = key.clone();
        return runtime.keyQuery(s -> s.installKey(k, 0));
    }

    /**
     * Asks every member to make a key primary (Serf's {@code _serf_use-key} query). Does not block.
     *
     * @param key an installed key (copied; never logged)
     * @return completes with the aggregated answers
     */
    public CompletableFuture<KeyResponse> useKey(byte[] key) {
        byte[] k = key.clone();
        return runtime.keyQuery(s -> s.useKey(k, 0));
    }

    /**
     * Asks every member to remove a key (Serf's {@code _serf_remove-key} query). Does not block.
     *
     * @param key a key that is not primary (copied; never logged)
     * @return completes with the aggregated answers
     */
    public CompletableFuture<KeyResponse> removeKey(byte[] key) {
        byte[] k = key.clone();
        return runtime.keyQuery(s -> s.removeKey(k, 0));
    }

    /**
     * Asks every member for its keys (Serf's {@code _serf_list-keys} query). Does not block.
     *
     * @return completes with the keys and how many members hold each
     */
    public CompletableFuture<KeyResponse> listKeys() {
        return runtime.keyQuery(s -> s.listKeys(0));
    }

    /**
     * Keyring recovery on demand (tests): asks {@code peer} at {@code address} for its keyring over
     * TLS; adopted only under the usual rule. Not on the event loop.
     *
     * @return completes on the event loop with the outcome
     */
    CompletableFuture<KeyringRecovery.Outcome> recoverKeyringFrom(NodeAddress address, String peer) {
        return runtime.recoverKeyringFrom(address, peer);
    }

    private void requireRawMode(String method, String instead) {
        if (serfMode) {
            throw new IllegalStateException(method + " is not available in Serf mode (Serf agents would misread a raw "
                    + "message); use " + instead);
        }
    }

    /**
     * Stops the node at once, without leaving (peers will detect it as failed; call {@link #leave}
     * first for a graceful exit): shuts the protocol down, fails pending joins, closes the sockets
     * and stream connections, stops the event loop and the node's default listener executor (which
     * still delivers the events already queued). Waits up to a few seconds. Idempotent. Blocks; not
     * on the event loop.
     *
     * @throws IllegalStateException on the event loop
     */
    @Override
    public void close() {
        runtime.close();
    }

    /** The node's name and addresses. */
    @Override
    public String toString() {
        return "GrapevineNode[" + name + " advertise=" + advertise + " bound=" + bound
                + (isRunning() ? "" : " closed") + "]";
    }

    // =============================================================================================
    // Helpers
    // =============================================================================================

    private <T> T await(CompletableFuture<T> f, long nanos, String what) {
        try {
            return nanos == Long.MAX_VALUE ? f.get() : f.get(nanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + what + " of node " + name, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** Rewrites the core's "address: reason" lines to name the seed as the user wrote it. */
    private static String nameSeed(String line, Map<NodeAddress, String> seedOf) {
        for (Map.Entry<NodeAddress, String> e : seedOf.entrySet()) {
            String addr = e.getKey().toString();
            if (line.startsWith(addr + ":")) {
                return e.getValue().equals(addr) ? line : e.getValue() + " (" + line.substring(0, addr.length()) + ")"
                        + line.substring(addr.length());
            }
        }
        return line;
    }

    private static void requireTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
    }

    // =============================================================================================
    // Builder
    // =============================================================================================

    /**
     * Configures and starts a {@link GrapevineNode}. Only {@link #name} is required. Not
     * thread-safe: configure and start it from one thread; it may be reused to start more nodes
     * (give each its own name and port).
     */
    public static final class Builder {
        private String name;
        private MembershipConfig config = MembershipConfig.lan();
        private HostPort bind = new HostPort("0.0.0.0", HostPort.DEFAULT_PORT);
        private InetSocketAddress bindAddress;
        private HostPort advertise;
        private InetSocketAddress advertiseAddress;
        private byte[] meta = new byte[0];
        private final List<MembershipListener> listeners = new ArrayList<>();
        private Executor listenerExecutor;
        private Delegate delegate;
        private SerfConfig serfConfig;
        private Map<String, String> tags;
        private Keyring keyring;
        private boolean gossipVerifyIncoming = true;
        private boolean gossipVerifyOutgoing = true;
        private String label;
        private final List<SerfListener> serfListeners = new ArrayList<>();
        private int maxStreamBytes = Streams.MAX_STREAM_BYTES;
        private int maxConcurrentPushPulls = 128;
        private TlsMode tlsMode = TlsMode.OFF;
        private NodeTls nodeTls;
        private NodeIdentity identity;
        private ClusterTrust trust;
        // Package-private seams: tests start impostors (a certificate for another node than the name).
        boolean skipIdentityNameCheck;
        // Package-private seams: the I/O flavour, the security layer's envelopes, interface listing.
        IoTransport io;
        PacketEnvelope packetEnvelope = PacketEnvelope.IDENTITY;
        StreamEnvelope streamEnvelope = StreamEnvelope.IDENTITY;
        AdvertiseAddress.InterfaceSource interfaces = AdvertiseAddress.InterfaceSource.system();

        private Builder() {
        }

        /**
         * The node's unique name in the cluster. Required.
         *
         * @param name 1..255 bytes of UTF-8
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Protocol tuning.
         *
         * @param config the timings and limits; default {@link MembershipConfig#lan()}
         * @return this builder
         */
        public Builder config(MembershipConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Where to listen, UDP and TCP on the same port: {@code host:port}, {@code [v6]:port} or a
         * host alone (port 7946). Default {@code 0.0.0.0:7946}. Port 0 picks a free port.
         *
         * @param hostPort where to listen
         * @return this builder
         * @throws IllegalArgumentException when malformed
         */
        public Builder bind(String hostPort) {
            this.bind = HostPort.parse(hostPort, HostPort.DEFAULT_PORT);
            this.bindAddress = null;
            return this;
        }

        /**
         * Where to listen; see {@link #bind(String)}.
         *
         * @param address an unresolved address is resolved by {@link #start()}
         * @return this builder
         */
        public Builder bind(InetSocketAddress address) {
            this.bindAddress = Objects.requireNonNull(address, "address");
            this.bind = null;
            return this;
        }

        /**
         * The address to tell other members ({@code host:port}, {@code [v6]:port}, or a host alone
         * for the bound port). Default: the bind address when it is a specific IP; for a wildcard
         * bind, the first private address of an interface that is up and not loopback, else its
         * first other address (see memberlist's {@code GetPrivateIP}).
         *
         * @param hostPort the address to advertise
         * @return this builder
         * @throws IllegalArgumentException when malformed
         */
        public Builder advertise(String hostPort) {
            this.advertise = HostPort.parse(hostPort, 0);
            this.advertiseAddress = null;
            return this;
        }

        /**
         * The address to tell other members; see {@link #advertise(String)}.
         *
         * @param address the address; port 0 means the bound port
         * @return this builder
         */
        public Builder advertise(InetSocketAddress address) {
            this.advertiseAddress = Objects.requireNonNull(address, "address");
            this.advertise = null;
            return this;
        }

        /**
         * Initial metadata (Serf puts its tags here). Default empty.
         *
         * @param meta at most {@link MembershipConfig#metaMaxSize()} bytes (copied)
         * @return this builder
         */
        public Builder meta(byte[] meta) {
            this.meta = Objects.requireNonNull(meta, "meta").clone();
            return this;
        }

        /**
         * Adds a listener; may be called several times (listeners are called in this order).
         *
         * @param listener receives membership events on the listener executor
         * @return this builder
         */
        public Builder listener(MembershipListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Where listeners run. Default: one daemon thread per node, {@code grapevine-<name>-events},
         * delivering events in order, stopped by {@link GrapevineNode#close()}. A given executor
         * is not shut down by the node; events are delivered in order only if it runs tasks in order.
         *
         * @param executor runs listener callbacks
         * @return this builder
         */
        public Builder listenerExecutor(Executor executor) {
            this.listenerExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Advanced: hooks into the protocol core (push/pull state, piggybacked broadcasts, ack
         * payloads), called synchronously on the event loop; see {@link Delegate} for what they
         * may do. Default: none.
         *
         * @param delegate the hooks
         * @return this builder
         */
        public Builder delegate(Delegate delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
            return this;
        }

        /**
         * Runs the Serf 0.9.4 layer on this node (see "Serf mode" on {@link GrapevineNode}). The
         * membership config's delegate protocol versions are set to Serf's (2, 5,
         * {@code serf.protocolVersion()}), so that Serf agents accept the node.
         *
         * @param serf Serf's timings and limits, e.g. {@link SerfConfig#defaults()}
         * @return this builder
         */
        public Builder serf(SerfConfig serf) {
            this.serfConfig = Objects.requireNonNull(serf, "serf");
            return this;
        }

        /**
         * The node's Serf tags (encoded in its metadata as Serf does, so {@code serf members}
         * shows them). Implies Serf mode.
         *
         * @param tags at most 512 bytes encoded
         * @return this builder
         */
        public Builder tags(Map<String, String> tags) {
            this.tags = Map.copyOf(tags);
            return this;
        }

        /**
         * Encrypts gossip with this keyring, as memberlist and Serf's {@code -encrypt} /
         * {@code -keyring-file} do: every UDP packet and TCP stream is sealed with AES-GCM under the
         * primary key, and what arrives must decrypt with one of the keys (see
         * {@link #gossipVerifyIncoming} and {@link #gossipVerifyOutgoing} to switch a running
         * cluster over in steps). The keyring is read on every packet, so its changes apply at once.
         * In Serf mode it also serves Serf's key queries ({@code serf keys -install|-use|-remove|-list},
         * {@link GrapevineNode#installKey} ...), and a keyring loaded from a {@link dev.grapevine.crypto.KeyringFile}
         * is written back after each change. Default: none, so gossip is plaintext and key queries are
         * answered "encryption not enabled", as by a Serf agent without {@code -encrypt}. An empty
         * keyring answers key queries and encrypts once a key is installed.
         *
         * @param keyring the keys; may be shared by several nodes
         * @return this builder
         */
        public Builder keyring(Keyring keyring) {
            this.keyring = Objects.requireNonNull(keyring, "keyring");
            return this;
        }

        /**
         * memberlist's {@code GossipVerifyIncoming}: whether packets and streams that do not decrypt
         * are refused (true, the default) or taken as plaintext. With {@link #keyring} only; Serf
         * agents always verify. To turn encryption on in a running cluster: restart every node with
         * a keyring and both verifications off, then with outgoing on, then with incoming on; the
         * metric {@link NodeMetrics#unverifiedAccepted()} tells when every peer encrypts.
         *
         * @param verify false to accept plaintext alongside encrypted input
         * @return this builder
         */
        public Builder gossipVerifyIncoming(boolean verify) {
            this.gossipVerifyIncoming = verify;
            return this;
        }

        /**
         * memberlist's {@code GossipVerifyOutgoing}: whether packets and streams are sent encrypted
         * (true, the default) or in plaintext although a keyring is set. See
         * {@link #gossipVerifyIncoming}.
         *
         * @param verify false to send plaintext
         * @return this builder
         */
        public Builder gossipVerifyOutgoing(boolean verify) {
            this.gossipVerifyOutgoing = verify;
            return this;
        }

        /**
         * A cluster label, as newer memberlist's {@code Label}: a header in front of every packet
         * and at the start of every stream connection, and part of the encryption's authenticated
         * data; input with another label or none is refused. Keeps clusters sharing a network (or a
         * key) apart. Serf 0.9.4 / memberlist 0.2.2 do not understand it: a labelled node cannot
         * talk to them. Default none.
         *
         * @param label 1..255 bytes of UTF-8
         * @return this builder
         * @throws IllegalArgumentException when empty or longer than 255 bytes
         */
        public Builder label(String label) {
            Objects.requireNonNull(label, "label");
            int n = label.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (n == 0 || n > GossipEnvelope.MAX_LABEL_BYTES) {
                throw new IllegalArgumentException("label must be 1.." + GossipEnvelope.MAX_LABEL_BYTES
                        + " bytes of UTF-8, got " + n);
            }
            this.label = label;
            return this;
        }

        /**
         * Adds a Serf listener (implies Serf mode); may be called several times.
         *
         * @param listener receives Serf events on the listener executor
         * @return this builder
         */
        public Builder serfListener(SerfListener listener) {
            serfListeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * The largest stream message accepted, in bytes (a longer one closes its connection).
         * Default 20 MiB, memberlist's limit.
         *
         * @param bytes the limit, for requests and replies alike (an encrypted stream's header included)
         * @return this builder
         * @throws IllegalArgumentException below 1 KiB
         */
        public Builder maxStreamBytes(int bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("maxStreamBytes must be at least 1024: " + bytes);
            }
            this.maxStreamBytes = bytes;
            return this;
        }

        /**
         * Inbound streams are refused when one more would make this many in progress (so at most
         * {@code n - 1} are served at once, as memberlist's limit of 128 does). Default 128.
         *
         * @param n the limit
         * @return this builder
         * @throws IllegalArgumentException below 2
         */
        public Builder maxConcurrentPushPulls(int n) {
            if (n < 2) {
                throw new IllegalArgumentException("maxConcurrentPushPulls must be at least 2: " + n);
            }
            this.maxConcurrentPushPulls = n;
            return this;
        }

        /**
         * TLS for every stream connection (push/pulls, stream pings, reliable messages).
         * {@link TlsMode#REQUIRED}: mutual TLS always, no plaintext fallback. An inbound connection
         * that does not complete a handshake with a client certificate from the cluster CA is closed;
         * an outbound stream to a known node fails unless the server's certificate names that node
         * (a join seed may be any node with a cluster certificate). A push/pull must carry the state
         * of the node its certificate names, or it is refused. A node enters the member list (or moves
         * to another address) only once this node has authenticated a certificate naming it: its own
         * record in a push/pull on a TLS stream with its certificate, an outbound handshake to its
         * address, or (signing mode) an alive it signed; a node heard of only by gossip is verified
         * first by a push/pull to its address that expects its certificate. The certificate and key
         * files are reloaded when they change on disk, for the next handshake. With a
         * {@link #keyring keyring}, streams carry no AES envelope inside TLS, and a node whose gossip
         * key went stale recovers the keyring from a member over TLS (see "Keyring recovery" on
         * {@link GrapevineNode}). Default {@link TlsMode#OFF}: plain TCP, as memberlist.
         *
         * @param mode {@link TlsMode#OFF} or {@link TlsMode#REQUIRED}
         * @param tls  the CA, this node's certificate (whose SAN DNS entry must be the node's
         *             {@link #name}) and key; required for {@code REQUIRED}, ignored for {@code OFF}
         *             (may be null then)
         * @return this builder
         */
        public Builder tls(TlsMode mode, NodeTls tls) {
            Objects.requireNonNull(mode, "mode");
            if (mode == TlsMode.REQUIRED) {
                Objects.requireNonNull(tls, "tls material is required for TlsMode.REQUIRED");
            }
            this.tlsMode = mode;
            this.nodeTls = mode == TlsMode.OFF ? null : tls;
            return this;
        }

        /**
         * Turns on signing mode: this node signs every claim it makes (alive, suspect, dead, leave)
         * and every user message with its Ed25519 identity key, attaching its certificate to its
         * own alive claims, and accepts only claims signed by the node entitled to make them, with a
         * certificate from the cluster CA naming it. Every member must be in signing mode. Reliable
         * (stream) user messages are not available in signing mode. Default: off.
         *
         * @param identity this node's Ed25519 key and certificate; the certificate must name this
         *                 node ({@link #name})
         * @param trust    the cluster CA
         * @return this builder
         */
        public Builder signing(NodeIdentity identity, ClusterTrust trust) {
            this.identity = Objects.requireNonNull(identity, "identity");
            this.trust = Objects.requireNonNull(trust, "trust");
            return this;
        }

        /**
         * Binds the sockets (UDP and TCP on one port), starts the event loop and the protocol, and
         * returns the running node, alone until it {@linkplain GrapevineNode#join joins} others.
         * Resolves names and binds on the calling thread.
         *
         * @return the running node
         * @throws IllegalStateException    when no name was set, or no address to advertise can be found, or the
         *                                  TLS or signing certificate does not name this node
         * @throws IllegalArgumentException when a setting is invalid (e.g. metadata too long)
         * @throws UncheckedIOException     naming the address when a name does not resolve or binding fails
         */
        public GrapevineNode start() {
            if (name == null) {
                throw new IllegalStateException("name is required");
            }
            if (meta.length > config.metaMaxSize()) {
                throw new IllegalArgumentException("metadata is " + meta.length + " bytes, limit is "
                        + config.metaMaxSize());
            }
            StreamTls streamTls = null;
            if (tlsMode == TlsMode.REQUIRED) {
                streamTls = StreamTls.of(nodeTls);
                String certName = streamTls.localName();
                if (!name.equals(certName) && !skipIdentityNameCheck) {
                    throw new IllegalStateException("node name '" + name + "' is not the name in its TLS certificate ('"
                            + certName + "'): the certificate's SAN DNS entry must be the node name");
                }
            }
            ClaimAuthority authority = null;
            if (identity != null) {
                String idName = identity.nodeName();
                if (!name.equals(idName) && !skipIdentityNameCheck) {
                    throw new IllegalStateException("node name '" + name + "' is not the name in its signing "
                            + "certificate ('" + idName + "'): the certificate must name the node");
                }
                authority = new CertificateClaimAuthority(trust, identity, SIGNING_CACHE_SIZE);
            }
            SerfSetup serfSetup = null;
            MembershipConfig cfg = config;
            if (serfConfig != null || tags != null || !serfListeners.isEmpty()) {
                if (delegate != null) {
                    throw new IllegalStateException("a delegate cannot be combined with Serf mode: Serf is the delegate");
                }
                if (meta.length > 0) {
                    throw new IllegalStateException("raw metadata cannot be combined with Serf mode: use tags");
                }
                SerfConfig sc = serfConfig != null ? serfConfig : SerfConfig.defaults();
                cfg = config.toBuilder().delegateProtocol(2, 5, sc.protocolVersion()).build();
                serfSetup = new SerfSetup(sc, tags != null ? tags : Map.of(), keyring, serfListeners);
            }
            if (keyring == null && (!gossipVerifyIncoming || !gossipVerifyOutgoing)) {
                throw new IllegalStateException("gossipVerifyIncoming/gossipVerifyOutgoing need a keyring");
            }
            PacketEnvelope packets = packetEnvelope;
            StreamEnvelope streams = streamEnvelope;
            if ((keyring != null || label != null) && packets == PacketEnvelope.IDENTITY
                    && streams == StreamEnvelope.IDENTITY) {
                GossipEnvelope envelope = GossipEnvelope.builder(keyring != null ? keyring : Keyring.empty())
                        .label(label).verifyIncoming(gossipVerifyIncoming).verifyOutgoing(gossipVerifyOutgoing)
                        .encryptionVersion(cfg.protocolVersion() == 1 ? 0 : 1).build();
                EnvelopeRefusals refusals = new EnvelopeRefusals(name);
                int overhead = keyring != null ? envelope.packetOverhead() : envelope.streamLabelHeader().length;
                packets = new EncryptedPacketEnvelope(envelope, refusals, overhead);
                // With TLS, streams are protected and authenticated by TLS (certificates, not the
                // gossip key): no AES envelope inside, so a node whose gossip key is stale can still
                // sync over TLS and recover.
                streams = streamTls != null ? StreamEnvelope.IDENTITY : new EncryptedStreamEnvelope(envelope, refusals);
            }
            InetSocketAddress bindTo = resolve(bindAddress != null ? bindAddress
                    : InetSocketAddress.createUnresolved(bind.host(), bind.port()), "bind");
            ExecutorService owned = listenerExecutor == null ? NodeThreads.events(name) : null;
            ListenerDispatcher dispatcher = new ListenerDispatcher(listeners, serfListeners,
                    owned != null ? owned : listenerExecutor, owned);
            NodeRuntime runtime = new NodeRuntime(name, io != null ? io : IoTransport.detect(), packets,
                    streams, dispatcher, maxStreamBytes, maxConcurrentPushPulls);
            runtime.security(streamTls, authority);
            if (keyring != null) {
                String lbl = label;
                int version = cfg.protocolVersion() == 1 ? 0 : 1;
                runtime.keyring(keyring, (key, datagram) -> GossipEnvelope.builder(Keyring.of(key)).label(lbl)
                        .encryptionVersion(version).build().openPacket(datagram).ok());
            }
            try {
                InetSocketAddress bound = runtime.bind(bindTo);
                NodeAddress adv = advertiseFor(bound);
                runtime.start(cfg, adv, meta, delegate, serfSetup);
                LOG.info("node {} started on {}, advertising {}{}{}{}{}", name, bound, adv,
                        serfSetup != null ? " (Serf mode)" : "", keyring != null ? " (encrypted, " + keyring + ")" : "",
                        streamTls != null ? ", TLS required" : "", authority != null ? ", signing on" : "");
                return new GrapevineNode(runtime, name, bound, adv, cfg, packets.overhead(), serfSetup != null);
            } catch (RuntimeException | Error e) {
                runtime.close();
                throw e;
            }
        }

        private NodeAddress advertiseFor(InetSocketAddress bound) {
            InetSocketAddress explicit = advertiseAddress != null ? advertiseAddress
                    : advertise != null ? InetSocketAddress.createUnresolved(advertise.host(), advertise.port()) : null;
            InetAddress ip;
            int port = bound.getPort();
            if (explicit != null) {
                InetSocketAddress a = resolve(explicit, "advertise");
                if (a.getAddress().isAnyLocalAddress()) {
                    throw new IllegalArgumentException("cannot advertise the wildcard address " + explicit);
                }
                ip = a.getAddress();
                if (a.getPort() != 0) {
                    port = a.getPort();
                }
            } else {
                ip = AdvertiseAddress.choose(bound.getAddress(), interfaces);
            }
            // InetAddress folds IPv4-mapped IPv6 addresses to IPv4, so IPv4 is always 4 bytes here.
            return NodeAddress.of(new InetSocketAddress(ip, port));
        }

        private static InetSocketAddress resolve(InetSocketAddress a, String what) {
            if (!a.isUnresolved()) {
                return a;
            }
            try {
                return new InetSocketAddress(InetAddress.getByName(a.getHostString()), a.getPort());
            } catch (UnknownHostException e) {
                throw new UncheckedIOException("cannot resolve the " + what + " address '" + a.getHostString() + "'", e);
            }
        }
    }
}
