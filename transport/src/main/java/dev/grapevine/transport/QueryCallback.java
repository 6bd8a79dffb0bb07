package dev.grapevine.transport;

/**
 * Streams the answers to one query as they arrive (see {@link GrapevineNode#query}).
 *
 * <p><b>Threading.</b> Called on the node's listener executor, never on its event loop, before
 * the query's future completes.
 */
public interface QueryCallback {

    /** {@code from} acknowledged the query (only when acks were requested). */
    default void onAck(String from) {
    }

    /**
     * {@code from} answered.
     *
     * @param payload the answer; the callback owns the array
     */
    default void onResponse(String from, byte[] payload) {
    }
}
