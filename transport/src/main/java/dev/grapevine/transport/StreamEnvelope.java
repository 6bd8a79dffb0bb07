package dev.grapevine.transport;

import java.net.SocketAddress;

/**
 * The layer between the core's plaintext stream messages and the frames on a TCP connection:
 * each request and reply the node writes passes through {@link #seal}, each frame it reads (as
 * delimited by {@link StreamFrameDecoder}) through {@link #open}. The security layer puts
 * memberlist's encrypted stream envelope ({@code [10][L][AES-GCM]}) here
 * ({@link EncryptedStreamEnvelope}); {@link #IDENTITY} adds nothing. An envelope with a cluster
 * label also has a connection-level part: the dialing side writes {@link #labelHeader()} once at
 * the start of the connection and the accepting side checks it ({@link StreamLabelHandlers}). TLS, when configured, sits below this layer, as the first handler of the pipeline
 * ({@link StreamPipelines}).
 *
 * <p><b>Threading.</b> Called only on the node's event loop; implementations must not block.
 * Neither method keeps a reference to the array it is given.
 */
interface StreamEnvelope {

    /** Writes messages as they are and accepts every frame as plaintext. */
    StreamEnvelope IDENTITY = new StreamEnvelope() {
        @Override
        public byte[] seal(byte[] message) {
            return message;
        }

        @Override
        public byte[] open(byte[] frame) {
            return frame;
        }
    };

    /**
     * The bytes to write for one stream message.
     *
     * @param message a complete plaintext stream message (a request or a reply); owned by the callee
     * @return the bytes to write; may be {@code message} itself
     */
    byte[] seal(byte[] message);

    /**
     * The plaintext message inside one received frame.
     *
     * @param frame one complete frame; owned by the callee
     * @return the plaintext message, or {@code null} to refuse it (the connection is then closed
     *         without a reply; the envelope counts and logs why and never throws for bad input)
     */
    byte[] open(byte[] frame);

    /**
     * {@link #open(byte[])} for a frame from {@code peer}, which the envelope may name when it logs
     * a refusal. The stream handlers call this one.
     *
     * @param frame one complete frame; owned by the callee
     * @param peer  the other end of the connection
     * @return the plaintext message, or {@code null} to refuse it
     */
    default byte[] open(byte[] frame, SocketAddress peer) {
        return open(frame);
    }

    /**
     * The label header the dialing side writes at the start of each connection (newer memberlist's
     * {@code [244][n][label]}).
     *
     * @return the header, or an empty array when connections carry none (the default)
     */
    default byte[] labelHeader() {
        return new byte[0];
    }

    /**
     * Checks the label header an accepted connection began with; a refusal is counted and logged
     * by the envelope, and the connection is closed. Only asked when {@link #labelHeader()} is not
     * empty.
     *
     * @param label the label bytes, {@code null} when the connection began without a header, or an
     *              empty array for a header with a length of 0
     * @param peer  the other end of the connection
     * @return true to go on reading the connection
     */
    default boolean acceptLabel(byte[] label, SocketAddress peer) {
        return label == null;
    }

    /**
     * Gives the envelope the node's transport counters, where it counts its refusals. Called once
     * by the node's runtime before any connection; the counters are confined to the event loop.
     *
     * @param counters the node's counters
     */
    default void attach(TransportCounters counters) {
    }
}
