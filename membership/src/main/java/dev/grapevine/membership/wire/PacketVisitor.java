package dev.grapevine.membership.wire;

import dev.grapevine.membership.Rejection;

/**
 * Receives what {@link Packets#read} finds in a UDP packet, in packet order.
 *
 * <p>Called synchronously on the thread that called {@code read}. One bad part of a compound does
 * not stop the others: each bad part gives one {@link #rejected} call.
 */
public interface PacketVisitor {

    /** A well-formed message (never a compound, compress or CRC wrapper; those are unwrapped). */
    void message(Message message);

    /**
     * A part that was dropped.
     *
     * @param reason what was wrong
     * @param detail short description for logs
     */
    void rejected(Rejection reason, String detail);

    /**
     * A compound whose last {@code missingParts} parts were cut off (memberlist logs this as a
     * warning, not an error). The parts that were complete were delivered.
     */
    default void truncated(int missingParts) {
        rejected(Rejection.COMPOUND_TRUNCATED, missingParts + " compound part(s) missing");
    }
}
