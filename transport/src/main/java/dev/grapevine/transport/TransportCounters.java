package dev.grapevine.transport;

import dev.grapevine.crypto.EnvelopeRejection;
import java.util.EnumMap;
import java.util.Map;

/**
 * The transport's own counters and gauges, behind {@link NodeMetrics}.
 *
 * <p><b>Threading.</b> Not thread-safe: confined to the node's event loop, like every channel of
 * the node (in codec tests, to the test thread that drives an {@code EmbeddedChannel}).
 */
final class TransportCounters {
    long packetBytesReceived;
    long packetBytesSent;
    long packetSendFailures;
    long streamsAccepted;
    long streamsOpened;
    long streamsRefused;
    long framesTooLarge;
    long streamTimeouts;
    long pushPullCount;
    long pushPullNanosSum;
    long pushPullNanosMax;
    /** TLS handshakes that failed, inbound and outbound (plaintext peers, untrusted certificates, wrong names). */
    long tlsHandshakeFailures;
    /** Inbound streams being served now (a gauge; each holds one push/pull slot). */
    int inboundInProgress;
    /** Packets and stream messages the encryption envelope refused, by {@link EnvelopeRejection} ordinal. */
    final long[] envelopeRejections = new long[EnvelopeRejection.values().length];
    /** Input accepted as plaintext although encryption is on (gossipVerifyIncoming off). */
    long unverifiedAccepted;
    /** Keyrings this node recovered from a member over TLS and adopted. */
    long keyringRecoveries;
    /** Keyring requests this node made that brought nothing it adopted. */
    long keyringRecoveryFailures;
    /** Keyring requests this node answered (with its keys, or "current"). */
    long keyringRequestsServed;
    /** Keyring requests this node refused (plaintext stream, no keyring, itself locked out, malformed). */
    long keyringRequestsRefused;

    void envelopeRejected(EnvelopeRejection reason) {
        envelopeRejections[reason.ordinal()]++;
    }

    /** The non-zero envelope rejection counts. */
    Map<EnvelopeRejection, Long> envelopeRejectionCounts() {
        Map<EnvelopeRejection, Long> out = new EnumMap<>(EnvelopeRejection.class);
        for (EnvelopeRejection r : EnvelopeRejection.values()) {
            if (envelopeRejections[r.ordinal()] > 0) {
                out.put(r, envelopeRejections[r.ordinal()]);
            }
        }
        return out;
    }

    void pushPullCompleted(long nanos) {
        pushPullCount++;
        pushPullNanosSum += nanos;
        pushPullNanosMax = Math.max(pushPullNanosMax, nanos);
    }
}
