package dev.grapevine.transport;

import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.crypto.Opened;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a node's encryption envelopes ({@link EncryptedPacketEnvelope},
 * {@link EncryptedStreamEnvelope}) count and log what they refuse: each refusal is counted by
 * reason in the node's {@link TransportCounters} (and so in {@link NodeMetrics#envelopeRejections()}),
 * and logged at warn level at most once every 10 seconds (a wrong key or label is a
 * misconfiguration an operator should see; a flood must not fill the log). Lines name the node,
 * the peer and the reason, never any bytes.
 *
 * <p><b>Threading.</b> Not thread-safe: one instance per node, used on its event loop.
 */
final class EnvelopeRefusals {
    private static final Logger LOG = LoggerFactory.getLogger(EnvelopeRefusals.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String node;
    private final RateLimitedLog log = new RateLimitedLog(LOG, LOG_INTERVAL_NANOS);
    private TransportCounters counters = new TransportCounters(); // replaced by the node's at attach

    EnvelopeRefusals(String node) {
        this.node = node;
    }

    void attach(TransportCounters c) {
        this.counters = c;
    }

    /**
     * Counts the outcome of opening one input, logs a refusal, and returns the plaintext or null.
     *
     * @param what "packet" or "stream"
     */
    byte[] outcome(Opened o, String what, SocketAddress peer) {
        if (o.ok()) {
            if (o.unverified()) {
                counters.unverifiedAccepted++;
            }
            return o.plaintext();
        }
        refused(o.rejection(), what, peer);
        return null;
    }

    void refused(EnvelopeRejection reason, String what, SocketAddress peer) {
        counters.envelopeRejected(reason);
        log.warn("node " + node + " refused a " + what + " from " + describe(peer) + ": " + explain(reason));
    }

    void sealFailed(String what, RuntimeException e) {
        log.warn("node " + node + " could not encrypt a " + what + " (dropped): " + e);
    }

    private static String describe(SocketAddress peer) {
        return peer == null ? "an unknown peer" : peer.toString().replaceFirst("^[^/]*/", "");
    }

    static String explain(EnvelopeRejection r) {
        return switch (r) {
            case TOO_SHORT -> "too short to be encrypted (TOO_SHORT)";
            case UNKNOWN_VERSION -> "not encrypted or an unknown encryption version (UNKNOWN_VERSION)";
            case NO_KEY_DECRYPTS -> "no installed key decrypts it: is the peer using another key? (NO_KEY_DECRYPTS)";
            case BAD_PADDING -> "invalid padding in a version-0 envelope (BAD_PADDING)";
            case NOT_ENCRYPTED -> "not encrypted, and incoming gossip must be (NOT_ENCRYPTED)";
            case ENCRYPTION_NOT_CONFIGURED -> "encrypted, but this node has no key (ENCRYPTION_NOT_CONFIGURED)";
            case BAD_STREAM_HEADER -> "encrypted stream length mismatch (BAD_STREAM_HEADER)";
            case LABEL_MISMATCH -> "another cluster label, or none where one is required (LABEL_MISMATCH)";
            case BAD_LABEL_HEADER -> "malformed label header (BAD_LABEL_HEADER)";
        };
    }
}
