package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.TestSupport.concat;
import static dev.grapevine.membership.wire.TestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.Rejection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Stream messages: push/pull, reliable user messages, ping/ack/err, and the compress wrapper. */
class StreamsTest {

    static Rejection reason(DecodeResult<?> r) {
        return ((DecodeResult.Rejected<?>) r).reason();
    }

    static DecodeResult<Message> read(byte[] b) {
        return Streams.read(b, 0, b.length);
    }

    static Message.PushPull pushPull(int nodes, int userState, long seed) {
        RandomMessages gen = new RandomMessages(seed);
        List<Message.PushNodeState> list = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            list.add(gen.node());
        }
        byte[] user = userState < 0 ? null : TestSupport.input("random:" + seed + ":" + userState);
        return new Message.PushPull(seed % 2 == 0, list, user);
    }

    @Test
    void pushPullWith0And1And1000NodesPlainAndCompressed() {
        for (int n : new int[] {0, 1, 1000}) {
            for (int user : new int[] {-1, 1, 585, 100_000}) {
                Message.PushPull pp = pushPull(n, user, n + user);
                byte[] plain = WireEncoder.encode(pp);
                assertEquals(pp, read(plain).value());
                byte[] compressed = Packets.compress(plain);
                assertEquals(pp, read(compressed).value());
            }
        }
    }

    @Test
    void allStreamTypesWithAndWithoutCompression() {
        List<Message> msgs = List.of(new Message.Ping(3, "x", null, 0, ""), new Message.Ack(3, null),
                new Message.Err("remote error"), new Message.User(TestSupport.ascii("payload")));
        for (Message m : msgs) {
            byte[] b = m instanceof Message.User u ? WireEncoder.encodeStreamUser(u.payload()) : WireEncoder.encode(m);
            assertEquals(m, read(b).value());
            assertEquals(m, read(Packets.compress(b)).value());
            assertEquals(m, read(concat(b, hex("ffff"))).value(), "trailing bytes are ignored");
        }
        // UserMsgLen 0 is an empty message (memberlist then calls nobody)
        assertEquals(new Message.User(new byte[0]), read(WireEncoder.encodeStreamUser(new byte[0])).value());
    }

    @Test
    void udpOnlyAndWrapperTypesAreRejected() {
        for (Message m : List.of(new Message.Nack(1), new Message.Suspect(1, "a", "b"), new Message.Dead(1, "a", "a"),
                new Message.Alive(1, "a", null, 1, null, null), new Message.IndirectPing(1, null, 1, "a", false, null, 0, ""))) {
            assertEquals(Rejection.UNSUPPORTED_TYPE, reason(read(WireEncoder.encode(m))), m.toString());
        }
        assertEquals(Rejection.UNSUPPORTED_TYPE, reason(read(Packets.compound(List.of(hex("0b80"))))));
        assertEquals(Rejection.UNSUPPORTED_TYPE, reason(read(hex("0a00000000"))));
        assertEquals(Rejection.UNSUPPORTED_TYPE, reason(read(Packets.withCrc(hex("0b80")))));
        assertEquals(Rejection.UNSUPPORTED_TYPE, reason(read(Packets.compress(Packets.compress(hex("0080"))))));
        assertEquals(Rejection.UNKNOWN_TYPE, reason(read(hex("20"))));
        assertEquals(Rejection.UNKNOWN_TYPE, reason(read(Packets.compress(hex("20")))));
        assertEquals(Rejection.EMPTY, reason(read(new byte[0])));
        assertEquals(Rejection.EMPTY, reason(read(Packets.compress(new byte[0]))));
    }

    @Test
    void cutShortAndOversizedPushPulls() {
        byte[] b = WireEncoder.encode(pushPull(3, 50, 7));
        for (int cut = 0; cut < b.length; cut++) {
            DecodeResult<Message> r = Streams.read(b, 0, cut);
            assertEquals(cut == 0 ? Rejection.EMPTY : Rejection.MALFORMED, reason(r), "cut " + cut);
        }
        byte[] nodes = key("Nodes");
        byte[] len = key("UserStateLen");
        assertEquals(Rejection.TOO_LARGE, reason(read(concat(hex("0681"), nodes, hex("ce00100001")))));
        assertEquals(Rejection.MALFORMED, reason(read(concat(hex("0681"), nodes, hex("ff")))));
        assertEquals(Rejection.TOO_LARGE, reason(read(concat(hex("0681"), len, hex("ce01400001")))));
        assertEquals(Rejection.MALFORMED, reason(read(concat(hex("0681"), len, hex("ff")))));
        // claims 1000 nodes but holds 3 bytes: rejected before allocating 1000 records
        assertEquals(Rejection.MALFORMED, reason(read(concat(hex("0681"), nodes, hex("cd03e8"), hex("808080")))));
        byte[] userLen = key("UserMsgLen");
        assertEquals(Rejection.TOO_LARGE, reason(read(concat(hex("0881"), userLen, hex("ce01400001")))));
        assertEquals(Rejection.MALFORMED, reason(read(concat(hex("0881"), userLen, hex("ff")))));
        assertEquals(Rejection.MALFORMED, reason(read(concat(hex("0881"), userLen, hex("05"), hex("01020304")))));
    }

    @Test
    void decompressionLimit() {
        byte[] huge = new byte[Streams.MAX_DECOMPRESSED_STREAM_BYTES + 1];
        huge[0] = 8;
        assertEquals(Rejection.TOO_LARGE, reason(read(Packets.compress(huge))));
    }

    @Test
    void smallCompressedMessagesCannotExpandWithoutBound() {
        // 4 MiB of one byte compresses to a few KiB: far beyond MAX_EXPANSION times its size
        byte[] bomb = new byte[4 << 20];
        bomb[0] = 8;
        byte[] compressed = Packets.compress(bomb);
        assertTrue(compressed.length * (long) Streams.MAX_EXPANSION < bomb.length, "a real bomb");
        assertEquals(Rejection.TOO_LARGE, reason(read(compressed)));
        // under the floor, any ratio is accepted
        assertEquals(Streams.EXPANSION_FLOOR_BYTES, Streams.decompressionBudget(10));
        assertEquals(Streams.MAX_DECOMPRESSED_STREAM_BYTES, Streams.decompressionBudget(Integer.MAX_VALUE));
        assertEquals(64 * 100_000, Streams.decompressionBudget(100_000));
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IndexOutOfBoundsException.class, () -> Streams.read(new byte[2], 1, 2));
        byte[] framed = concat(hex("aa"), WireEncoder.encode(new Message.Ack(5, null)), hex("bb"));
        assertEquals(new Message.Ack(5, null), Streams.read(framed, 1, framed.length - 2).value());
        assertNull(((Message.Ack) Streams.read(framed, 1, framed.length - 1).value()).payload());
    }

    static byte[] key(String k) {
        return WireCodecTest.key(k);
    }
}
