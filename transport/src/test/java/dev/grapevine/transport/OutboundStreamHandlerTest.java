package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.StreamRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.DefaultChannelPromise;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The client side of a stream: exactly one outcome per request, whatever happens. */
class OutboundStreamHandlerTest {
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final NodeAddress TARGET = NodeAddress.of("127.0.0.2", 7946);

    private final TransportCounters counters = new TransportCounters();
    private final List<String> outcomes = new ArrayList<>();
    private final OutboundStreamHandler.Completion completion = new OutboundStreamHandler.Completion() {
        @Override
        public void reply(long streamId, byte[] message) {
            outcomes.add("reply " + streamId + " " + message.length);
        }

        @Override
        public void failure(long streamId, String reason) {
            outcomes.add("failure " + streamId + " " + reason);
        }
    };
    private final StreamPipelines pipelines = new StreamPipelines(null, StreamEnvelope.IDENTITY, counters,
            new RateLimitedLog(LoggerFactory.getLogger(getClass()), TimeUnit.SECONDS.toNanos(1)), 1 << 20, 128,
            TIMEOUT_NANOS, ch -> { });

    private OutboundStreamHandler handler(StreamRequest r, CompletableFuture<Void> written) {
        return new OutboundStreamHandler(r, StreamEnvelope.IDENTITY, counters, completion, written);
    }

    private static StreamRequest request(StreamRequest.Kind kind, byte[] payload) {
        return new StreamRequest(5, kind, TARGET, "peer", payload, TIMEOUT_NANOS);
    }

    private PeerChannel connect(OutboundStreamHandler h) {
        PeerChannel ch = new PeerChannel();
        pipelines.initOutbound(ch, h);
        ch.start();
        ch.freezeTime();
        h.watch(ch.newSucceededFuture());
        return ch;
    }

    /** A connect attempt that failed before the channel was ever registered. */
    private static ChannelFuture failedConnect(Throwable cause) {
        return new DefaultChannelPromise(new PeerChannel(), ImmediateEventExecutor.INSTANCE).setFailure(cause);
    }

    private static byte[] written(PeerChannel ch) {
        ByteBuf b = ch.readOutbound();
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    @Test
    void pushPullWritesItsPayloadAndReportsTheReplyOnce() {
        byte[] payload = StreamMessages.pushPull(2, 0);
        PeerChannel ch = connect(handler(request(StreamRequest.Kind.PUSH_PULL, payload), null));
        assertArrayEquals(payload, written(ch));
        byte[] reply = StreamMessages.pushPull(3, 5);
        ch.writeInbound(Unpooled.wrappedBuffer(reply));
        assertEquals(List.of("reply 5 " + reply.length), outcomes);
        assertFalse(ch.isOpen(), "closed after the reply");
        assertEquals(1, counters.pushPullCount);
        assertTrue(counters.pushPullNanosSum >= 0 && counters.pushPullNanosMax >= 0);
        ch.advanceTimeBy(TIMEOUT_NANOS * 2, TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(1, outcomes.size(), "no failure after the reply, not even at the deadline");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void replyArrivingInPiecesIsReassembled() {
        PeerChannel ch = connect(handler(request(StreamRequest.Kind.PING, StreamMessages.ping()), null));
        written(ch);
        byte[] ack = StreamMessages.ack();
        for (byte b : ack) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertEquals(List.of("reply 5 " + ack.length), outcomes);
        assertEquals(0, counters.pushPullCount, "only push/pulls are timed");
        ch.finishAndReleaseAll();
    }

    @Test
    void closedBeforeReplyFailsOnce() {
        PeerChannel ch = connect(handler(request(StreamRequest.Kind.PUSH_PULL, new byte[] {6}), null));
        written(ch);
        ch.close();
        ch.close();
        assertEquals(1, outcomes.size());
        assertTrue(outcomes.get(0).startsWith("failure 5 connection closed before a reply"),
                outcomes.get(0));
        ch.finishAndReleaseAll();
    }

    @Test
    void deadlineFailsOnceAndCountsATimeout() {
        PeerChannel ch = connect(handler(request(StreamRequest.Kind.PUSH_PULL, new byte[] {6}), null));
        written(ch);
        ch.advanceTimeBy(TIMEOUT_NANOS + 1, TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(1, outcomes.size());
        assertTrue(outcomes.get(0).contains("no answer within 2000 ms"), outcomes.get(0));
        assertEquals(1, counters.streamTimeouts);
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
        assertEquals(1, outcomes.size(), "closing after the deadline adds nothing");
    }

    @Test
    void garbageReplyFailsOnce() {
        PeerChannel ch = connect(handler(request(StreamRequest.Kind.PUSH_PULL, new byte[] {6}), null));
        written(ch);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {77, 1, 2}));
        assertEquals(1, outcomes.size());
        assertTrue(outcomes.get(0).startsWith("failure 5"));
        ch.finishAndReleaseAll();
    }

    @Test
    void connectFailureFailsOnce() {
        OutboundStreamHandler h = handler(request(StreamRequest.Kind.PUSH_PULL, new byte[] {6}), null);
        h.watch(failedConnect(new ConnectException("Connection refused")));
        assertEquals(List.of("failure 5 cannot connect: Connection refused"), outcomes);
        assertEquals(0, counters.streamTimeouts);
    }

    @Test
    void connectTimeoutCountsAsATimeout() {
        OutboundStreamHandler h = handler(request(StreamRequest.Kind.PING, new byte[] {0}), null);
        h.watch(failedConnect(new ConnectTimeoutException("connection timed out")));
        assertEquals(1, outcomes.size());
        assertEquals(1, counters.streamTimeouts);
    }

    @Test
    void reliableMessageCompletesOnFlushAndReportsNothingToTheCore() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        byte[] payload = StreamMessages.user(64);
        PeerChannel ch = connect(handler(request(StreamRequest.Kind.USER_MESSAGE, payload), done));
        assertArrayEquals(payload, written(ch));
        assertTrue(done.isDone() && !done.isCompletedExceptionally());
        assertFalse(ch.isOpen(), "closed after the write");
        assertTrue(outcomes.isEmpty());
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void reliableMessageFailsItsFutureWhenTheConnectFails() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        OutboundStreamHandler h = handler(request(StreamRequest.Kind.USER_MESSAGE, new byte[] {8}), done);
        h.watch(failedConnect(new ConnectException("Connection refused")));
        assertTrue(done.isCompletedExceptionally());
        assertTrue(done.handle((v, e) -> e.getMessage()).join().startsWith("127.0.0.2:7946: cannot connect"));
        assertTrue(outcomes.isEmpty(), "user messages expect no reply, so the core hears nothing");
    }
}
