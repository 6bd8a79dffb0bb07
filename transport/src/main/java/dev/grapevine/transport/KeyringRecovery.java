package dev.grapevine.transport;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.membership.NodeAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyring recovery over mutual TLS: a node whose gossip key went stale (it was down or cut off
 * while the cluster rotated its keys) gets the current keyring from a member, proving its
 * membership with its TLS certificate rather than with the old key; and the other side of it,
 * answering such requests. Only a node with {@link TlsMode#REQUIRED TLS required} and a keyring
 * holding at least one key asks or answers; the exchange ({@link KeyringMessages}) only ever
 * travels on a mutually authenticated TLS stream.
 *
 * <p><b>When a node asks.</b> (1) When it is <em>locked out</em>: within the last
 * {@link #WINDOW_NANOS 10 s}, at least {@link #THRESHOLD 3} UDP packets from addresses of members
 * it holds alive or suspect failed to decrypt with every key it has ({@code NO_KEY_DECRYPTS}), and
 * no packet at all decrypted. (2) A short while after a join that reached someone
 * ({@code joinCheckDelay}: two probe intervals, at least 2 s), when no packet has decrypted since
 * the join (a node that rejoins after it was declared dead hears no gossip until the others take
 * it back, which needs gossip they can read). It asks the member whose
 * undecryptable packet is the most recent (another one than the last that failed to help, when
 * it can), else a random live member; at most once every {@link #RETRY_NANOS 5 s}, one request at
 * a time. The request carries a digest of its primary key, so that a responder whose primary is
 * the same answers "current" and sends no key.
 *
 * <p><b>When a node answers.</b> With every key of its keyring, primary first, only on a TLS
 * stream whose client certificate (from the cluster CA, naming a node) the handshake verified,
 * only when it has a keyring, and only when it decrypted a gossip packet within the last 10 s: a
 * node must show that it shares its key with the cluster before it hands the key on (an isolated
 * node with a stale key must not spread it). Otherwise the answer is a refusal (an errResp, no key
 * material), or on a plaintext stream no answer at all; each refusal is counted
 * ({@link TransportCounters#keyringRequestsRefused}) and logged rate-limited.
 *
 * <p><b>What a node adopts.</b> The answer must come from the node asked (its TLS server
 * certificate names it). If this node refused packets from live members other than the responder
 * in the window before it asked (it keeps the last {@link #KEPT}), the offered primary key must
 * decrypt one of them; if it refused none, the offered primary must be a key it does not hold
 * (else it can read the responder's gossip and there is nothing to recover). Then the node takes
 * the responder's keyring as it is: it installs the keys it lacks, makes the responder's primary
 * its primary, removes (and wipes) the keys the responder does not hold (a key the cluster retired
 * must not stay usable on one node), and writes the keyring to its file ({@link Keyring#persist()})
 * if it has one, then runs a push/pull with the responder (what it missed while it could not
 * read gossip, and the others' view of it, are exchanged at once). A recovery is logged at INFO with the responder's name (never key material) and
 * counted ({@link TransportCounters#keyringRecoveries}); a request that brought nothing adopted is
 * counted in {@link TransportCounters#keyringRecoveryFailures} (unless the answer was "current")
 * and logged rate-limited.
 *
 * <p><b>Threading.</b> Confined to the node's event loop: the packet envelope calls the
 * {@link PacketEnvelope.Observer} methods there, the inbound stream handler {@link #answer},
 * the stream's outcome comes back there. {@link Keyring#persist()} blocks on file I/O for a few
 * milliseconds on the loop, as it does for Serf's key queries.
 */
final class KeyringRecovery implements PacketEnvelope.Observer {
    private static final Logger LOG = LoggerFactory.getLogger(KeyringRecovery.class);

    /** How far back undecryptable packets count. */
    static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Undecryptable packets from members, within the window, that make a node locked out. */
    static final int THRESHOLD = 3;
    /** The shortest time between two requests. */
    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Undecryptable packets kept (the newest), to check an offered primary key against. */
    static final int KEPT = 8;
    /** How long the member addresses read from the core are reused. */
    static final long MEMBERS_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** What recovery needs from its node. Called on the event loop. */
    interface Node {
        /** The members alive or suspect, other than this node, by address: a fresh map. */
        Map<NodeAddress, String> liveMembers();

        /**
         * Opens a TLS stream to {@code name} at {@code address} (the handshake fails unless the
         * server's certificate names it), writes {@code request}, and reports the one answer or
         * the failure to {@code completion}, possibly before returning.
         */
        void openStream(NodeAddress address, String name, byte[] request, OutboundStreamHandler.Completion completion);

        /** Whether {@code key} decrypts {@code datagram}, with this node's label and encryption version. */
        boolean opens(byte[] key, byte[] datagram);

        /** Runs {@code task} on the event loop after {@code delayNanos}, unless the node is closed by then. */
        void schedule(Runnable task, long delayNanos);

        /**
         * Starts a push/pull with {@code name} at {@code address} (deferred: not from inside the
         * core), so that what was lost while this node's key was stale (its own refutation of a
         * death, for one) is exchanged at once.
         */
        void resync(NodeAddress address, String name);
    }

    /**
     * The outcome of one request.
     *
     * @param peer      the node asked
     * @param recovered whether its keyring was adopted
     * @param current   whether nothing needed recovering (same primary, or one this node holds)
     * @param detail    what happened, for logs and tests; never key material
     */
    record Outcome(String peer, boolean recovered, boolean current, String detail) {
    }

    /**
     * What adopting a keyring changed.
     *
     * @param installed      keys added
     * @param removed        keys removed (and wiped)
     * @param primaryChanged whether the primary key changed
     */
    record Merge(int installed, int removed, boolean primaryChanged) {
    }

    private record Refusal(long at, NodeAddress from, byte[] datagram) {
    }

    private final String name;
    private final Keyring keyring;
    private final boolean tls;
    private final Node node;
    private final TransportCounters counters;
    private final LongSupplier clock;
    private final RandomGenerator random;
    private final long joinCheckDelayNanos;
    private final RateLimitedLog refusedLog = new RateLimitedLog(LOG, LOG_INTERVAL_NANOS);
    private final RateLimitedLog servedLog = new RateLimitedLog(LOG, LOG_INTERVAL_NANOS);
    private final RateLimitedLog failedLog = new RateLimitedLog(LOG, LOG_INTERVAL_NANOS);

    // ---- loop-confined -----------------------------------------------------------------------
    private final ArrayDeque<Refusal> refusals = new ArrayDeque<>(KEPT);
    private boolean opened;
    private long lastOpened;
    private boolean attempted;
    private long lastAttempt;
    private Attempt inFlight;
    private String lastFailedPeer;
    private Map<NodeAddress, String> members = Map.of();
    private long membersAt;
    private boolean membersFresh;

    /**
     * @param keyring the node's keyring, or null without one (then it neither asks nor answers
     *                with keys)
     * @param tls     whether every stream is mutually authenticated TLS (else it neither asks nor
     *                answers with keys)
     * @param joinCheckDelayNanos how long after a join to look whether any gossip decrypted
     */
    KeyringRecovery(String name, Keyring keyring, boolean tls, Node node, TransportCounters counters,
                    LongSupplier clock, RandomGenerator random, long joinCheckDelayNanos) {
        this.name = name;
        this.keyring = keyring;
        this.tls = tls;
        this.node = node;
        this.counters = counters;
        this.clock = clock;
        this.random = random;
        this.joinCheckDelayNanos = joinCheckDelayNanos;
    }

    /** Whether this node watches its packets for recovery (TLS required and a keyring). */
    boolean watchesPackets() {
        return tls && keyring != null;
    }

    /** Whether this node asks for keyrings now (TLS required and a keyring holding a key). */
    boolean enabled() {
        return tls && keyring != null && !keyring.isEmpty();
    }

    // =============================================================================================
    // What the node sees
    // =============================================================================================

    @Override
    public void opened(InetSocketAddress sender) {
        opened = true;
        lastOpened = clock.getAsLong();
    }

    /** Keeps {@code datagram} (owned by this object from now on) and asks for a keyring when locked out. */
    @Override
    public void noKeyDecrypts(InetSocketAddress sender, byte[] datagram) {
        if (!watchesPackets() || sender == null || sender.getAddress() == null) {
            return;
        }
        if (refusals.size() == KEPT) {
            refusals.removeFirst();
        }
        refusals.addLast(new Refusal(clock.getAsLong(), NodeAddress.of(sender), datagram));
        if (refusals.size() >= THRESHOLD && lockedOut()) {
            ask("packets from members no longer decrypt with its gossip keys");
        }
    }

    /**
     * A join reached at least one node: unless some gossip decrypts within the join-check delay,
     * check with a member that this node's keys are the cluster's.
     */
    void joined() {
        membersFresh = false;
        long joinedAt = clock.getAsLong();
        node.schedule(() -> {
            if (!opened || lastOpened - joinedAt < 0) {
                membersFresh = false;
                ask("no gossip has decrypted since it joined");
            }
        }, joinCheckDelayNanos);
    }

    /** Whether this node is locked out now (see the class description). */
    boolean lockedOut() {
        long now = clock.getAsLong();
        return !recentlyOpened(now) && countFromMembers(now, null) >= THRESHOLD;
    }

    /** Whether a packet decrypted within the window: this node demonstrably shares a key with its peers. */
    boolean inSync() {
        return recentlyOpened(clock.getAsLong());
    }

    private boolean recentlyOpened(long now) {
        return opened && now - lastOpened < WINDOW_NANOS;
    }

    /** Asks a member for its keyring, unless disabled, one is in progress, or the last was too recent. */
    private void ask(String why) {
        if (!enabled() || inFlight != null) {
            return;
        }
        long now = clock.getAsLong();
        if (attempted && now - lastAttempt < RETRY_NANOS) {
            return;
        }
        String[] target = new String[1];
        countFromMembers(now, target);
        NodeAddress address = null;
        if (target[0] != null) {
            for (Map.Entry<NodeAddress, String> e : members.entrySet()) {
                if (e.getValue().equals(target[0])) {
                    address = e.getKey();
                    break;
                }
            }
        }
        if (address == null) {
            List<Map.Entry<NodeAddress, String>> live = new ArrayList<>(members.entrySet());
            live.removeIf(e -> e.getValue().equals(lastFailedPeer));
            if (live.isEmpty()) {
                live.addAll(members.entrySet());
            }
            if (live.isEmpty()) {
                return;
            }
            live.sort(Map.Entry.comparingByValue());
            Map.Entry<NodeAddress, String> pick = live.get(random.nextInt(live.size()));
            address = pick.getKey();
            target[0] = pick.getValue();
        }
        LOG.info("node {}: {}; asking {} for the keyring over TLS", name, why, target[0]);
        start(address, target[0]);
    }

    /**
     * Counts the kept undecryptable packets of the window that came from live members, newest
     * first; sets {@code target[0]} (when given) to the newest sender that is not the peer that
     * failed last.
     */
    private int countFromMembers(long now, String[] target) {
        Map<NodeAddress, String> live = members(now);
        int n = 0;
        for (Iterator<Refusal> it = refusals.descendingIterator(); it.hasNext(); ) {
            Refusal r = it.next();
            if (now - r.at() > WINDOW_NANOS) {
                break;
            }
            String member = live.get(r.from());
            if (member != null) {
                n++;
                if (target != null && target[0] == null && !member.equals(lastFailedPeer)) {
                    target[0] = member;
                }
            }
        }
        return n;
    }

    private Map<NodeAddress, String> members(long now) {
        if (!membersFresh || now - membersAt > MEMBERS_MAX_AGE_NANOS) {
            members = node.liveMembers();
            membersAt = now;
            membersFresh = true;
        }
        return members;
    }

    // =============================================================================================
    // Asking
    // =============================================================================================

    /**
     * Asks {@code peer} at {@code address} for its keyring now, whether or not this node is locked
     * out (the adoption rule still applies). For tests and operators' tools.
     *
     * @return completes on the event loop with the outcome
     */
    CompletableFuture<Outcome> requestFrom(NodeAddress address, String peer) {
        if (!enabled()) {
            return CompletableFuture.completedFuture(new Outcome(peer, false, false,
                    "keyring recovery needs TLS required and a keyring holding a key"));
        }
        if (inFlight != null) {
            return CompletableFuture.completedFuture(new Outcome(peer, false, false,
                    "a request is already in progress"));
        }
        return start(address, peer);
    }

    private CompletableFuture<Outcome> start(NodeAddress address, String peer) {
        attempted = true;
        lastAttempt = clock.getAsLong();
        Attempt a = new Attempt(address, peer, lastAttempt);
        inFlight = a;
        byte[] primary = keyring.primaryKey().orElse(new byte[0]);
        byte[] request = KeyringMessages.request(primary);
        Arrays.fill(primary, (byte) 0);
        node.openStream(address, peer, request, a);
        return a.outcome;
    }

    /** One request: its stream's outcome comes back here. */
    private final class Attempt implements OutboundStreamHandler.Completion {
        final NodeAddress address;
        final String peer;
        final long startedAt;
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

        Attempt(NodeAddress address, String peer, long startedAt) {
            this.address = address;
            this.peer = peer;
            this.startedAt = startedAt;
        }

        @Override
        public void reply(long streamId, byte[] message) {
            reply(streamId, null, message);
        }

        @Override
        public void reply(long streamId, String from, byte[] message) {
            answered(this, from, message);
        }

        @Override
        public void failure(long streamId, String reason) {
            failed(this, reason);
        }
    }

    private void answered(Attempt a, String from, byte[] message) {
        if (inFlight != a) {
            return;
        }
        KeyringMessages.Answer answer = KeyringMessages.decodeAnswer(message);
        Arrays.fill(message, (byte) 0);
        try {
            if (!answer.ok()) {
                failed(a, answer.refusal());
            } else if (!a.peer.equals(from)) {
                failed(a, "the answer did not come over a TLS stream authenticated as " + a.peer);
            } else if (answer.current()) {
                current(a, "its primary key is this node's");
            } else {
                adoptFrom(a, answer.keys());
            }
        } finally {
            answer.wipe();
        }
    }

    /** Applies the adoption rule to the keys {@code a}'s peer sent, and adopts them when it holds. */
    private void adoptFrom(Attempt a, List<byte[]> keys) {
        byte[] primary = keys.get(0);
        List<Refusal> others = new ArrayList<>();
        Map<NodeAddress, String> live = members(clock.getAsLong());
        for (Refusal r : refusals) {
            if (!r.from().equals(a.address) && live.containsKey(r.from()) && a.startedAt - r.at() <= WINDOW_NANOS) {
                others.add(r);
            }
        }
        if (!others.isEmpty()) {
            boolean opens = false;
            for (Refusal r : others) {
                if (node.opens(primary, r.datagram())) {
                    opens = true;
                    break;
                }
            }
            if (!opens) {
                failed(a, "the primary key it offered decrypts none of the packets this node refused from "
                        + "other members");
                return;
            }
        } else if (keyring.contains(primary)) {
            current(a, "this node holds its primary key");
            return;
        }
        Merge m;
        try {
            m = adopt(keyring, keys);
        } catch (RuntimeException e) {
            failed(a, "its keyring could not be adopted: " + e.getMessage());
            return;
        }
        inFlight = null;
        String persistError = keyring.persist();
        counters.keyringRecoveries++;
        refusals.clear();
        lastFailedPeer = null;
        LOG.info("node {} recovered the gossip keyring from {} over TLS: {} key(s), {} installed, {} removed, "
                        + "primary {}{}", name, a.peer, keys.size(), m.installed(), m.removed(),
                m.primaryChanged() ? "changed" : "unchanged",
                keyring.file().isPresent() && persistError == null ? ", keyring file written" : "");
        if (persistError != null) {
            LOG.warn("node {}: the recovered keyring is in use but could not be written: {}", name, persistError);
        }
        node.resync(a.address, a.peer);
        a.outcome.complete(new Outcome(a.peer, true, false, m.toString()));
    }

    private void current(Attempt a, String why) {
        inFlight = null;
        lastFailedPeer = a.peer;
        LOG.debug("node {}: nothing to recover from {}: {}", name, a.peer, why);
        a.outcome.complete(new Outcome(a.peer, false, true, why));
    }

    private void failed(Attempt a, String reason) {
        if (inFlight != a) {
            return;
        }
        inFlight = null;
        lastFailedPeer = a.peer;
        counters.keyringRecoveryFailures++;
        failedLog.warn("node " + name + " could not recover the gossip keyring from " + a.peer + ": " + reason);
        a.outcome.complete(new Outcome(a.peer, false, false, reason));
    }

    /**
     * Makes {@code ring} hold exactly {@code keys} with {@code keys.get(0)} as primary: installs the
     * missing ones, switches the primary, removes (and wipes) the others. Each step publishes a
     * valid keyring, so packets keep flowing while it runs. Does not persist.
     *
     * @param keys at least one valid key, primary first, no duplicates
     */
    static Merge adopt(Keyring ring, List<byte[]> keys) {
        int installed = 0;
        for (byte[] k : keys) {
            if (!ring.contains(k) && ring.install(k) == null) {
                installed++;
            }
        }
        Optional<byte[]> before = ring.primaryKey();
        boolean changed = before.map(p -> !Arrays.equals(p, keys.get(0))).orElse(true);
        before.ifPresent(p -> Arrays.fill(p, (byte) 0));
        String err = ring.use(keys.get(0));
        if (err != null) {
            throw new IllegalStateException("the offered primary key could not be made primary");
        }
        int removed = 0;
        List<byte[]> now = ring.keys();
        try {
            for (byte[] k : now) {
                boolean kept = false;
                for (byte[] want : keys) {
                    if (Arrays.equals(k, want)) {
                        kept = true;
                        break;
                    }
                }
                if (!kept && ring.remove(k) == null) {
                    removed++;
                }
            }
        } finally {
            now.forEach(k -> Arrays.fill(k, (byte) 0));
        }
        return new Merge(installed, removed, changed);
    }

    // =============================================================================================
    // Answering
    // =============================================================================================

    /**
     * Answers a keyring message that arrived on an inbound stream.
     *
     * @param message the complete message (its first byte is 243)
     * @param peer    the node the TLS client certificate names, or null on a plaintext stream
     * @param remote  the other end, for logs
     * @return the bytes to write back (the caller wipes them once written), or null to close the
     *         stream without an answer
     */
    byte[] answer(byte[] message, String peer, SocketAddress remote) {
        if (peer == null) {
            counters.keyringRequestsRefused++;
            refusedLog.warn("node " + name + " refused a keyring request on a plaintext stream from "
                    + describe(remote) + ": keyrings are only given over mutually authenticated TLS");
            return null;
        }
        byte[] digest = KeyringMessages.requestDigest(message);
        if (digest == null) {
            counters.keyringRequestsRefused++;
            refusedLog.debug("node " + name + " dropped a keyring message from " + peer + " that is not a request");
            return null;
        }
        String refusal = null;
        if (!tls || keyring == null || keyring.isEmpty()) {
            refusal = "no keyring";
        } else if (keyring.size() > KeyringMessages.MAX_KEYS) {
            refusal = "keyring has more than " + KeyringMessages.MAX_KEYS + " keys";
        } else if (!inSync()) {
            refusal = "it has decrypted no gossip in the last " + TimeUnit.NANOSECONDS.toSeconds(WINDOW_NANOS) + " s";
        }
        if (refusal != null) {
            counters.keyringRequestsRefused++;
            refusedLog.warn("node " + name + " refused a keyring request from " + peer + ": " + refusal);
            return KeyringMessages.refusal(refusal);
        }
        List<byte[]> keys = keyring.keys();
        try {
            counters.keyringRequestsServed++;
            if (Arrays.equals(KeyringMessages.digest(keys.get(0)), digest)) {
                return KeyringMessages.current();
            }
            byte[] reply = KeyringMessages.keys(keys);
            servedLog.info("node " + name + " gave its gossip keyring (" + keys.size() + " keys) to " + peer + " at "
                    + describe(remote) + ", authenticated by its TLS certificate");
            return reply;
        } finally {
            keys.forEach(k -> Arrays.fill(k, (byte) 0));
        }
    }

    private static String describe(SocketAddress a) {
        return a == null ? "an unknown peer" : a.toString().replaceFirst("^[^/]*/", "");
    }
}
