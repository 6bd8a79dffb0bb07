package dev.grapevine.transport;

import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.NodeAddress;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.Arrays;
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
 * <p><b>TLS.</b> With an {@link SslHandler} first in the pipeline (TLS mode), messages arrive only
 * after a handshake in which the peer presented a client certificate from the cluster CA; the node
 * name that certificate gives goes to the core with the message, which requires a push/pull to
 * carry that node's own state. A connection whose handshake fails (a plaintext peer, an untrusted,
 * expired or nameless certificate) is closed without a reply, counted in
 * {@link TransportCounters#tlsHandshakeFailures} and logged rate-limited; the handshake is bounded
 * by the stream timeout like the rest of the exchange.
 *
 * <p><b>Keyring requests.</b> A message of type 243 ({@link KeyringMessages}) concerns the gossip
 * keyring, not membership: it never reaches the core. It goes to the node's {@link KeyringRecovery},
 * with the peer's certificate name (null on a plaintext stream, where it is refused without an
 * answer); an answer carrying keys is wiped once written. Without a recovery (codec tests) it is
 * refused and counted.
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
    private final StreamTls tls;
    private final KeyringRecovery keyrings;
    private boolean holdsSlot;
    private boolean answered;
    private ScheduledFuture<?> deadline;
    /** TLS: the node the client certificate names, once the handshake has completed. */
    private String peerName;
    private boolean handshakeFailed;
    private boolean refused;

    InboundStreamHandler(MembershipCore core, StreamEnvelope envelope, TransportCounters counters, RateLimitedLog log,
                         int maxConcurrent, long timeoutNanos) {
        this(core, envelope, counters, log, maxConcurrent, timeoutNanos, null);
    }

    InboundStreamHandler(MembershipCore core, StreamEnvelope envelope, TransportCounters counters, RateLimitedLog log,
                         int maxConcurrent, long timeoutNanos, StreamTls tls) {
        this(core, envelope, counters, log, maxConcurrent, timeoutNanos, tls, null);
    }

    /**
     * @param tls      where peer names come from in TLS mode (an SslHandler is then first); null without TLS
     * @param keyrings answers keyring requests; null refuses them
     */
    InboundStreamHandler(MembershipCore core, StreamEnvelope envelope, TransportCounters counters, RateLimitedLog log,
                         int maxConcurrent, long timeoutNanos, StreamTls tls, KeyringRecovery keyrings) {
        this.keyrings = keyrings;
        this.core = core;
        this.envelope = envelope;
        this.counters = counters;
        this.log = log;
        this.maxConcurrent = maxConcurrent;
        this.timeoutNanos = timeoutNanos;
        this.tls = tls;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (counters.inboundInProgress + 1 >= maxConcurrent) {
            counters.streamsRefused++;
            refused = true;
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
        if (tls != null && peerName == null && !authenticate(ctx)) {
            return;
        }
        if (KeyringMessages.isKeyringMessage(frame)) {
            keyringMessage(ctx, frame);
            return;
        }
        byte[] message = envelope.open(frame, ctx.channel().remoteAddress());
        if (message == null) {
            ctx.close();
            return;
        }
        byte[] reply = core.handleStream(peer(ctx), peerName, message, 0, message.length);
        if (reply == null) {
            ctx.close();
        } else {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(envelope.seal(reply))).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** A keyring request: answered (TLS only) by the node's keyring recovery, never by the core. */
    private void keyringMessage(ChannelHandlerContext ctx, byte[] frame) {
        byte[] reply;
        if (keyrings != null) {
            reply = keyrings.answer(frame, peerName, ctx.channel().remoteAddress());
        } else {
            counters.keyringRequestsRefused++;
            log.debug("keyring message from " + ctx.channel().remoteAddress() + " refused: not served here");
            reply = null;
        }
        if (reply == null) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(Unpooled.wrappedBuffer(reply)).addListener(f -> {
            Arrays.fill(reply, (byte) 0);
            ctx.close();
        });
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent e) {
            if (e.isSuccess()) {
                authenticate(ctx);
            } else {
                handshakeFailed(ctx, e.cause());
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** Reads the peer's node name from the completed handshake; closes the stream when there is none. */
    private boolean authenticate(ChannelHandlerContext ctx) {
        if (peerName != null) {
            return true;
        }
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        String name = ssl == null || !ssl.handshakeFuture().isSuccess() ? null
                : tls.peerName(ssl.engine().getSession());
        if (name == null) {
            handshakeFailed(ctx, new IllegalStateException("the client certificate names no node"));
            return false;
        }
        peerName = name;
        return true;
    }

    private void handshakeFailed(ChannelHandlerContext ctx, Throwable cause) {
        if (!handshakeFailed && !refused) {
            handshakeFailed = true;
            counters.tlsHandshakeFailures++;
            log.debug("TLS handshake with " + ctx.channel().remoteAddress() + " failed: "
                    + OutboundStreamHandler.tlsFailure(cause));
        }
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (tls != null && peerName == null) {
            handshakeFailed(ctx, cause); // the SslHandler reports a failed handshake here too
            return;
        }
        log.debug("stream from " + ctx.channel().remoteAddress() + " failed: " + cause);
        ctx.close();
    }

    private static NodeAddress peer(ChannelHandlerContext ctx) {
        return NodeAddress.of((InetSocketAddress) ctx.channel().remoteAddress());
    }
}
