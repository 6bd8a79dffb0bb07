package dev.grapevine.transport;

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

    void pushPullCompleted(long nanos) {
        pushPullCount++;
        pushPullNanosSum += nanos;
        pushPullNanosMax = Math.max(pushPullNanosMax, nanos);
    }
}
