package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.TestSupport.concat;
import static dev.grapevine.membership.wire.TestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.Rejection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Finding the end of stream messages fed in pieces. */
class StreamFramerTest {
    static final int MAX = Streams.MAX_STREAM_BYTES + StreamFramer.ENVELOPE_HEADER_BYTES;

    /** One message of every stream type, some compressed, some with odd msgpack. */
    static List<byte[]> samples() {
        List<byte[]> out = new ArrayList<>();
        out.add(WireEncoder.encode(new Message.Ping(1, "b", new byte[] {127, 0, 0, 1}, 7946, "a")));
        out.add(WireEncoder.encode(new Message.Ack(1, new byte[300])));
        out.add(WireEncoder.encode(new Message.Err("Encryption is configured but remote state is not encrypted")));
        out.add(WireEncoder.encodeStreamUser(TestSupport.input("text:1:5000")));
        out.add(WireEncoder.encodeStreamUser(new byte[0]));
        out.add(WireEncoder.encode(StreamsTest.pushPull(0, -1, 1)));
        out.add(WireEncoder.encode(StreamsTest.pushPull(1, 585, 2)));
        out.add(WireEncoder.encode(StreamsTest.pushPull(40, 2000, 3)));
        out.add(Packets.compress(WireEncoder.encode(StreamsTest.pushPull(20, 100, 4))));
        out.add(Packets.compress(WireEncoder.encodeStreamUser(new byte[70_000])));
        // an envelope: [10][L][L opaque bytes]
        out.add(concat(hex("0a000001f4"), new byte[500]));
        // Grapevine's keyring message: [243][L][L opaque bytes]
        out.add(concat(hex("f300000023"), new byte[35]));
        // variant msgpack forms (unknown keys with nested values, wide ints, array-form records)
        VariantEncoder v = new VariantEncoder(9, true);
        out.add(v.encode(StreamsTest.pushPull(30, 77, 5)));
        out.add(v.encode(new Message.Ack(7, new byte[40])));
        return out;
    }

    @Test
    void exactLengthWhenFedByteByByte() {
        for (byte[] msg : samples()) {
            byte[] withTrailer = concat(msg, hex("0102030405"));
            StreamFramer f = new StreamFramer(MAX);
            for (int n = 0; n < msg.length; n++) {
                assertEquals(StreamFramer.NEED_MORE, f.frameLength(withTrailer, 0, n), "prefix " + n);
            }
            assertEquals(msg.length, f.frameLength(withTrailer, 0, msg.length));
            assertEquals(msg.length, f.frameLength(withTrailer, 0, withTrailer.length), "stable once complete");
            if (msg[0] != 10 && (msg[0] & 0xff) != 243) { // envelopes and keyring messages are opaque here
                assertTrue(Streams.read(withTrailer, 0, msg.length).ok());
            }
        }
    }

    @Test
    void exactLengthWhenFedInRandomChunksThroughGrowingArrays() {
        Random rnd = new Random(17);
        for (byte[] msg : samples()) {
            for (int trial = 0; trial < 20; trial++) {
                StreamFramer f = new StreamFramer(MAX);
                int have = 0;
                int result = StreamFramer.NEED_MORE;
                int off = rnd.nextInt(4);
                while (result == StreamFramer.NEED_MORE) {
                    have = Math.min(msg.length + 3, have + 1 + rnd.nextInt(1 + rnd.nextInt(2000)));
                    byte[] buf = new byte[off + have + rnd.nextInt(8)]; // a fresh array each time
                    System.arraycopy(concat(msg, hex("aabbcc")), 0, buf, off, have);
                    result = f.frameLength(buf, off, have);
                    if (have < msg.length) {
                        assertEquals(StreamFramer.NEED_MORE, result);
                    }
                }
                assertEquals(msg.length, result);
            }
        }
    }

    @Test
    void limits() {
        byte[] pp = WireEncoder.encode(StreamsTest.pushPull(10, 1000, 8));
        assertEquals(pp.length, new StreamFramer(pp.length).frameLength(pp, 0, pp.length));
        StreamFramer small = new StreamFramer(pp.length - 1);
        int r = StreamFramer.NEED_MORE;
        for (int n = 0; n <= pp.length && r == StreamFramer.NEED_MORE; n++) {
            r = small.frameLength(pp, 0, n);
        }
        assertEquals(StreamFramer.REJECTED, r);
        assertEquals(Rejection.TOO_LARGE, small.rejection());
        // rejected as soon as the header shows the size, long before the bytes arrive
        byte[] header = concat(hex("0683"), WireCodecTest.key("Join"), hex("c3"), WireCodecTest.key("Nodes"),
                hex("cd0400"), WireCodecTest.key("UserStateLen"), hex("ce01000000"));
        StreamFramer f = new StreamFramer(1 << 20);
        assertEquals(StreamFramer.REJECTED, f.frameLength(header, 0, header.length));
        assertEquals(Rejection.TOO_LARGE, f.rejection());
        // envelope length above the limit
        StreamFramer env = new StreamFramer(MAX);
        assertEquals(StreamFramer.REJECTED, env.frameLength(hex("0a01400001"), 0, 5));
        assertEquals(Rejection.TOO_LARGE, env.rejection());
        assertEquals(StreamFramer.NEED_MORE, new StreamFramer(MAX).frameLength(hex("0a01400000"), 0, 5));
        // a str32 claiming 4 GiB in an ack
        StreamFramer claim = new StreamFramer(MAX);
        assertEquals(StreamFramer.REJECTED, claim.frameLength(hex("0281a75061796c6f6164dbffffffff"), 0, 15));
        assertEquals(Rejection.TOO_LARGE, claim.rejection());
        // more nodes than allowed
        byte[] nodes = concat(hex("0681"), WireCodecTest.key("Nodes"), hex("ce00100001"));
        StreamFramer many = new StreamFramer(Integer.MAX_VALUE);
        assertEquals(StreamFramer.REJECTED, many.frameLength(nodes, 0, nodes.length));
        assertEquals(Rejection.TOO_LARGE, many.rejection());
        assertThrows(IllegalArgumentException.class, () -> new StreamFramer(0));
    }

    @Test
    void keyringMessagesAreBoundedByTheirOwnLimit() {
        int max = StreamFramer.MAX_KEYRING_FRAME_BYTES;
        byte[] atLimit = concat(hex("f3"), new byte[] {0, 0, (byte) ((max - 5) >> 8), (byte) (max - 5)});
        assertEquals(StreamFramer.NEED_MORE, new StreamFramer(MAX).frameLength(atLimit, 0, 5));
        byte[] over = concat(hex("f3"), new byte[] {0, 0, (byte) ((max - 4) >> 8), (byte) (max - 4)});
        StreamFramer f = new StreamFramer(MAX);
        assertEquals(StreamFramer.REJECTED, f.frameLength(over, 0, 5));
        assertEquals(Rejection.TOO_LARGE, f.rejection());
        assertTrue(f.detail().contains("keyring"), f.detail());
        // a smaller stream limit still applies
        StreamFramer small = new StreamFramer(100);
        assertEquals(StreamFramer.REJECTED, small.frameLength(hex("f300000060"), 0, 5));
        assertEquals(Rejection.TOO_LARGE, small.rejection());
    }

    @Test
    void badStarts() {
        for (int t : new int[] {1, 3, 4, 5, 7, 11, 12, 244}) {
            StreamFramer f = new StreamFramer(MAX);
            assertEquals(StreamFramer.REJECTED, f.frameLength(new byte[] {(byte) t, 0}, 0, 2));
            assertEquals(Rejection.UNSUPPORTED_TYPE, f.rejection(), "type " + t);
            assertTrue(f.detail().contains(Integer.toString(t)));
            assertEquals(StreamFramer.REJECTED, f.frameLength(new byte[] {(byte) t, 0}, 0, 2), "sticky");
        }
        StreamFramer unknown = new StreamFramer(MAX);
        assertEquals(StreamFramer.REJECTED, unknown.frameLength(hex("4000"), 0, 2));
        assertEquals(Rejection.UNKNOWN_TYPE, unknown.rejection());
        StreamFramer c1 = new StreamFramer(MAX);
        assertEquals(StreamFramer.REJECTED, c1.frameLength(hex("0081c1"), 0, 3));
        assertEquals(Rejection.MALFORMED, c1.rejection());
        StreamFramer wrong = new StreamFramer(MAX);
        byte[] binLen = concat(hex("0881"), WireCodecTest.key("UserMsgLen"), hex("c40101"));
        assertEquals(StreamFramer.REJECTED, wrong.frameLength(binLen, 0, binLen.length));
        assertEquals(Rejection.WRONG_FIELD_TYPE, wrong.rejection());
        StreamFramer empty = new StreamFramer(MAX);
        assertEquals(StreamFramer.NEED_MORE, empty.frameLength(new byte[0], 0, 0));
        assertEquals(null, empty.rejection());
    }

    @Test
    void workIsLinearWhenA20MiBPushPullArrivesIn64KiBSteps() {
        // A push/pull of ~20 MiB made of many small records (the worst case for re-parsing).
        int nodes = 200_000;
        List<Message.PushNodeState> list = new ArrayList<>(nodes);
        byte[] meta = new byte[60];
        for (int i = 0; i < nodes; i++) {
            list.add(new Message.PushNodeState("node-" + i, new byte[] {10, 0, (byte) (i >> 8), (byte) i}, 7946, meta,
                    i, 0, new byte[] {1, 5, 2, 2, 5, 5}));
        }
        byte[] msg = WireEncoder.encode(new Message.PushPull(false, list, new byte[2 << 20]));
        assertTrue(msg.length > 20_000_000, "length " + msg.length);
        StreamFramer f = new StreamFramer(msg.length);
        int step = 64 << 10;
        int result = StreamFramer.NEED_MORE;
        int calls = 0;
        for (int have = step; result == StreamFramer.NEED_MORE; have = Math.min(msg.length, have + step)) {
            result = f.frameLength(msg, 0, have);
            calls++;
        }
        assertEquals(msg.length, result);
        // Each record is one map of 7 entries: 1 + 14 value headers. Re-examining the incomplete
        // value at each step adds at most one header per call (plus nested values of one record).
        long values = 1 + 1 + 6 + (long) nodes * 15;
        assertTrue(f.steps() <= values + 20L * calls, "steps " + f.steps() + " for " + values + " values, " + calls + " calls");
    }

    @Test
    void workIsLinearForOneHugeNestedUnknownValue() {
        // A single ack whose unknown field holds 1,000,000 nested one-element arrays, fed in 4 KiB steps.
        int depth = 1_000_000;
        byte[] head = concat(hex("0282"), WireCodecTest.key("x"));
        byte[] msg = new byte[head.length + depth + 1 + 7];
        System.arraycopy(head, 0, msg, 0, head.length);
        Arrays.fill(msg, head.length, head.length + depth, (byte) 0x91);
        msg[head.length + depth] = (byte) 0xc0;
        System.arraycopy(concat(WireCodecTest.key("SeqNo"), hex("01")), 0, msg, head.length + depth + 1, 7);
        StreamFramer f = new StreamFramer(MAX);
        int result = StreamFramer.NEED_MORE;
        int calls = 0;
        for (int have = 4096; result == StreamFramer.NEED_MORE; have = Math.min(msg.length, have + 4096)) {
            result = f.frameLength(msg, 0, have);
            calls++;
        }
        assertEquals(msg.length, result);
        assertTrue(f.steps() <= depth + 10 + 2L * calls, "steps " + f.steps());
        assertEquals(new Message.Ack(1, null), Streams.read(msg, 0, msg.length).value());
    }
}
