package dev.grapevine.membership;

/**
 * Decides whether a node may enter the member list, or move to another address: the core asks it
 * whenever an alive claim would add a member it does not know or change a known member's address
 * (whether the claim came by gossip, in a push/pull or signed), and drops the claim when refused,
 * counting {@link Rejection#VETOED}. Claims about members already known at the same address, and
 * the local node's own claims, are not asked about.
 *
 * <p>The core has no opinion of its own: the default admits everyone (memberlist's behaviour). A
 * host that authenticates its streams uses it to keep out nodes it has not authenticated (the
 * transport's TLS-required mode admits a node once it has seen a TLS certificate naming it). A
 * refused node is not remembered: a later claim about it is asked about again, so a host that
 * starts a check of its own (for example with {@link MembershipCore#pushPull}) admits the node on
 * a later claim, such as the node's own record in that exchange's reply.
 *
 * <p><b>Threading.</b> Called synchronously on the core's thread, from inside its input methods;
 * must be fast, must not block, and must not call back into the core (defer any work).
 */
@FunctionalInterface
public interface Admission {

    /** Admits everyone. */
    Admission ALL = (name, address, evidence) -> true;

    /** What backs the claim that would admit the node. */
    enum Evidence {
        /**
         * Nothing ties the claim to the node: it arrived by gossip, or as a push/pull record about
         * a third node, or on a stream whose peer the host did not authenticate.
         */
        HEARSAY,
        /**
         * The node's record of itself in a push/pull on a stream whose peer the host authenticated
         * as that node (see {@link MembershipCore#handleStream(NodeAddress, String, byte[], int, int)}).
         */
        STREAM_PEER,
        /** An alive signed by the node itself and verified by the {@link ClaimAuthority} (signing mode). */
        SIGNED
    }

    /**
     * Whether {@code name} may become a member (or move) at {@code address}.
     *
     * @param name     the node the alive claim is about
     * @param address  the address it claims
     * @param evidence what backs the claim
     * @return true to accept the claim; false drops it, counted as {@link Rejection#VETOED}
     */
    boolean admit(String name, NodeAddress address, Evidence evidence);
}
