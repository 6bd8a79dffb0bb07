package dev.grapevine.transport;

import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.crypto.GossipEnvelope;
import dev.grapevine.crypto.Opened;
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
    private Observer observer;

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
        Opened o = envelope.openPacket(datagram);
        Observer obs = observer;
        if (obs != null) {
            if (o.ok()) {
                if (!o.unverified()) {
                    obs.opened(sender);
                }
            } else if (o.rejection() == EnvelopeRejection.NO_KEY_DECRYPTS) {
                obs.noKeyDecrypts(sender, datagram);
            }
        }
        return refusals.outcome(o, "packet", sender);
    }

    @Override
    public void observe(Observer o) {
        this.observer = o;
    }

    @Override
    public void attach(TransportCounters counters) {
        refusals.attach(counters);
    }
}
