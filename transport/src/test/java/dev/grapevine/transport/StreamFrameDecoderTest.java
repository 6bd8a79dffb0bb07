package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.Rejection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link StreamFrameDecoder} on an {@link EmbeddedChannel}: no sockets. */
class StreamFrameDecoderTest {
    private static final int MAX = 1 << 20;

    private final TransportCounters counters = new TransportCounters();
    private final List<ByteBuf> written = new ArrayList<>();

    static Stream<Arguments> messages() {
        return StreamMessages.all().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    private EmbeddedChannel channel(int max) {
        return new EmbeddedChannel(new StreamFrameDecoder(max, counters,
                new RateLimitedLog(org.slf4j.LoggerFactory.getLogger(getClass()), TimeUnit.SECONDS.toNanos(1))));
    }

    /** Writes {@code bytes[off, off+len)} as one pooled (direct) buffer, as a socket read would. */
    private void feed(EmbeddedChannel ch, byte[] bytes, int off, int len) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(len);
        b.writeBytes(bytes, off, len);
        written.add(b);
        ch.writeInbound(b);
    }

    private void assertAllInputReleased() {
        for (ByteBuf b : written) {
            assertEquals(0, b.refCnt(), "every buffer written in was released");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void wholeMessageIsOneFrame(String kind, byte[] message) {
        EmbeddedChannel ch = channel(MAX);
        feed(ch, message, 0, message.length);
        assertArrayEquals(message, ch.readInbound());
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void byteByByte(String kind, byte[] message) {
        EmbeddedChannel ch = channel(MAX);
        for (int i = 0; i < message.length; i++) {
            assertNull(ch.readInbound(), "no frame before the last byte (" + i + ")");
            feed(ch, message, i, 1);
        }
        assertArrayEquals(message, ch.readInbound());
        assertNull(ch.readInbound());
        assertTrue(ch.isOpen());
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void randomChunks(String kind, byte[] message) {
        Random random = new Random(message.length);
        for (int round = 0; round < 20; round++) {
            EmbeddedChannel ch = channel(MAX);
            int pos = 0;
            while (pos < message.length) {
                int n = Math.min(message.length - pos, 1 + random.nextInt(64));
                feed(ch, message, pos, n);
                pos += n;
            }
            assertArrayEquals(message, ch.readInbound());
            assertNull(ch.readInbound());
            assertFalse(ch.finish());
        }
        assertAllInputReleased();
    }

    @Test
    void twoMessagesBackToBackAreTwoFrames() {
        byte[] a = StreamMessages.pushPull(3, 10);
        byte[] b = StreamMessages.ack();
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        EmbeddedChannel ch = channel(MAX);
        feed(ch, both, 0, both.length);
        assertArrayEquals(a, ch.readInbound());
        assertArrayEquals(b, ch.readInbound());
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @Test
    void twoMessagesSplitAcrossReads() {
        byte[] a = StreamMessages.user(100);
        byte[] b = StreamMessages.err();
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        EmbeddedChannel ch = channel(MAX);
        int cut = a.length + 3; // the second message starts inside the first read
        feed(ch, both, 0, cut);
        assertArrayEquals(a, ch.readInbound());
        assertNull(ch.readInbound());
        feed(ch, both, cut, both.length - cut);
        assertArrayEquals(b, ch.readInbound());
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @Test
    void oversizeUserMessageIsRefusedAndCounted() {
        byte[] message = StreamMessages.user(5000);
        EmbeddedChannel ch = channel(4096);
        feed(ch, message, 0, 100); // the header alone shows it is too long
        assertNull(ch.readInbound());
        assertFalse(ch.isOpen(), "connection closed");
        assertEquals(1, counters.framesTooLarge);
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @Test
    void oversizeEncryptedEnvelopeIsRefusedFromItsHeader() {
        byte[] message = StreamMessages.encrypted(10_000);
        EmbeddedChannel ch = channel(4096);
        feed(ch, message, 0, 5);
        assertFalse(ch.isOpen());
        assertEquals(1, counters.framesTooLarge);
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @Test
    void oversizePushPullIsRefusedByteByByte() {
        byte[] message = StreamMessages.pushPull(200, 0); // about 10 KB of records, limit 4 KiB
        EmbeddedChannel ch = channel(4096);
        int i = 0;
        while (ch.isOpen() && i < message.length) {
            feed(ch, message, i++, 1);
        }
        assertFalse(ch.isOpen());
        assertTrue(i <= 4097, "refused by the time the limit was passed, at byte " + i);
        assertEquals(1, counters.framesTooLarge);
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @Test
    void messageExactlyAtTheLimitIsAccepted() {
        byte[] message = StreamMessages.encrypted(4096 - 5);
        EmbeddedChannel ch = channel(4096);
        feed(ch, message, 0, message.length);
        assertArrayEquals(message, ch.readInbound());
        assertEquals(0, counters.framesTooLarge);
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @Test
    void unknownFirstByteIsRejected() {
        EmbeddedChannel ch = channel(MAX);
        feed(ch, new byte[] {42, 1, 2, 3}, 0, 4);
        assertNull(ch.readInbound());
        assertFalse(ch.isOpen());
        assertEquals(0, counters.framesTooLarge, "garbage is not counted as too large");
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @Test
    void everyRefusalIsReportedWithItsReason() {
        List<Rejection> reasons = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new StreamFrameDecoder(MAX, counters,
                new RateLimitedLog(org.slf4j.LoggerFactory.getLogger(getClass()), TimeUnit.SECONDS.toNanos(1)),
                (remote, reason, detail) -> reasons.add(reason)));
        feed(ch, new byte[] {42, 1, 2, 3}, 0, 4);
        assertEquals(List.of(Rejection.UNKNOWN_TYPE), reasons);
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @Test
    void typesThatNeverStartAStreamAreRejected() {
        for (int type : new int[] {1, 3, 4, 5, 7, 11, 12, 244}) {
            EmbeddedChannel ch = channel(MAX);
            feed(ch, new byte[] {(byte) type, (byte) 0x80}, 0, 2);
            assertNull(ch.readInbound(), "type " + type);
            assertFalse(ch.isOpen(), "type " + type);
            assertFalse(ch.finish());
        }
        assertAllInputReleased();
    }

    @Test
    void invalidMsgpackIsRejected() {
        EmbeddedChannel ch = channel(MAX);
        feed(ch, new byte[] {0, (byte) 0xc1, 0, 0}, 0, 4); // 0xc1 is never valid msgpack
        assertNull(ch.readInbound());
        assertFalse(ch.isOpen());
        assertFalse(ch.finish());
        assertAllInputReleased();
    }

    @Test
    void randomGarbageNeverYieldsAFrameLongerThanTheInputOrThrows() {
        Random random = new Random(1);
        for (int round = 0; round < 500; round++) {
            byte[] junk = new byte[1 + random.nextInt(200)];
            random.nextBytes(junk);
            EmbeddedChannel ch = channel(4096);
            feed(ch, junk, 0, junk.length);
            for (Object frame; (frame = ch.readInbound()) != null; ) {
                assertTrue(((byte[]) frame).length <= junk.length);
            }
            ch.finishAndReleaseAll();
        }
        assertAllInputReleased();
    }

    @Test
    void incompleteMessageAtCloseIsDroppedAndItsCumulationReleased() {
        byte[] message = StreamMessages.pushPull(10, 100);
        EmbeddedChannel ch = channel(MAX);
        feed(ch, message, 0, message.length / 2);
        assertNull(ch.readInbound());
        assertFalse(ch.finish(), "nothing comes out of a half message");
        assertAllInputReleased();
        // the decoder's own cumulation (a pooled heap buffer) is released on close; the
        // leak-detection extension would report it otherwise
    }

    @Test
    void heapCumulatorCopiesDirectInputAndReleasesIt() {
        ByteBuf cumulation = PooledByteBufAllocator.DEFAULT.heapBuffer(4);
        ByteBuf in = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        in.writeBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        cumulation.writeBytes(new byte[] {9, 9});
        ByteBuf out = StreamFrameDecoder.HEAP_CUMULATOR.cumulate(PooledByteBufAllocator.DEFAULT, cumulation, in);
        try {
            assertTrue(out.hasArray());
            assertEquals(10, out.readableBytes());
            assertEquals(0, in.refCnt(), "input released");
            assertEquals(0, cumulation.refCnt(), "old cumulation released when replaced");
        } finally {
            out.release();
        }
    }

    @Test
    void allKindsAreCovered() {
        Map<String, byte[]> all = StreamMessages.all();
        for (int type : new int[] {0, 2, 6, 8, 9, 10, 13}) {
            assertTrue(all.values().stream().anyMatch(m -> (m[0] & 0xff) == type), "a message of type " + type);
        }
    }
}
