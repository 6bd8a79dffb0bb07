package dev.grapevine.membership;

import java.util.List;

/**
 * Application hooks the core calls when it needs something back from the layer above it (the
 * Serf layer, or an embedding application): state to add to push/pulls, extra broadcasts to
 * piggyback, an ack payload. The counterpart of memberlist's {@code Delegate} and
 * {@code PingDelegate}. Every method has a do-nothing default.
 *
 * <p><b>Threading.</b> Called synchronously on the core's thread; implementations must be fast and
 * must not block. From inside a callback a delegate may call only the core's read-only queries
 * ({@code members}, {@code member}, {@code state}, {@code numMembers}, {@code localName}, ...) and
 * {@link MembershipCore#sendUserMessage(NodeAddress, byte[])},
 * {@link MembershipCore#broadcast}, {@link MembershipCore#scheduleDelegateTimer} and
 * {@link MembershipCore#noteNews}; anything else
 * (join, leave, metadata updates) must be deferred, e.g. to a delegate timer with delay 0.
 */
public interface Delegate {

    /**
     * Extra broadcasts to piggyback on an outgoing packet, after the core's own. Each returned
     * message is sent as a user message ({@code [8][bytes]}) and costs {@code overhead} bytes on top
     * of its length.
     *
     * @param overhead per-message overhead to account for
     * @param limit    bytes available in total, overheads included
     * @return messages that fit; never {@code null}
     */
    default List<byte[]> broadcasts(int overhead, int limit) {
        return List.of();
    }

    /**
     * Opaque state to add to a push/pull this node sends ({@code UserState}); {@code null} or empty
     * for none. For Serf, this is its {@code messagePushPull}.
     */
    default byte[] localState(boolean join) {
        return null;
    }

    /** State a peer sent in a push/pull (only called when it is non-empty). */
    default void mergeRemoteState(byte[] state, boolean join) {
    }

    /**
     * An application message arrived (a user part of a packet, or a reliable stream message).
     * Return true when the delegate consumed it; otherwise the core emits a
     * {@link MembershipEvent.UserMessage}. The delegate owns {@code payload}.
     */
    default boolean userMessage(byte[] payload, NodeAddress from) {
        return false;
    }

    /**
     * {@link #userMessage(byte[], NodeAddress)} with the signer known: in signing mode the core
     * calls this one, with the node that signed the message (its originator, whichever relay passed
     * it on). The default ignores the signer.
     */
    default boolean userMessage(byte[] payload, NodeAddress from, String signer) {
        return userMessage(payload, from);
    }

    /** Sees every event the core emits, just before the host does. */
    default void event(MembershipEvent event) {
    }

    /** A timer scheduled with {@link MembershipCore#scheduleDelegateTimer} is due. */
    default void timer(long token) {
    }

    /** Payload to put in acks to probes ({@code null} for none). Serf sends network coordinates. */
    default byte[] ackPayload() {
        return null;
    }

    /**
     * A direct probe of {@code member} succeeded.
     *
     * @param rttNanos round-trip time of the ping, on the core's clock
     * @param payload  the ack's payload, possibly {@code null}
     */
    default void pingCompleted(Member member, long rttNanos, byte[] payload) {
    }
}
