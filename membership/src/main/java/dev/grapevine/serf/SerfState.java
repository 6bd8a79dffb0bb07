package dev.grapevine.serf;

/**
 * The local Serf node's lifecycle ({@code serf.SerfState}).
 *
 * <p>Immutable; safe to use from any thread.
 */
public enum SerfState {
    /** Running and a member of the cluster. */
    ALIVE,
    /** {@link SerfCore#leave()} was called and the leave is in progress. */
    LEAVING,
    /** The leave completed; the host should now shut the node down. */
    LEFT,
    /** {@link SerfCore#shutdown()} was called. */
    SHUTDOWN
}
