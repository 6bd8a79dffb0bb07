package dev.grapevine.simulator;

/**
 * Something due at a simulated instant. Subclasses are small and final; {@link #fire} does the
 * work when the event's time comes. Single-threaded.
 */
abstract class Event {
    /** When it is due, in simulated nanoseconds. */
    long time;
    /** Insertion order, assigned by {@link EventQueue#add}; breaks ties between equal times. */
    long seq;

    Event(long time) {
        this.time = time;
    }

    /** Does the work. */
    abstract void fire(Simulation sim);
}
