package dev.grapevine.membership;

/**
 * Everything the core does to the outside world goes through this interface: the core itself has
 * no threads, sockets, clocks or locks.
 *
 * <p><b>Threading.</b> The core calls these methods synchronously on the one thread that drives it
 * (the thread calling its {@code handle*} and user methods). Implementations must not block and
 * must not call back into the core from inside these methods (queue the work instead): the core is
 * not re-entrant.
 *
 * <p><b>Buffers.</b> Byte arrays passed to the host are not touched by the core afterwards; the
 * host owns them.
 */
public interface Host {

    /**
     * Send one UDP packet. The bytes are the plaintext memberlist packet (compound, compression and
     * CRC already applied); the host adds its own layers (encryption, label) and sends it from the
     * gossip socket. Failures are the host's to log; the protocol tolerates loss.
     */
    void sendPacket(NodeAddress to, byte[] packet);

    /** Start a stream exchange; see {@link StreamRequest} for the completion contract. */
    void openStream(StreamRequest request);

    /**
     * Fire {@code timer} (by calling {@link MembershipCore#handleTimer}) once {@code delayNanos} of
     * the core's clock have passed. Never fire it synchronously from inside this call.
     */
    void schedule(Timer timer, long delayNanos);

    /** Deliver an event; see {@link MembershipEvent} for ordering. Must not block. */
    void emit(MembershipEvent event);

    /**
     * An input was dropped. The core has already counted it in its metrics; hosts typically log
     * at debug level, rate-limited. {@code detail} never contains payload bytes or secrets.
     *
     * @param from   the source address of the packet or stream, or {@code null} for replies to
     *               our own requests when the source is not known
     * @param reason what was wrong
     * @param detail a short description
     */
    default void rejected(NodeAddress from, Rejection reason, String detail) {
    }
}
