package dev.grapevine.transport;

/**
 * The layer between the core's plaintext stream messages and the frames on a TCP connection:
 * each request and reply the node writes passes through {@link #seal}, each frame it reads (as
 * delimited by {@link StreamFrameDecoder}) through {@link #open}. The security layer puts
 * memberlist's encrypted stream envelope ({@code [10][L][AES-GCM]}) here; {@link #IDENTITY} adds
 * nothing. TLS, when configured, sits below this layer, as the first handler of the pipeline
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
}
