package dev.grapevine.transport;

import dev.grapevine.crypto.GossipEnvelope;
import java.net.InetSocketAddress;

/**
 * The UDP side of gossip encryption: memberlist's AES-GCM packet envelope (and label header) of a
 * {@link GossipEnvelope}; refusals are counted and logged through {@link EnvelopeRefusals}.
 *
 * <p><b>Threading.</b> Used on the node's event loop only (the envelope itself is thread-safe).
 */
final class EncryptedPacketEnvelope implements PacketEnvelope {
    private final GossipEnvelope envelope;
    private final EnvelopeRefusals refusals;
    private final int overhead;

    /**
     * @param overhead the bytes to reserve per packet (the envelope's, or only the label header's
     *                 when the node has no keyring)
     */
    EncryptedPacketEnvelope(GossipEnvelope envelope, EnvelopeRefusals refusals, int overhead) {
        this.envelope = envelope;
        this.refusals = refusals;
        this.overhead = overhead;
    }

    @Override
    public int overhead() {
        return overhead;
    }

    @Override
    public byte[] seal(byte[] packet) {
        try {
            return envelope.sealPacket(packet);
        } catch (RuntimeException e) {
            refusals.sealFailed("packet", e);
            return null;
        }
    }

    @Override
    public byte[] open(byte[] datagram) {
        return open(datagram, null);
    }

    @Override
    public byte[] open(byte[] datagram, InetSocketAddress sender) {
        return refusals.outcome(envelope.openPacket(datagram), "packet", sender);
    }

    @Override
    public void attach(TransportCounters counters) {
        refusals.attach(counters);
    }
}
