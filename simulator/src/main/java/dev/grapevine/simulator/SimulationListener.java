package dev.grapevine.simulator;

import dev.grapevine.membership.MembershipEvent;

/**
 * Receives every {@link MembershipEvent} a simulated core emits, in emission order.
 *
 * <p>Called on the simulation's thread right after the core call that produced the event has
 * returned (never from inside a core). A listener may query the simulation and may call its
 * lifecycle and network methods (crash, partition, ...), but must not call its run methods.
 * Not thread-safe, like the simulation.
 */
@FunctionalInterface
public interface SimulationListener {

    /**
     * One event.
     *
     * @param timeNanos simulated time
     * @param observer  name of the node whose core emitted it
     * @param event     the event
     */
    void onEvent(long timeNanos, String observer, MembershipEvent event);
}
