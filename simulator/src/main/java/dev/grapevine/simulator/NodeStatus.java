package dev.grapevine.simulator;

/**
 * The lifecycle state of a simulated node. Immutable; thread-safe.
 */
public enum NodeStatus {
    /** Added to the simulation, not started yet. */
    NEW,
    /** Its core is running (possibly slow, paused or leaving). */
    RUNNING,
    /** Crashed: it handles nothing, its timers are dead, streams to it are refused. */
    CRASHED,
    /** Left gracefully: its leave completed and its core was shut down. */
    LEFT;

    /** True for {@link #CRASHED} and {@link #LEFT}: started once, not running now. */
    public boolean isDown() {
        return this == CRASHED || this == LEFT;
    }
}
