package dev.grapevine.transport;

import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.NodeAddress;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Serves one stream a peer opened (push/pull, stream ping, reliable user message), as memberlist's
 * {@code handleConn}: the first complete message goes to {@link MembershipCore#handleStream}; its
 * reply, if any, is written, then the connection is closed. Anything after the first message is
 * ignored.
 *
 * <p><b>Limits.</b> Every inbound stream holds one of the node's push/pull slots while it is open
 * (memberlist counts only push/pulls; counting every stream also bounds what stream pings and user
 * messages can hold). A stream that arrives when it would make the count reach
 * {@code maxConcurrent} is closed without reading it or replying, and counted in
 * {@link TransportCounters#streamsRefused}; memberlist refuses at the same count. Each stream must
 * deliver its message and take its reply within the stream timeout of its start (an absolute
 * deadline, like memberlist's {@code SetDeadline}; a trickle of bytes does not extend it); then it
 * is closed and counted in {@link TransportCounters#streamTimeouts}.
 *
 * <p><b>Threading.</b> One instance per connection, on the node's event loop (the core's thread).
 */
final class InboundStreamHandler extends ChannelInboundHandlerAdapter {
    private final MembershipCore core;
    private final StreamEnvelope envelope;
    private final TransportCounters counters;
    private final RateLimitedLog log;
    private final int maxConcurrent;
    private final long timeoutNanos;
    private boolean holdsSlot;
    private boolean answered;
    private ScheduledFuture<?> deadline;

    InboundStreamHandler(MembershipCore core, StreamEnvelope envelope, TransportCounters counters, RateLimitedLog log,
                         int maxConcurrent, long timeoutNanos) {
        this.core = core;
        this.envelope = envelope;
        this.counters = counters;
        this.log = log;
        this.maxConcurrent = maxConcurrent;
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (counters.inboundInProgress + 1 >= maxConcurrent) {
            counters.streamsRefused++;
            log.debug("stream from " + ctx.channel().remoteAddress() + " refused: " + counters.inboundInProgress
                    + " streams in progress, limit " + maxConcurrent);
            ctx.close();
            return;
        }
        counters.inboundInProgress++;
        holdsSlot = true;
        counters.streamsAccepted++;
        deadline = ctx.executor().schedule(() -> {
            counters.streamTimeouts++;
            log.debug("stream from " + ctx.channel().remoteAddress() + " timed out");
            ctx.close();
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof byte[] frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (answered || !holdsSlot) {
            return;
        }
        answered = true;
        byte[] message = envelope.open(frame, ctx.channel().remoteAddress());
        if (message == null) {
            ctx.close();
            return;
        }
        byte[] reply = core.handleStream(peer(ctx), message, 0, message.length);
        if (reply == null) {
            ctx.close();
        } else {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(envelope.seal(reply))).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (holdsSlot) {
            holdsSlot = false;
            counters.inboundInProgress--;
        }
        if (deadline != null) {
            deadline.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("stream from " + ctx.channel().remoteAddress() + " failed: " + cause);
        ctx.close();
    }

    private static NodeAddress peer(ChannelHandlerContext ctx) {
        return NodeAddress.of((InetSocketAddress) ctx.channel().remoteAddress());
    }
}
