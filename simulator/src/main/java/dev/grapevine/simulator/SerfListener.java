package dev.grapevine.simulator;

import dev.grapevine.serf.SerfEvent;

/**
 * Receives every {@link SerfEvent} a simulated node's Serf layer emits, in emission order (when the
 * simulation runs Serf, see {@link Simulation.Builder#serf}).
 *
 * <p>Called on the simulation's thread right after the core call that produced the event has
 * returned (never from inside a core). A listener may answer a {@link SerfEvent.Query} with
 * {@code SerfCore.respond}, may query the simulation, and may call its lifecycle and network
 * methods, but must not call its run methods. Not thread-safe, like the simulation.
 */
@FunctionalInterface
public interface SerfListener {

    /**
     * One event.
     *
     * @param timeNanos simulated time
     * @param observer  name of the node whose Serf layer emitted it
     * @param event     the event
     */
    void onEvent(long timeNanos, String observer, SerfEvent event);
}
