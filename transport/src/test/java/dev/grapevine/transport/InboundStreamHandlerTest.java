package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The server side of a stream, through the pipeline {@link StreamPipelines} builds, with a real core. */
class InboundStreamHandlerTest {
    private static final int MAX_CONCURRENT = 4;
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final RecordingHost host = new RecordingHost();
    private final TransportCounters counters = new TransportCounters();
    private final List<Channel> tracked = new ArrayList<>();
    private MembershipCore core;
    private StreamPipelines pipelines;

    @BeforeEach
    void setUp() {
        core = host.startCore("server");
        pipelines = new StreamPipelines(core, StreamEnvelope.IDENTITY, counters,
                new RateLimitedLog(LoggerFactory.getLogger(getClass()), TimeUnit.SECONDS.toNanos(1)),
                1 << 20, MAX_CONCURRENT, TIMEOUT_NANOS, tracked::add);
    }

    private PeerChannel open() {
        PeerChannel ch = new PeerChannel();
        pipelines.initInbound(ch);
        return ch.start();
    }

    private static byte[] readAll(PeerChannel ch) {
        ByteBuf out = ch.readOutbound();
        if (out == null) {
            return null;
        }
        try {
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }

    @Test
    void pingIsAnsweredWithAnAckThenClosed() {
        PeerChannel ch = open();
        assertEquals(1, counters.inboundInProgress);
        byte[] ping = WireEncoder.encode(new Message.Ping(99, "server", null, 0, "client"));
        ch.writeInbound(Unpooled.wrappedBuffer(ping));
        byte[] reply = readAll(ch);
        Message m = Streams.read(reply, 0, reply.length).value();
        assertEquals(new Message.Ack(99, null), m);
        assertFalse(ch.isOpen(), "closed after the reply");
        assertEquals(0, counters.inboundInProgress, "slot given back");
        assertEquals(1, counters.streamsAccepted);
        assertEquals(List.of(ch), tracked);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void pushPullIsAnsweredWithTheLocalState() {
        PeerChannel ch = open();
        ch.writeInbound(Unpooled.wrappedBuffer(StreamMessages.compressed(StreamMessages.pushPull(3, 0))));
        byte[] reply = readAll(ch);
        Message.PushPull pp = assertInstanceOf(Message.PushPull.class, Streams.read(reply, 0, reply.length).value());
        assertTrue(pp.nodes().stream().anyMatch(n -> n.name().equals("server")));
        assertEquals(1, core.metrics().pushPullsServed());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void reliableUserMessageIsDeliveredWithoutReply() {
        PeerChannel ch = open();
        byte[] payload = {1, 2, 3, 4};
        ch.writeInbound(Unpooled.wrappedBuffer(WireEncoder.encodeStreamUser(payload)));
        assertNull(ch.readOutbound());
        assertFalse(ch.isOpen());
        MembershipEvent.UserMessage um = assertInstanceOf(MembershipEvent.UserMessage.class, host.events.get(0));
        assertEquals(NodeAddress.of(PeerChannel.PEER), um.from());
        assertEquals(4, um.payload().length);
        ch.finishAndReleaseAll();
    }

    @Test
    void onlyTheFirstMessageIsServed() {
        PeerChannel ch = open();
        byte[] a = WireEncoder.encodeStreamUser(new byte[] {1});
        byte[] b = WireEncoder.encodeStreamUser(new byte[] {2});
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        ch.writeInbound(Unpooled.wrappedBuffer(both));
        assertEquals(1, host.events.size());
        ch.finishAndReleaseAll();
    }

    @Test
    void streamsBeyondTheLimitAreRefused() {
        List<PeerChannel> held = new ArrayList<>();
        for (int i = 0; i < MAX_CONCURRENT - 1; i++) {
            held.add(open());
        }
        assertEquals(MAX_CONCURRENT - 1, counters.inboundInProgress);
        PeerChannel refused = open();
        assertFalse(refused.isOpen(), "the stream that would reach the limit is closed at once");
        assertEquals(1, counters.streamsRefused);
        assertEquals(MAX_CONCURRENT - 1, counters.streamsAccepted);
        assertEquals(MAX_CONCURRENT - 1, counters.inboundInProgress);
        held.get(0).close();
        assertEquals(MAX_CONCURRENT - 2, counters.inboundInProgress);
        PeerChannel next = open();
        assertTrue(next.isOpen(), "a slot was freed");
        for (PeerChannel ch : held) {
            ch.finishAndReleaseAll();
        }
        next.finishAndReleaseAll();
        refused.finishAndReleaseAll();
    }

    @Test
    void aStreamThatDoesNotFinishInTimeIsClosedAndCounted() {
        PeerChannel ch = open();
        ch.freezeTime();
        byte[] pp = StreamMessages.pushPull(5, 0);
        ch.writeInbound(Unpooled.wrappedBuffer(pp, 0, pp.length / 2));
        ch.advanceTimeBy(TIMEOUT_NANOS / 2, TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "a trickle of bytes does not close the stream before its deadline");
        ch.writeInbound(Unpooled.wrappedBuffer(pp, pp.length / 2, 1));
        ch.advanceTimeBy(TIMEOUT_NANOS / 2 + TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
        assertEquals(1, counters.streamTimeouts);
        assertEquals(0, counters.inboundInProgress);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void garbageClosesWithoutReply() {
        PeerChannel ch = open();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {99, 1, 2}));
        assertNull(ch.readOutbound());
        assertFalse(ch.isOpen());
        assertEquals(0, counters.inboundInProgress);
        ch.finishAndReleaseAll();
    }

    @Test
    void aRefusingEnvelopeClosesWithoutCallingTheCore() {
        pipelines = new StreamPipelines(core, new StreamEnvelope() {
            @Override
            public byte[] seal(byte[] message) {
                return message;
            }

            @Override
            public byte[] open(byte[] frame) {
                return null;
            }
        }, counters, new RateLimitedLog(LoggerFactory.getLogger(getClass()), 1), 1 << 20, MAX_CONCURRENT,
                TIMEOUT_NANOS, tracked::add);
        PeerChannel ch = open();
        ch.writeInbound(Unpooled.wrappedBuffer(WireEncoder.encodeStreamUser(new byte[] {1})));
        assertFalse(ch.isOpen());
        assertTrue(host.events.isEmpty());
        ch.finishAndReleaseAll();
    }

    @Test
    void aKeyringRequestOnAPlaintextStreamIsRefusedWithoutAnAnswerAndNeverReachesTheCore() {
        KeyringRecovery keyrings = new KeyringRecovery("server", dev.grapevine.crypto.Keyring.of(KeyringRecoveryTest.K1),
                false, new KeyringRecoveryTest.FakeNode(), counters, System::nanoTime, new java.util.SplittableRandom(), 2_000_000_000L);
        pipelines = new StreamPipelines(core, StreamEnvelope.IDENTITY, counters,
                new RateLimitedLog(LoggerFactory.getLogger(getClass()), 1), 1 << 20, MAX_CONCURRENT, TIMEOUT_NANOS,
                tracked::add, null, keyrings);
        PeerChannel ch = open();
        ch.writeInbound(Unpooled.wrappedBuffer(KeyringMessages.request(KeyringRecoveryTest.K2)));
        assertNull(ch.readOutbound(), "no answer, no key");
        assertFalse(ch.isOpen());
        assertEquals(1, counters.keyringRequestsRefused);
        assertEquals(0, counters.keyringRequestsServed);
        assertTrue(core.metrics().rejections().isEmpty(), "the core never saw it");
        ch.finishAndReleaseAll();

        // Without a keyring recovery at all (codec tests): refused and counted the same way.
        pipelines = new StreamPipelines(core, StreamEnvelope.IDENTITY, counters,
                new RateLimitedLog(LoggerFactory.getLogger(getClass()), 1), 1 << 20, MAX_CONCURRENT, TIMEOUT_NANOS,
                tracked::add);
        PeerChannel ch2 = open();
        ch2.writeInbound(Unpooled.wrappedBuffer(KeyringMessages.request(KeyringRecoveryTest.K2)));
        assertNull(ch2.readOutbound());
        assertFalse(ch2.isOpen());
        assertEquals(2, counters.keyringRequestsRefused);
        ch2.finishAndReleaseAll();
    }

    @Test
    void anOversizedKeyringMessageIsRefusedByTheFramer() {
        PeerChannel ch = open();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 243, 0, 1, 0, 0}));
        assertNull(ch.readOutbound());
        assertFalse(ch.isOpen());
        assertEquals(1, counters.framesTooLarge);
        ch.finishAndReleaseAll();
    }
}
