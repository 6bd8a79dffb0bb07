package dev.grapevine.transport;

import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.crypto.GossipEnvelope;
import java.net.SocketAddress;

/**
 * The TCP side of gossip encryption: memberlist's encrypted stream ({@code [10][L][AES-GCM]}) of
 * a {@link GossipEnvelope}, and its label header; refusals are counted and logged through
 * {@link EnvelopeRefusals}. A refused frame closes its connection without a reply (memberlist
 * sends an error message back; the dialing side sees the stream end either way).
 *
 * <p><b>Threading.</b> Used on the node's event loop only (the envelope itself is thread-safe).
 */
final class EncryptedStreamEnvelope implements StreamEnvelope {
    private final GossipEnvelope envelope;
    private final EnvelopeRefusals refusals;
    private final byte[] labelHeader;

    EncryptedStreamEnvelope(GossipEnvelope envelope, EnvelopeRefusals refusals) {
        this.envelope = envelope;
        this.refusals = refusals;
        this.labelHeader = envelope.streamLabelHeader();
    }

    /** Encrypts with the primary key; throws only if the JDK cannot (the stream then fails). */
    @Override
    public byte[] seal(byte[] message) {
        return envelope.sealStream(message);
    }

    @Override
    public byte[] open(byte[] frame) {
        return open(frame, null);
    }

    @Override
    public byte[] open(byte[] frame, SocketAddress peer) {
        return refusals.outcome(envelope.openStream(frame), "stream", peer);
    }

    @Override
    public byte[] labelHeader() {
        return labelHeader.clone();
    }

    @Override
    public boolean acceptLabel(byte[] label, SocketAddress peer) {
        EnvelopeRejection r = label != null && label.length == 0 ? EnvelopeRejection.BAD_LABEL_HEADER
                : envelope.checkLabel(label);
        if (r == null) {
            return true;
        }
        refusals.refused(r, "stream", peer);
        return false;
    }

    @Override
    public void attach(TransportCounters counters) {
        refusals.attach(counters);
    }
}
