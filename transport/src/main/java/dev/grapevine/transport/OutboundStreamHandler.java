package dev.grapevine.transport;

import dev.grapevine.membership.StreamRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
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
 * <p><b>TLS.</b> When the pipeline starts with an {@link SslHandler} (TLS mode), nothing is written
 * until its handshake has completed: the payload goes only to a server whose certificate the
 * engine accepted (for a request naming a node, a certificate naming that node). A handshake that
 * fails, or a connection that closes before it completes, is a failure of the request like any
 * other ("TLS handshake failed: ..."), counted in {@link TransportCounters#tlsHandshakeFailures}
 * and logged rate-limited; the reply is reported with the node name the server's certificate
 * gives.
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

        /**
         * The reply arrived on a TLS stream whose server certificate names {@code peer} (null
         * without TLS). The default ignores the peer.
         */
        default void reply(long streamId, String peer, byte[] message) {
            reply(streamId, message);
        }

        /** The exchange failed; {@code reason} says what went wrong (the request names the peer). */
        void failure(long streamId, String reason);

        /**
         * TLS: the handshake for {@code request} completed and the server's certificate names
         * {@code peer} (for any request, also one that expects no reply). Default: nothing.
         */
        default void authenticated(StreamRequest request, String peer) {
        }

        /** TLS: the handshake for {@code request} failed. Default: nothing. */
        default void handshakeFailed(StreamRequest request) {
        }
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
    /** TLS: the handler before this one, or null on a plaintext stream; and what it authenticated. */
    private SslHandler tls;
    private String peer;
    private StreamTls tlsSource;
    private RateLimitedLog log;

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

    /** The request this handler carries out. */
    StreamRequest request() {
        return request;
    }

    /** Fails the request before the handler joined a pipeline (its TLS engine could not be made). */
    void abort(String reason) {
        fail(reason, false);
    }

    /** TLS mode: called by {@link StreamPipelines} once it has put an {@link SslHandler} first. */
    void useTls(SslHandler handler, StreamTls source, RateLimitedLog tlsLog) {
        this.tls = handler;
        this.tlsSource = source;
        this.log = tlsLog;
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
        if (tls == null) {
            send(ctx);
        } else {
            tls.handshakeFuture().addListener(f -> {
                if (done) {
                    return;
                }
                if (!f.isSuccess()) {
                    handshakeFailed(f.cause());
                    return;
                }
                String name = tlsSource.peerName(tls.engine().getSession());
                if (name == null) {
                    handshakeFailed(new IOException("the server certificate names no node"));
                    return;
                }
                peer = name;
                completion.authenticated(request, name);
                send(ctx);
            });
        }
        ctx.fireChannelActive();
    }

    private void send(ChannelHandlerContext ctx) {
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
    }

    private void handshakeFailed(Throwable cause) {
        if (done) {
            return;
        }
        counters.tlsHandshakeFailures++;
        String why = tlsFailure(cause);
        log.debug("TLS handshake with " + (request.targetName().isEmpty() ? "" : request.targetName() + "@")
                + request.target() + " failed: " + why);
        completion.handshakeFailed(request);
        fail("TLS handshake failed: " + why, false);
    }

    private boolean handshaking() {
        return tls != null && !tls.handshakeFuture().isSuccess();
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
        completion.reply(request.id(), peer, message);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (handshaking()) {
            handshakeFailed(new IOException("connection closed during the handshake"));
        } else {
            fail("connection closed before " + (request.expectsReply() ? "a reply" : "the message was written"),
                    false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // In TLS 1.3 the client's handshake completes before the server has checked the client's
        // certificate: the server's refusal arrives afterwards, as an alert.
        if (handshaking() || (tls != null && isTls(cause))) {
            handshakeFailed(cause);
        } else {
            fail("stream failed: " + describe(unwrap(cause)), false);
        }
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

    /** Whether a TLS error is among the causes. */
    static boolean isTls(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (x instanceof SSLException || x.getClass().getName().startsWith("org.bouncycastle.tls.")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why a TLS handshake failed, for logs and the core: the certificate check that refused the
     * peer when this side refused it, "refused by the peer" when the peer sent an alert, else the
     * error's message. Never key material.
     */
    static String tlsFailure(Throwable t) {
        Throwable c = unwrap(t);
        for (Throwable x = c; x != null; x = x.getCause()) {
            if (x instanceof CertificateException) {
                return x.getMessage();
            }
        }
        for (Throwable x = c; x != null; x = x.getCause()) {
            if (x.getClass().getSimpleName().equals("TlsFatalAlertReceived")) {
                return "refused by the peer (alert " + x.getMessage() + ")";
            }
        }
        String m = c.getMessage();
        return m == null ? c.getClass().getSimpleName() : m;
    }

    /** The cause a codec wrapped (an SslHandler reports TLS errors inside DecoderException). */
    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while (c instanceof DecoderException && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
