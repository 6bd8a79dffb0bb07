package dev.grapevine.transport;

import dev.grapevine.membership.StreamRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Carries out one {@link StreamRequest} of the core on a connection of its own: writes the
 * request's payload (through the {@link StreamEnvelope}) once connected, then, when the request
 * {@linkplain StreamRequest#expectsReply() expects a reply}, reads exactly one message back.
 *
 * <p><b>Completion.</b> The outcome is reported exactly once (a flag guards it): a reply goes to
 * {@link Completion#reply}; a connect error, a write error, the connection closing first, a reply
 * the envelope refuses or the request's deadline (counted from when the connection was started,
 * covering connect, write and read) go to {@link Completion#failure}, with a reason that does not
 * repeat the target (the core names it). A request that expects no
 * reply (a reliable user message) reports nothing to the core; its future, when there is one,
 * completes once the payload is written and flushed, or exceptionally. The connection is closed
 * after the outcome in every case.
 *
 * <p><b>Threading.</b> One instance per request, on the node's event loop. {@link Completion} may
 * be called while the core is inside {@code openStream} (a connect can fail at once), so its
 * implementation must defer the core call, never make it synchronously.
 */
final class OutboundStreamHandler extends ChannelInboundHandlerAdapter {

    /** Where the outcome of a request that expects a reply goes. Called on the event loop. */
    interface Completion {
        /** The reply arrived; {@code message} is plaintext, owned by the callee. */
        void reply(long streamId, byte[] message);

        /** The exchange failed; {@code reason} says what went wrong (the request names the peer). */
        void failure(long streamId, String reason);
    }

    private final StreamRequest request;
    private final StreamEnvelope envelope;
    private final TransportCounters counters;
    private final Completion completion;
    private final CompletableFuture<Void> written;
    private final long startNanos = System.nanoTime();
    private Channel channel;
    private ScheduledFuture<?> deadline;
    private boolean done;

    /**
     * @param written completed when a reliable user message has been flushed (may be null)
     */
    OutboundStreamHandler(StreamRequest request, StreamEnvelope envelope, TransportCounters counters,
                          Completion completion, CompletableFuture<Void> written) {
        this.request = request;
        this.envelope = envelope;
        this.counters = counters;
        this.completion = completion;
        this.written = written;
    }

    /** Watches the connect attempt; call right after {@code Bootstrap.connect}, on the event loop. */
    void watch(ChannelFuture connect) {
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                Throwable cause = f.cause();
                fail("cannot connect: " + describe(cause),
                        cause instanceof ConnectTimeoutException);
            }
        });
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        deadline = ctx.executor().schedule(
                () -> fail("no answer within " + TimeUnit.NANOSECONDS.toMillis(request.timeoutNanos()) + " ms", true),
                request.timeoutNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(envelope.seal(request.payload()))).addListener(f -> {
            if (!f.isSuccess()) {
                fail("cannot write: " + describe(f.cause()), false);
            } else if (!request.expectsReply() && !done) {
                done = true;
                cancelDeadline();
                ctx.close();
                if (written != null) {
                    written.complete(null);
                }
            }
        });
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof byte[] frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (done || !request.expectsReply()) {
            return;
        }
        byte[] message = envelope.open(frame, ctx.channel().remoteAddress());
        if (message == null) {
            fail("reply refused by the stream envelope", false);
            return;
        }
        done = true;
        cancelDeadline();
        ctx.close();
        if (request.kind() == StreamRequest.Kind.PUSH_PULL) {
            counters.pushPullCompleted(System.nanoTime() - startNanos);
        }
        completion.reply(request.id(), message);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail("connection closed before " + (request.expectsReply() ? "a reply" : "the message was written"), false);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail("stream failed: " + describe(cause), false);
    }

    private void fail(String reason, boolean timeout) {
        if (done) {
            return;
        }
        done = true;
        cancelDeadline();
        if (timeout) {
            counters.streamTimeouts++;
        }
        if (channel != null) {
            channel.close();
        }
        if (request.expectsReply()) {
            completion.failure(request.id(), reason);
        }
        if (written != null) {
            written.completeExceptionally(new IOException(request.target() + ": " + reason));
        }
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
