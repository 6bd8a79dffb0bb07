package dev.grapevine.transport;

import dev.grapevine.membership.MembershipCore;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;

/**
 * Builds the pipeline of every stream connection, inbound and outbound, in this one place:
 *
 * <pre>
 *  [tls]     (the security layer inserts an SslHandler here, first, for mutual TLS)
 *  [label]   {@link StreamLabelHandlers}: with a cluster label only; writes (outbound) or checks
 *            (inbound) the connection's label header, then removes itself
 *  frames    {@link StreamFrameDecoder}: bytes to one byte[] per stream message, size-limited
 *  stream    {@link InboundStreamHandler} or {@link OutboundStreamHandler}: the exchange, which
 *            opens and seals messages through the {@link StreamEnvelope}
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
    private final boolean labelled;

    /** Registers each stream channel with whatever closes them all at shutdown. */
    @FunctionalInterface
    interface ChannelTracker {
        void track(Channel channel);
    }

    StreamPipelines(MembershipCore core, StreamEnvelope envelope, TransportCounters counters, RateLimitedLog log,
                    int maxStreamBytes, int maxConcurrent, long streamTimeoutNanos, ChannelTracker tracker) {
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
        if (labelled) {
            p.addLast(StreamLabelHandlers.NAME, new StreamLabelHandlers.Reader(envelope));
        }
        p.addLast(FRAMES, new StreamFrameDecoder(maxStreamBytes, counters, log));
        p.addLast(STREAM, new InboundStreamHandler(core, envelope, counters, log, maxConcurrent, streamTimeoutNanos));
    }

    /** Sets up a connection we open for one of the core's stream requests. */
    void initOutbound(Channel ch, OutboundStreamHandler handler) {
        tracker.track(ch);
        ChannelPipeline p = ch.pipeline();
        if (labelled) {
            p.addLast(StreamLabelHandlers.NAME, new StreamLabelHandlers.Writer(envelope.labelHeader()));
        }
        p.addLast(FRAMES, new StreamFrameDecoder(maxStreamBytes, counters, log));
        p.addLast(STREAM, handler);
    }
}
