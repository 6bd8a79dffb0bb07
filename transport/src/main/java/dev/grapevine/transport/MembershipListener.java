package dev.grapevine.transport;

import dev.grapevine.membership.Member;
import dev.grapevine.membership.NodeAddress;

/**
 * Receives membership events of a {@link GrapevineNode}.
 *
 * <p><b>Threading.</b> Called on the node's listener executor (see
 * {@link GrapevineNode.Builder#listenerExecutor}), one event at a time and in the order the
 * protocol produced them when that executor runs tasks in order (the default one does). Never
 * called on the node's event loop, so a callback may block or call the node's blocking methods,
 * though a slow callback delays the ones after it. Exceptions thrown by a callback are logged and
 * do not stop later events.
 */
public interface MembershipListener {

    /** A member became alive (also called once for the local node at start). */
    default void onJoin(Member member) {
    }

    /**
     * A member went down: {@code member.state()} is {@code LEFT} when it left gracefully and
     * {@code DEAD} when it was declared failed.
     */
    default void onLeave(Member member) {
    }

    /** An alive member changed its metadata. */
    default void onUpdate(Member member) {
    }

    /**
     * An application message arrived (a broadcast, a best-effort or a reliable message).
     *
     * @param payload the bytes; the listener owns the array
     * @param from    where the packet or stream came from
     */
    default void onUserMessage(byte[] payload, NodeAddress from) {
    }

    /** Another address claimed a known member's name; the claim was ignored. */
    default void onConflict(Member existing, Member claimant) {
    }
}
