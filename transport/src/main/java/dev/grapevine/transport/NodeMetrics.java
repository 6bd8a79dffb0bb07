package dev.grapevine.transport;

import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.membership.CoreMetrics;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of a node's metrics: the protocol core's counters and gauges plus the transport's
 * own. Counters only grow during a node's life. Immutable; safe to share between threads.
 *
 * @param core                 the protocol core's metrics (health score, members by state,
 *                             packets and bytes, rejections by reason, probe round-trip times,
 *                             push/pull counts, broadcast queue depth)
 * @param packetBytesReceived  UDP bytes read from the socket (before any host layer is removed)
 * @param packetBytesSent      UDP bytes written to the socket
 * @param streamsAccepted      inbound streams accepted
 * @param streamsOpened        outbound streams opened
 * @param streamsRefused       inbound streams refused (too many concurrent push/pulls)
 * @param framesTooLarge       stream messages refused for exceeding the frame limit
 * @param streamTimeouts       streams that hit their timeout
 * @param pushPullCount        push/pulls this node initiated that completed
 * @param pushPullNanosSum     their total duration
 * @param pushPullNanosMax     the longest
 * @param packetSendFailures   UDP sends the socket refused
 * @param envelopeRejections   packets and stream messages the encryption layer refused, by reason
 *                             (only reasons seen at least once): for example
 *                             {@link EnvelopeRejection#NO_KEY_DECRYPTS} for a peer with another key
 * @param unverifiedAccepted   packets and streams accepted as plaintext although encryption is on
 *                             ({@code gossipVerifyIncoming(false)} only); 0 everywhere means every
 *                             peer encrypts, and incoming verification can be switched on
 * @param tlsHandshakeFailures TLS handshakes that failed, inbound and outbound (TLS mode: plaintext
 *                             peers, certificates not from the cluster CA, expired, or naming
 *                             another node than the one expected)
 * @param keyringRecoveries       keyrings this node recovered from a member over TLS (its packets
 *                                no longer decrypted) and adopted
 * @param keyringRecoveryFailures keyring requests this node made that brought nothing it adopted
 *                                (the peer refused or could not be reached, or its answer failed the
 *                                checks)
 * @param keyringRequestsServed   keyring requests this node answered (TLS only): with its keys, or
 *                                with "current" when the asker's primary key is its own
 * @param keyringRequestsRefused  keyring requests this node refused: on a plaintext stream, without
 *                                a keyring, while its own keys are stale, or malformed
 */
public record NodeMetrics(
        CoreMetrics core,
        long packetBytesReceived, long packetBytesSent,
        long streamsAccepted, long streamsOpened, long streamsRefused, long framesTooLarge, long streamTimeouts,
        long pushPullCount, long pushPullNanosSum, long pushPullNanosMax,
        long packetSendFailures,
        Map<EnvelopeRejection, Long> envelopeRejections, long unverifiedAccepted, long tlsHandshakeFailures,
        long keyringRecoveries, long keyringRecoveryFailures, long keyringRequestsServed,
        long keyringRequestsRefused) {

    /** Copies the rejection counts into an unmodifiable map. */
    public NodeMetrics {
        envelopeRejections = Collections.unmodifiableMap(envelopeRejections.isEmpty()
                ? new EnumMap<>(EnvelopeRejection.class) : new EnumMap<>(envelopeRejections));
    }

    /**
     * Packets and stream messages the encryption layer refused, over all reasons.
     *
     * @return the sum of {@link #envelopeRejections()}
     */
    public long totalEnvelopeRejections() {
        long n = 0;
        for (long v : envelopeRejections.values()) {
            n += v;
        }
        return n;
    }
}
