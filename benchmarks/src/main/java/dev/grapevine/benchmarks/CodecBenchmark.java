package dev.grapevine.benchmarks;

import dev.grapevine.membership.wire.Lzw;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.Message.Ack;
import dev.grapevine.membership.wire.Message.Alive;
import dev.grapevine.membership.wire.Message.Ping;
import dev.grapevine.membership.wire.Message.PushNodeState;
import dev.grapevine.membership.wire.Message.PushPull;
import dev.grapevine.membership.wire.PacketVisitor;
import dev.grapevine.membership.wire.Packets;
import dev.grapevine.membership.wire.StreamFramer;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireDecoder;
import dev.grapevine.membership.wire.WireEncoder;
import dev.grapevine.membership.Rejection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Encode and decode cost of memberlist messages: the per-packet work of a node, and the push/pull
 * state exchange of a 1,000-node cluster.
 *
 * <p>Run (after {@code mvn -q -DskipTests package}):
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar CodecBenchmark -f 1 -wi 3 -i 5
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {

    private static final byte[] VSN = {1, 5, 2, 2, 5, 5};
    private static final byte[] ADDR = {10, 1, 2, 3};

    private Ping ping;
    private byte[] pingBytes;
    private Alive alive;
    private byte[] aliveBytes;
    private byte[] ackBytes;
    private byte[] gossipPacket;
    private byte[] gossipCompressed;
    private byte[] gossipLzw;
    private PushPull pushPull1000;
    private byte[] pushPull1000Bytes;
    private byte[] pushPull1000Compressed;
    private final PacketVisitor sink = new PacketVisitor() {
        @Override
        public void message(Message message) {
            count++;
        }

        @Override
        public void rejected(Rejection reason, String detail) {
            throw new IllegalStateException(reason + " " + detail);
        }
    };
    private int count;

    @Setup
    public void setup() {
        ping = new Ping(123456, "node-0042", ADDR, 7946, "node-0007");
        pingBytes = WireEncoder.encode(ping);
        alive = new Alive(17, "node-0042", ADDR, 7946, new byte[] {(byte) 0xff, (byte) 0x81, (byte) 0xa4, 'r', 'o',
            'l', 'e', (byte) 0xa3, 'w', 'e', 'b'}, VSN);
        aliveBytes = WireEncoder.encode(alive);
        ackBytes = WireEncoder.encode(new Ack(123456, null));
        // A full gossip packet: as many alives as fit in memberlist's 1400-byte budget.
        List<byte[]> parts = new ArrayList<>();
        int used = Packets.COMPOUND_HEADER_OVERHEAD;
        for (int i = 0; ; i++) {
            byte[] m = WireEncoder.encode(new Alive(i + 1, String.format("node-%04d", i), ADDR, 7946, null, VSN));
            if (used + m.length + Packets.COMPOUND_PART_OVERHEAD > 1400) {
                break;
            }
            used += m.length + Packets.COMPOUND_PART_OVERHEAD;
            parts.add(m);
        }
        gossipPacket = Packets.compound(parts);
        gossipCompressed = Packets.compress(gossipPacket);
        gossipLzw = Lzw.compress(gossipPacket);
        List<PushNodeState> nodes = new ArrayList<>(1000);
        for (int i = 0; i < 1000; i++) {
            nodes.add(new PushNodeState(String.format("node-%04d", i), new byte[] {10, 0, (byte) (i >> 8), (byte) i},
                    7946, new byte[] {(byte) 0xff, (byte) 0x80}, i + 1, i % 50 == 0 ? 2 : 0, VSN));
        }
        pushPull1000 = new PushPull(false, nodes, new byte[585]);
        pushPull1000Bytes = WireEncoder.encode(pushPull1000);
        pushPull1000Compressed = Packets.compress(pushPull1000Bytes);
    }

    @Benchmark
    public byte[] encodePing() {
        return WireEncoder.encode(ping);
    }

    @Benchmark
    public Object decodePing() {
        return WireDecoder.decode(pingBytes, 0, pingBytes.length);
    }

    @Benchmark
    public byte[] encodeAlive() {
        return WireEncoder.encode(alive);
    }

    @Benchmark
    public Object decodeAlive() {
        return WireDecoder.decode(aliveBytes, 0, aliveBytes.length);
    }

    @Benchmark
    public Object decodeAck() {
        return WireDecoder.decode(ackBytes, 0, ackBytes.length);
    }

    /** A full compound gossip packet (about 15 alives) through the packet reader. */
    @Benchmark
    public int readGossipPacket() {
        count = 0;
        Packets.read(gossipPacket, 0, gossipPacket.length, sink);
        return count;
    }

    /** The same packet LZW-compressed, as memberlist sends it when smaller. */
    @Benchmark
    public int readCompressedGossipPacket() {
        count = 0;
        Packets.read(gossipCompressed, 0, gossipCompressed.length, sink);
        return count;
    }

    @Benchmark
    public byte[] compressGossipPacket() {
        return Lzw.compress(gossipPacket);
    }

    @Benchmark
    public Object decompressGossipPacket() {
        return Lzw.decompress(gossipLzw, 0, gossipLzw.length, 1 << 20);
    }

    /** Encoding the local state of a 1,000-node cluster for a push/pull. */
    @Benchmark
    public byte[] encodePushPull1000() {
        return WireEncoder.encode(pushPull1000);
    }

    /** Decoding a 1,000-node push/pull. */
    @Benchmark
    public Object decodePushPull1000() {
        return Streams.read(pushPull1000Bytes, 0, pushPull1000Bytes.length);
    }

    /** Decoding a compressed 1,000-node push/pull, as Serf sends it. */
    @Benchmark
    public Object decodeCompressedPushPull1000() {
        return Streams.read(pushPull1000Compressed, 0, pushPull1000Compressed.length);
    }

    /** Finding the end of a 1,000-node push/pull in a stream. */
    @Benchmark
    public void framePushPull1000(Blackhole bh) {
        bh.consume(new StreamFramer(Streams.MAX_STREAM_BYTES).frameLength(pushPull1000Bytes, 0,
                pushPull1000Bytes.length));
    }
}
