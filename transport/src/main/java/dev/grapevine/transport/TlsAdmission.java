package dev.grapevine.transport;

import dev.grapevine.membership.Admission;
import dev.grapevine.membership.NodeAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The TLS-required admission rule: a node enters the member list (or moves to another address)
 * only once this node has authenticated, by TLS, a certificate that names it.
 *
 * <ul>
 *   <li>The node's own record in a push/pull on a TLS stream whose certificate names it
 *       ({@link Evidence#STREAM_PEER}: the core has checked the name) is admitted, and the pair
 *       (name, address) remembered as authenticated.</li>
 *   <li>An outbound TLS handshake with a server at address A whose certificate names N
 *       ({@link #authenticated}) makes (N, A) authenticated.</li>
 *   <li>In signing mode, an alive signed by the node and verified against the cluster CA
 *       ({@link Evidence#SIGNED}) is admitted.</li>
 *   <li>Anything else (gossip, a third node's record in a push/pull) is admitted only for a pair
 *       already authenticated. Otherwise it is refused, and this node verifies the node itself: a
 *       push/pull to the claimed address that expects the claimed name, whose TLS handshake fails
 *       unless the server there holds a certificate naming it, and whose reply then carries the
 *       node's own record, which gets in as above. At most {@link #MAX_ATTEMPTS} pairs are tried per
 *       {@link #RETRY_NANOS}, each at most once in that time, so gossip about many unknown nodes
 *       cannot make this node open streams without bound.</li>
 * </ul>
 *
 * <p>Authenticated pairs are remembered (the most recently used {@link #MAX_REMEMBERED}) so that
 * a member that is reaped and comes back at the same address is admitted without a new check.
 *
 * <p><b>Threading.</b> Confined to the node's event loop (the core calls it from inside its input
 * methods); {@code verifier} is called there too and must defer its work (the core is not re-entrant).
 */
final class TlsAdmission implements Admission {
    /** Authenticated (name, address) pairs remembered. */
    static final int MAX_REMEMBERED = 8192;
    /** Verifications started per {@link #RETRY_NANOS}, at most. */
    static final int MAX_ATTEMPTS = 64;
    /** A pair whose verification was started is not tried again for this long. */
    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Starts a verification of one node; must defer the work. */
    @FunctionalInterface
    interface Verifier {
        void verify(NodeAddress address, String name);
    }

    private record Pair(String name, NodeAddress address) {
    }

    private final LongSupplier clock;
    private final boolean signing;
    private final Verifier verifier;
    private final LinkedHashMap<Pair, Boolean> authenticated = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Pair, Boolean> eldest) {
            return size() > MAX_REMEMBERED;
        }
    };
    /** Pairs whose verification started, oldest first, with when. */
    private final LinkedHashMap<Pair, Long> attempts = new LinkedHashMap<>();
    private long verificationsStarted;

    /**
     * @param signing whether signed alives admit (signing mode on)
     */
    TlsAdmission(LongSupplier clock, boolean signing, Verifier verifier) {
        this.clock = clock;
        this.signing = signing;
        this.verifier = verifier;
    }

    @Override
    public boolean admit(String name, NodeAddress address, Evidence evidence) {
        Pair p = new Pair(name, address);
        if (evidence == Evidence.STREAM_PEER) {
            remember(p);
            return true;
        }
        if (evidence == Evidence.SIGNED && signing) {
            return true;
        }
        if (authenticated.get(p) != null) {
            return true;
        }
        startVerification(p);
        return false;
    }

    /** An outbound TLS handshake with {@code address} succeeded; the server's certificate names {@code name}. */
    void authenticated(String name, NodeAddress address) {
        remember(new Pair(name, address));
    }

    /** Whether (name, address) has been authenticated. */
    boolean isAuthenticated(String name, NodeAddress address) {
        return authenticated.containsKey(new Pair(name, address));
    }

    /** Verifications started so far. */
    long verificationsStarted() {
        return verificationsStarted;
    }

    private void remember(Pair p) {
        authenticated.put(p, Boolean.TRUE);
        attempts.remove(p);
    }

    private void startVerification(Pair p) {
        long now = clock.getAsLong();
        for (Iterator<Long> it = attempts.values().iterator(); it.hasNext(); ) {
            if (now - it.next() >= RETRY_NANOS) {
                it.remove();
            } else {
                break;
            }
        }
        if (attempts.containsKey(p) || attempts.size() >= MAX_ATTEMPTS) {
            return;
        }
        attempts.put(p, now);
        verificationsStarted++;
        verifier.verify(p.address(), p.name());
    }
}
