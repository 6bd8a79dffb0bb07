package dev.grapevine.simulator;

/**
 * An event that ends in handing something to one node's core (a packet, a stream request, a
 * stream outcome, a timer). When the node is stalled (slow burst or pause) the hand-over is
 * deferred: the delivery waits in the node's FIFO queue and {@link #deliver} runs when the stall
 * ends. Single-threaded.
 */
abstract class Delivery extends Event {
    /** The node whose core receives it. */
    final SimNode node;

    Delivery(long time, SimNode node) {
        super(time);
        this.node = node;
    }

    /** Hands the item to {@code node}'s core (which is running). */
    abstract void deliver(Simulation sim);
}
