package dev.grapevine.transport;

import dev.grapevine.membership.CoreMetrics;

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
 * @param tlsHandshakeFailures TLS handshakes that failed, inbound and outbound (TLS mode: plaintext
 *                             peers, certificates not from the cluster CA, expired, or naming
 *                             another node than the one expected)
 */
public record NodeMetrics(
        CoreMetrics core,
        long packetBytesReceived, long packetBytesSent,
        long streamsAccepted, long streamsOpened, long streamsRefused, long framesTooLarge, long streamTimeouts,
        long pushPullCount, long pushPullNanosSum, long pushPullNanosMax,
        long packetSendFailures, long tlsHandshakeFailures) {
}
