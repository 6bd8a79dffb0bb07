package dev.grapevine.transport;

import java.net.InetSocketAddress;

/**
 * The layer between the core's plaintext UDP packets and the datagrams on the wire: every packet
 * the node sends passes through {@link #seal} and every datagram it receives through
 * {@link #open}. The security layer puts memberlist's AES-GCM envelope (and, for newer peers, the
 * label header) here ({@link EncryptedPacketEnvelope}); {@link #IDENTITY} adds nothing.
 *
 * <p><b>Threading.</b> Called only on the node's event loop; implementations must not block.
 * Neither method keeps a reference to the array it is given.
 */
interface PacketEnvelope {

    /** Sends packets as they are and accepts every datagram as plaintext. */
    PacketEnvelope IDENTITY = new PacketEnvelope() {
        @Override
        public int overhead() {
            return 0;
        }

        @Override
        public byte[] seal(byte[] packet) {
            return packet;
        }

        @Override
        public byte[] open(byte[] datagram) {
            return datagram;
        }
    };

    /**
     * Bytes {@link #seal} adds to a packet at most; the node passes it to
     * {@code MembershipCore.setPacketOverhead} so that gossip leaves room for it.
     */
    int overhead();

    /**
     * The datagram payload for one plaintext packet.
     *
     * @param packet the core's packet (compound, compression and CRC applied); owned by the callee
     * @return the bytes to send; may be {@code packet} itself; {@code null} drops the packet (when
     *         encryption fails, which is never expected; the envelope logs it)
     */
    byte[] seal(byte[] packet);

    /**
     * The plaintext packet inside one received datagram.
     *
     * @param datagram the datagram's bytes; owned by the callee
     * @return the plaintext for the core, or {@code null} to drop the datagram (the envelope
     *         counts and logs why; it never throws for bad input)
     */
    byte[] open(byte[] datagram);

    /**
     * {@link #open(byte[])} for a datagram from {@code sender}, which the envelope may name when
     * it logs a refusal. The node calls this one.
     *
     * @param datagram the datagram's bytes; owned by the callee
     * @param sender   where it came from
     * @return the plaintext, or {@code null} to drop the datagram
     */
    default byte[] open(byte[] datagram, InetSocketAddress sender) {
        return open(datagram);
    }

    /**
     * Gives the envelope the node's transport counters, where it counts its refusals. Called once
     * by the node's runtime before any packet; the counters are confined to the event loop.
     *
     * @param counters the node's counters
     */
    default void attach(TransportCounters counters) {
    }

    /**
     * Tells {@code observer} which datagrams decrypt and which decrypt with no key, from then on
     * (keyring recovery watches this). Called by the node's runtime on its event loop, before the
     * socket reads; an envelope that does not decrypt ignores it (the default).
     *
     * @param observer called on the event loop from {@link #open(byte[], InetSocketAddress)}
     */
    default void observe(Observer observer) {
    }

    /** What an encrypting envelope reports about the datagrams it opens. Called on the event loop. */
    interface Observer {
        /** A datagram from {@code sender} decrypted with one of the keys. */
        void opened(InetSocketAddress sender);

        /**
         * A datagram from {@code sender} was encrypted under none of the keys
         * ({@code NO_KEY_DECRYPTS}); the observer may keep {@code datagram}, which nobody else uses.
         */
        void noKeyDecrypts(InetSocketAddress sender, byte[] datagram);
    }
}
