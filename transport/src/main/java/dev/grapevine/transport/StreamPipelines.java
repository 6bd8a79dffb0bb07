package dev.grapevine.transport;

import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Rejection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Builds the pipeline of every stream connection, inbound and outbound, in this one place:
 *
 * <pre>
 *  [tls]     an {@link SslHandler}, first, in TLS mode: mutual TLS with the engines of a {@link StreamTls};
 *            the server side requires a client certificate, the client side expects the certificate
 *            of the node the request names ({@link dev.grapevine.membership.StreamRequest#targetName()},
 *            any cluster certificate when empty, as for join seeds)
 *  [label]   {@link StreamLabelHandlers}: with a cluster label only; writes (outbound) or checks
 *            (inbound) the connection's label header, then removes itself
 *  frames    {@link StreamFrameDecoder}: bytes to one byte[] per stream message, size-limited
 *  stream    {@link InboundStreamHandler} or {@link OutboundStreamHandler}: the exchange, which
 *            opens and seals messages through the {@link StreamEnvelope} (inbound keyring requests
 *            go to the node's {@link KeyringRecovery} instead)
 * </pre>
 *
 * <p>Writes are plain buffers written by the last handler; they pass down through any handler
 * inserted before it (TLS). Every channel is added to the node's channel group so that closing
 * the node closes it.
 *
 * <p><b>Threading.</b> Used on the node's event loop; the counters and the core it hands to
 * handlers are confined to it.
 */
final class StreamPipelines {
    static final String TLS = "tls";
    static final String FRAMES = "frames";
    static final String STREAM = "stream";

    private final MembershipCore core;
    private final StreamEnvelope envelope;
    private final TransportCounters counters;
    private final RateLimitedLog log;
    private final int maxStreamBytes;
    private final int maxConcurrent;
    private final long streamTimeoutNanos;
    private final ChannelTracker tracker;
    /** TLS mode when set: every stream channel starts with an SslHandler. */
    private final StreamTls tls;
    private final boolean labelled;
    /** Answers keyring requests on inbound streams; null refuses them. */
    private final KeyringRecovery keyrings;

    /** Registers each stream channel with whatever closes them all at shutdown. */
    @FunctionalInterface
    interface ChannelTracker {
        void track(Channel channel);
    }

    StreamPipelines(MembershipCore core, StreamEnvelope envelope, TransportCounters counters, RateLimitedLog log,
                    int maxStreamBytes, int maxConcurrent, long streamTimeoutNanos, ChannelTracker tracker) {
        this(core, envelope, counters, log, maxStreamBytes, maxConcurrent, streamTimeoutNanos, tracker, null);
    }

    StreamPipelines(MembershipCore core, StreamEnvelope envelope, TransportCounters counters, RateLimitedLog log,
                    int maxStreamBytes, int maxConcurrent, long streamTimeoutNanos, ChannelTracker tracker,
                    StreamTls tls) {
        this(core, envelope, counters, log, maxStreamBytes, maxConcurrent, streamTimeoutNanos, tracker, tls, null);
    }

    /**
     * @param tls      the TLS engines in TLS mode (no plaintext stream at all), or null for plaintext streams
     * @param keyrings answers keyring requests on inbound streams; null refuses them
     */
    StreamPipelines(MembershipCore core, StreamEnvelope envelope, TransportCounters counters, RateLimitedLog log,
                    int maxStreamBytes, int maxConcurrent, long streamTimeoutNanos, ChannelTracker tracker,
                    StreamTls tls, KeyringRecovery keyrings) {
        this.tls = tls;
        this.keyrings = keyrings;
        this.core = core;
        this.envelope = envelope;
        this.counters = counters;
        this.log = log;
        this.maxStreamBytes = maxStreamBytes;
        this.maxConcurrent = maxConcurrent;
        this.streamTimeoutNanos = streamTimeoutNanos;
        this.tracker = tracker;
        this.labelled = envelope.labelHeader().length > 0;
    }

    /** Sets up a connection a peer opened to us. */
    void initInbound(Channel ch) {
        tracker.track(ch);
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            javax.net.ssl.SSLEngine engine;
            try {
                engine = tls.serverEngine();
            } catch (RuntimeException e) {
                counters.tlsHandshakeFailures++;
                log.debug("stream from " + ch.remoteAddress() + " closed: no TLS engine: " + e.getMessage());
                ch.close();
                return;
            }
            p.addLast(TLS, sslHandler(engine));
        }
        if (labelled) {
            p.addLast(StreamLabelHandlers.NAME, new StreamLabelHandlers.Reader(envelope));
        }
        p.addLast(FRAMES, new StreamFrameDecoder(maxStreamBytes, counters, log, this::frameRefused));
        p.addLast(STREAM, new InboundStreamHandler(core, envelope, counters, log, maxConcurrent, streamTimeoutNanos,
                tls, keyrings));
    }

    /** Sets up a connection we open for one of the core's stream requests. */
    void initOutbound(Channel ch, OutboundStreamHandler handler) {
        tracker.track(ch);
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            String expected = handler.request().targetName();
            SslHandler ssl;
            try {
                ssl = sslHandler(tls.clientEngine(expected.isEmpty() ? null : expected));
            } catch (RuntimeException e) {
                counters.tlsHandshakeFailures++;
                handler.abort("no TLS engine: " + e.getMessage());
                ch.close();
                return;
            }
            p.addLast(TLS, ssl);
            handler.useTls(ssl, tls, log);
        }
        if (labelled) {
            p.addLast(StreamLabelHandlers.NAME, new StreamLabelHandlers.Writer(envelope.labelHeader()));
        }
        p.addLast(FRAMES, new StreamFrameDecoder(maxStreamBytes, counters, log, this::frameRefused));
        p.addLast(STREAM, handler);
    }

    /** Counts a stream the framer refused in the core's rejections, by reason. */
    private void frameRefused(SocketAddress remote, Rejection reason, String detail) {
        core.noteRejected(remote instanceof InetSocketAddress isa && !isa.isUnresolved()
                ? NodeAddress.of(isa) : null, reason, detail);
    }

    /** An SslHandler whose handshake is bounded by the stream's own deadline, not a timer of its own. */
    private static SslHandler sslHandler(javax.net.ssl.SSLEngine engine) {
        SslHandler h = new SslHandler(engine);
        h.setHandshakeTimeoutMillis(0);
        return h;
    }
}
