package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** {@link PacketHandler} on an {@link EmbeddedChannel}: copies, releases at once, passes on. */
class PacketHandlerTest {
    private static final InetSocketAddress SENDER = new InetSocketAddress("127.0.0.3", 7946);
    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 7946);

    private final List<byte[]> received = new ArrayList<>();
    private final List<InetSocketAddress> senders = new ArrayList<>();

    private EmbeddedChannel channel(PacketHandler.Sink sink) {
        return new EmbeddedChannel(new PacketHandler(sink,
                new RateLimitedLog(LoggerFactory.getLogger(getClass()), TimeUnit.SECONDS.toNanos(1))));
    }

    private static DatagramPacket datagram(byte[] bytes) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length + 8);
        b.writeBytes(new byte[] {9, 9, 9}); // bytes before the reader index are not part of it
        b.readerIndex(3);
        b.writeBytes(bytes);
        return new DatagramPacket(b, LOCAL, SENDER);
    }

    @Test
    void copiesTheDatagramAndReleasesItBeforeTheSinkRuns() {
        byte[] payload = StreamMessages.ping();
        DatagramPacket packet = datagram(payload);
        EmbeddedChannel ch = channel((from, bytes) -> {
            assertEquals(0, packet.refCnt(), "released before the sink sees the bytes");
            senders.add(from);
            received.add(bytes);
        });
        ch.writeInbound(packet);
        assertEquals(1, received.size());
        assertArrayEquals(payload, received.get(0));
        assertEquals(SENDER, senders.get(0));
        assertEquals(0, packet.refCnt());
        assertFalse(ch.finish());
    }

    @Test
    void releasesEvenWhenTheSinkThrows() {
        DatagramPacket packet = datagram(new byte[] {1, 2, 3});
        EmbeddedChannel ch = channel((from, bytes) -> {
            throw new IllegalStateException("sink failure");
        });
        ch.writeInbound(packet);
        assertEquals(0, packet.refCnt());
        assertTrue(ch.isOpen(), "a UDP socket stays open after an error");
        ch.checkException();
        assertFalse(ch.finish());
    }

    @Test
    void manyDatagramsAllReleased() {
        EmbeddedChannel ch = channel((from, bytes) -> received.add(bytes));
        List<DatagramPacket> packets = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            DatagramPacket p = datagram(new byte[] {(byte) i, 4, 5});
            packets.add(p);
            ch.writeInbound(p);
        }
        assertEquals(100, received.size());
        for (DatagramPacket p : packets) {
            assertEquals(0, p.refCnt());
        }
        assertFalse(ch.finish());
    }

    @Test
    void emptyDatagramIsStillDelivered() {
        EmbeddedChannel ch = channel((from, bytes) -> received.add(bytes));
        DatagramPacket p = datagram(new byte[0]);
        ch.writeInbound(p);
        assertEquals(1, received.size());
        assertEquals(0, received.get(0).length);
        assertEquals(0, p.refCnt());
        assertFalse(ch.finish());
    }

    @Test
    void otherMessagesPassThroughUntouched() {
        EmbeddedChannel ch = channel((from, bytes) -> received.add(bytes));
        Object other = "not a datagram";
        ch.writeInbound(other);
        assertSame(other, ch.readInbound());
        assertTrue(received.isEmpty());
        assertFalse(ch.finish());
    }

    @Test
    void socketErrorsAreLoggedAndTheSocketStaysOpen() {
        EmbeddedChannel ch = channel((from, bytes) -> received.add(bytes));
        ch.pipeline().fireExceptionCaught(new java.io.IOException("ICMP port unreachable"));
        ch.checkException();
        assertTrue(ch.isOpen());
        assertFalse(ch.finish());
    }
}
