package dev.grapevine.transport;

import dev.grapevine.serf.SerfEvent;

/**
 * Receives the Serf layer's events of a {@link GrapevineNode} started in Serf mode
 * ({@link GrapevineNode.Builder#serf}): member events with Serf statuses ({@code MemberJoin},
 * {@code MemberLeave}, {@code MemberFailed}, {@code MemberUpdate}, {@code MemberReap}), user events
 * ({@code User}), queries addressed to this node ({@code Query}, answer with
 * {@link GrapevineNode#respond}) and the outcome of a name-conflict vote
 * ({@code NameConflictResolved}). Answers to this node's own queries go to the query's callback
 * and future instead.
 *
 * <p><b>Threading.</b> Called on the node's listener executor, never on its event loop, in the
 * order the events happened when the executor runs tasks in order (the default one does). A
 * callback may block and may call the node's methods. Exceptions are logged and do not stop later
 * events.
 */
@FunctionalInterface
public interface SerfListener {

    /** One Serf event. */
    void onEvent(SerfEvent event);
}
