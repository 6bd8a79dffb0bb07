package dev.grapevine.serf;

import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Rejection;

/**
 * Where a {@link SerfCore}'s outputs go: the events of the Serf layer. (Packets, streams and timers
 * go through the {@link dev.grapevine.membership.Host} of the underlying core.)
 *
 * <p><b>Threading.</b> Called synchronously on the core's thread, from inside core calls. An
 * implementation must not block. From inside {@link #emit} it may call the Serf layer's read-only
 * queries and {@link SerfCore#respond}; anything else (user events, queries, joins, leaves, tag
 * changes) must be queued and done after the current call returns.
 */
public interface SerfHost {

    /** One Serf event; see {@link SerfEvent} for the kinds. Must not block. */
    void emit(SerfEvent event);

    /**
     * A Serf message was dropped because it could not be decoded (also counted in
     * {@link SerfCore#metrics()}). {@code detail} never contains payload bytes. (Named apart from
     * {@link dev.grapevine.membership.Host#rejected} so that one class can implement both.)
     *
     * @param from   the packet's or stream's source, when known
     * @param reason what was wrong
     * @param detail a short description
     */
    default void rejectedMessage(NodeAddress from, Rejection reason, String detail) {
    }
}
