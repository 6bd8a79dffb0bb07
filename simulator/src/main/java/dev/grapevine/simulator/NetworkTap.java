package dev.grapevine.simulator;

import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.StreamRequest;
import dev.grapevine.membership.Timer;

/**
 * Low-level observation of the simulated network and timers, for tests and tools. Every method has
 * an empty default.
 *
 * <p>Called on the simulation's thread, never from inside a core. A tap must not modify byte arrays
 * it is given and must not call the simulation's run methods. Not thread-safe.
 */
public interface NetworkTap {

    /** Why a packet did not arrive. */
    enum DropReason {
        /** Lost by the network model. */
        LOSS,
        /** Sender and receiver are in different partition groups. */
        PARTITION,
        /** No node has the destination address. */
        NO_SUCH_NODE,
        /** The destination is crashed, left or not started. */
        NODE_DOWN
    }

    /**
     * A node (or an injection) handed a packet to the network.
     *
     * @param from      the sending node's name
     * @param to        destination address
     * @param length    packet size in bytes
     * @param nowNanos  simulated time
     */
    default void packetSent(String from, NodeAddress to, int length, long nowNanos) {
    }

    /** A packet was dropped, at send time (loss) or at arrival (partition, node down). */
    default void packetDropped(String from, NodeAddress to, DropReason reason, long nowNanos) {
    }

    /**
     * A packet was handed to the receiving core (after any slow-node deferral).
     *
     * @param from        sender name
     * @param to          receiver name
     * @param sentAtNanos when it was sent
     * @param nowNanos    when it was handled
     * @param bytes       the packet (do not modify)
     */
    default void packetHandled(String from, String to, long sentAtNanos, long nowNanos, byte[] bytes) {
    }

    /** A core opened a stream. */
    default void streamOpened(String from, StreamRequest request, long nowNanos) {
    }

    /** A stream request was handed to the responder's core. */
    default void streamServed(String from, String to, StreamRequest request, long nowNanos) {
    }

    /**
     * The outcome of a stream that expects a reply was handed to the requesting core: exactly once
     * per such request unless the requester crashed first.
     *
     * @param from     the requester
     * @param request  the request
     * @param failure  {@code null} when a reply was delivered, else the failure reason given
     * @param nowNanos simulated time
     */
    default void streamResolved(String from, StreamRequest request, String failure, long nowNanos) {
    }

    /**
     * A timer was handed to its core.
     *
     * @param node     the node
     * @param timer    the timer
     * @param dueNanos when it was due
     * @param nowNanos when it fired (later than due only for paused nodes)
     */
    default void timerFired(String node, Timer timer, long dueNanos, long nowNanos) {
    }
}
