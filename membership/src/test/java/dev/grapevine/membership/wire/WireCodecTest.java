package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.TestSupport.concat;
import static dev.grapevine.membership.wire.TestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.Rejection;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/** Encoding and decoding of single messages: round trips, accepted variants and rejections. */
class WireCodecTest {

    static DecodeResult<Message> decode(byte[] b) {
        return b[0] == 6 ? Streams.read(b, 0, b.length) : WireDecoder.decode(b, 0, b.length);
    }

    static Rejection reason(DecodeResult<?> r) {
        assertTrue(!r.ok(), () -> "expected a rejection, got " + r);
        return ((DecodeResult.Rejected<?>) r).reason();
    }

    static byte[] key(String k) {
        return concat(new byte[] {(byte) (0xa0 | k.length())}, TestSupport.ascii(k));
    }

    // ---- round trips ----------------------------------------------------------------------

    @Test
    void roundTripOfRandomEdgeValueMessages() {
        RandomMessages gen = new RandomMessages(1);
        for (int i = 0; i < 5000; i++) {
            Message m = gen.next();
            byte[] b = WireEncoder.encode(m);
            assertEquals(m, decode(b).value(), m::toString);
        }
    }

    @Test
    void equivalentFormsDecodeToTheSameMessage() {
        // Keys shuffled, unknown keys with nested values of every msgpack type, every integer
        // family, str8/str16/str32 strings, bin and array byte fields, nil zero values, array-form structs.
        RandomMessages gen = new RandomMessages(2);
        VariantEncoder variants = new VariantEncoder(3, true);
        for (int i = 0; i < 5000; i++) {
            Message m = gen.next();
            if (m instanceof Message.Err) {
                continue; // err is a stream reply; covered below through Streams
            }
            byte[] b = variants.encode(m);
            DecodeResult<Message> r = decode(b);
            assertTrue(r.ok(), () -> m + " -> " + hex(b) + " -> " + r);
            assertEquals(m, r.value());
        }
    }

    @Test
    void msgpackCorePackerWithoutStr8GivesTheSameBytes() throws Exception {
        // The forms go-msgpack 0.5.5 writes are msgpack-core's with str8 disabled: this pins that
        // our writer and msgpack-core agree value by value.
        MessagePack.PackerConfig config = new MessagePack.PackerConfig().withStr8FormatSupport(false);
        long[] ints = {0, 1, 127, 128, 255, 256, 65535, 65536, 0xffff_ffffL, 0x1_0000_0000L, Long.MAX_VALUE};
        for (long v : ints) {
            MsgpackWriter w = new MsgpackWriter(MsgpackWriter.uintSize(v));
            w.uint(v);
            try (MessageBufferPacker p = config.newBufferPacker()) {
                p.packLong(v);
                assertArrayEquals(p.toByteArray(), w.buf, "uint " + v);
            }
        }
        for (long v : new long[] {-1, -32, -33, -128, -129, -32768, -32769, Integer.MIN_VALUE, Long.MIN_VALUE}) {
            MsgpackWriter w = new MsgpackWriter(MsgpackWriter.intSize(v));
            w.sint(v);
            try (MessageBufferPacker p = config.newBufferPacker()) {
                p.packLong(v);
                assertArrayEquals(p.toByteArray(), w.buf, "int " + v);
            }
        }
        for (int n : new int[] {0, 1, 31, 32, 255, 256, 65535, 65536}) {
            byte[] payload = new byte[n];
            Arrays.fill(payload, (byte) 'x');
            String s = new String(payload);
            MsgpackWriter w = new MsgpackWriter(MsgpackWriter.strSize(n));
            w.str(s, Utf8.length(s));
            try (MessageBufferPacker p = config.newBufferPacker()) {
                p.packRawStringHeader(n);
                p.writePayload(payload);
                assertArrayEquals(p.toByteArray(), w.buf, "str " + n);
            }
            try (MessageBufferPacker p = config.newBufferPacker()) {
                p.packString(s);
                assertArrayEquals(p.toByteArray(), w.buf, "packString " + n);
            }
        }
    }

    @Test
    void utf8MatchesTheJdkIncludingUnpairedSurrogates() {
        for (String s : List.of("", "abc", "ñ", "☃", "😀", "a\uD800b", "\uDC00", "x\uD83D", "\uD83D\uDE00\uD83D")) {
            byte[] jdk = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] ours = new byte[Utf8.length(s)];
            assertEquals(ours.length, Utf8.encode(s, ours, 0));
            assertArrayEquals(jdk, ours, s);
        }
    }

    @Test
    void zeroAndNilFieldsFollowGo() {
        // Go's omitempty drops empty ping sources; an empty source address comes back as nil.
        Message.Ping p = new Message.Ping(0, "", new byte[0], 0, "");
        byte[] b = WireEncoder.encode(p);
        assertEquals("0082a44e6f6465a0a55365714e6f00", hex(b));
        assertEquals(new Message.Ping(0, "", null, 0, ""), decode(b).value());
        // nil vs empty byte slices survive: c0 vs a0.
        assertEquals("0282a75061796c6f6164c0a55365714e6f00", hex(WireEncoder.encode(new Message.Ack(0, null))));
        assertEquals("0282a75061796c6f6164a0a55365714e6f00", hex(WireEncoder.encode(new Message.Ack(0, new byte[0]))));
        assertArrayEquals(new byte[0], ((Message.Ack) decode(hex("0282a75061796c6f6164a0a55365714e6f00")).value()).payload());
        // A nil struct and an empty map are all-zero structs.
        assertEquals(new Message.Nack(0), decode(hex("0bc0")).value());
        assertEquals(new Message.Alive(0, "", null, 0, null, null), decode(hex("0480")).value());
        // Push/pull: null and empty user state both encode as UserStateLen 0 and decode as null.
        Message.PushPull empty = new Message.PushPull(false, List.of(), new byte[0]);
        assertEquals(new Message.PushPull(false, List.of(), null), decode(WireEncoder.encode(empty)).value());
    }

    @Test
    void arrayFormStructsAreAccepted() {
        // alive as an array in declaration order: Incarnation, Node, Addr, Port, Meta, Vsn
        byte[] b = hex("049601a162a47f000001cd1f0ba2ff80a6010502020505");
        assertEquals(new Message.Alive(1, "b", new byte[] {127, 0, 0, 1}, 7947, hex("ff80"), hex("010502020505")),
                decode(b).value());
        // fewer elements: the rest stay zero; more: skipped
        assertEquals(new Message.Nack(0), decode(hex("0b90")).value());
        assertEquals(new Message.Nack(7), decode(hex("0b9307a178c0")).value());
    }

    @Test
    void trailingBytesAreIgnored() {
        byte[] b = concat(WireEncoder.encode(new Message.Nack(5)), hex("ffffff"));
        assertEquals(new Message.Nack(5), decode(b).value());
    }

    // ---- rejections ------------------------------------------------------------------------

    @Test
    void binInAStringFieldIsWrongFieldType() {
        byte[] b = concat(hex("0381"), key("Node"), hex("c40162"));
        assertEquals(Rejection.WRONG_FIELD_TYPE, reason(decode(b)));
        byte[] errBin = concat(hex("0d81"), key("Error"), hex("c40162"));
        assertEquals(Rejection.WRONG_FIELD_TYPE, reason(Streams.read(errBin, 0, errBin.length)));
        // but bin is fine in a byte field
        byte[] ok = concat(hex("0281"), key("Payload"), hex("c40162"));
        assertArrayEquals(new byte[] {0x62}, ((Message.Ack) decode(ok).value()).payload());
    }

    @Test
    void integerRangesFollowTheGoTypes() {
        byte[] seq = key("SeqNo");
        assertEquals(new Message.Nack(-1), decode(concat(hex("0b81"), seq, hex("ceffffffff"))).value());
        assertEquals(new Message.Nack(-1), decode(concat(hex("0b81"), seq, hex("d300000000ffffffff"))).value());
        assertEquals(Rejection.INTEGER_OVERFLOW, reason(decode(concat(hex("0b81"), seq, hex("cf0000000100000000")))));
        assertEquals(Rejection.INTEGER_OVERFLOW, reason(decode(concat(hex("0b81"), seq, hex("cfffffffffffffffff")))));
        assertEquals(Rejection.INTEGER_OVERFLOW, reason(decode(concat(hex("0b81"), seq, hex("ff")))));
        assertEquals(Rejection.INTEGER_OVERFLOW, reason(decode(concat(hex("0b81"), seq, hex("d0ff")))));
        assertEquals(Rejection.INTEGER_OVERFLOW, reason(decode(concat(hex("0b81"), seq, hex("d3ffffffffffffffff")))));
        assertEquals(Rejection.WRONG_FIELD_TYPE, reason(decode(concat(hex("0b81"), seq, hex("cb3ff0000000000000")))));
        assertEquals(Rejection.WRONG_FIELD_TYPE, reason(decode(concat(hex("0b81"), seq, hex("c3")))));
        byte[] port = key("Port");
        assertEquals(65535, ((Message.Alive) decode(concat(hex("0481"), port, hex("cdffff"))).value()).port());
        assertEquals(Rejection.INTEGER_OVERFLOW, reason(decode(concat(hex("0481"), port, hex("ce00010000")))));
        // Algo is a uint8
        byte[] algo = concat(hex("0981"), key("Algo"), hex("cd0100"));
        assertEquals(Rejection.INTEGER_OVERFLOW, reason(Streams.read(algo, 0, algo.length)));
        // State is a Go int: negative is fine, beyond int32 is not representable here
        byte[] state = concat(hex("0683"), key("Nodes"), hex("01"), key("UserStateLen"), hex("00"), key("Join"),
                hex("c2"), hex("81"), key("State"));
        assertEquals(-5, ((Message.PushPull) decode(concat(state, hex("fb"))).value()).nodes().get(0).state());
        assertEquals(Rejection.INTEGER_OVERFLOW, reason(decode(concat(state, hex("d30000000100000000")))));
        // bool accepts exactly c2, c3, 0 and 1 (as go-msgpack 0.5.5)
        byte[] nack = key("Nack");
        assertTrue(((Message.IndirectPing) decode(concat(hex("0181"), nack, hex("01"))).value()).nack());
        assertEquals(Rejection.WRONG_FIELD_TYPE, reason(decode(concat(hex("0181"), nack, hex("02")))));
        assertEquals(Rejection.WRONG_FIELD_TYPE, reason(decode(concat(hex("0181"), nack, hex("cc01")))));
    }

    @Test
    void byteArraysOfIntegersAreBoundedToAByte() {
        byte[] target = key("Target");
        assertArrayEquals(new byte[] {1, (byte) 200}, ((Message.IndirectPing) decode(
                concat(hex("0181"), target, hex("9201ccc8"))).value()).target());
        assertEquals(Rejection.INTEGER_OVERFLOW, reason(decode(concat(hex("0181"), target, hex("91cd0100")))));
        assertEquals(Rejection.INTEGER_OVERFLOW, reason(decode(concat(hex("0181"), target, hex("91ff")))));
    }

    @Test
    void structuralProblemsAreMalformedOrWrongType() {
        assertEquals(Rejection.EMPTY, reason(WireDecoder.decode(new byte[0], 0, 0)));
        assertEquals(Rejection.MALFORMED, reason(decode(hex("00"))));
        assertEquals(Rejection.MALFORMED, reason(decode(hex("0085"))));
        assertEquals(Rejection.MALFORMED, reason(decode(concat(hex("0081"), key("Node"), hex("a5616263")))));
        assertEquals(Rejection.WRONG_FIELD_TYPE, reason(decode(hex("0001"))));
        assertEquals(Rejection.WRONG_FIELD_TYPE, reason(decode(hex("0081" + "01" + "01")))); // integer key
        assertEquals(Rejection.WRONG_FIELD_TYPE, reason(decode(hex("0081" + "c40153" + "01")))); // bin key
        assertEquals(Rejection.MALFORMED, reason(decode(concat(hex("0b82"), key("xx"), hex("c1"), key("SeqNo"), hex("01")))));
    }

    @Test
    void typesAreCheckedPerPath() {
        for (int t : new int[] {7, 9, 10, 12, 243, 244}) {
            assertEquals(Rejection.UNSUPPORTED_TYPE, reason(WireDecoder.decode(new byte[] {(byte) t, 0}, 0, 2)), "type " + t);
        }
        for (int t : new int[] {14, 15, 100, 245, 255}) {
            assertEquals(Rejection.UNKNOWN_TYPE, reason(WireDecoder.decode(new byte[] {(byte) t, 0}, 0, 2)), "type " + t);
        }
        // err decodes here (a stream reply), UDP user messages take the rest of the bytes
        assertEquals(new Message.Err("boom"), WireDecoder.decode(WireEncoder.encode(new Message.Err("boom")), 0, 13).value());
        assertEquals(new Message.User(new byte[0]), WireDecoder.decode(hex("08"), 0, 1).value());
    }

    @Test
    void hostileLengthsDoNotAllocateOrLoop() {
        // A str32 claiming 4 GiB, a bin32 claiming 2 GiB, a map32 claiming 4 billion entries, an array32
        // of 4 billion elements in a byte field, and 4 billion nested values in an unknown field.
        List<byte[]> hostile = List.of(
                concat(hex("0081"), key("Node"), hex("dbffffffff")),
                concat(hex("0281"), key("Payload"), hex("c67fffffff")),
                hex("00dfffffffff"),
                concat(hex("0281"), key("Payload"), hex("ddffffffff")),
                concat(hex("0b81"), key("x"), hex("ddffffffff")),
                concat(hex("0b81"), key("x"), hex("dfffffffff")),
                concat(hex("0b81"), key("x"), hex("c9ffffffff01")));
        for (byte[] b : hostile) {
            assertEquals(Rejection.MALFORMED, reason(decode(b)), hex(b));
        }
    }

    @Test
    void deepNestingInAnUnknownFieldIsSkippedWithoutRecursion() {
        int depth = 1_000_000;
        byte[] b = new byte[depth + 32];
        byte[] head = concat(hex("0b82"), key("x"));
        System.arraycopy(head, 0, b, 0, head.length);
        int pos = head.length;
        for (int i = 0; i < depth; i++) {
            b[pos++] = (byte) 0x91; // [[[[...]]]]
        }
        b[pos++] = (byte) 0xc0;
        byte[] tail = concat(key("SeqNo"), hex("07"));
        System.arraycopy(tail, 0, b, pos, tail.length);
        pos += tail.length;
        assertEquals(new Message.Nack(7), WireDecoder.decode(b, 0, pos).value());
    }

    @Test
    void encoderRejectsWhatGoCannotRepresent() {
        assertThrows(IllegalArgumentException.class, () -> WireEncoder.encode(new Message.Ping(1, "a", null, 65536, "")));
        assertThrows(IllegalArgumentException.class, () -> WireEncoder.encode(new Message.Alive(1, "a", null, -1, null, null)));
        assertThrows(NullPointerException.class, () -> WireEncoder.encode(null));
        assertThrows(NullPointerException.class, () -> WireEncoder.encodeStreamUser(null));
    }

    @Test
    void decodedArraysAreFreshCopies() {
        byte[] b = WireEncoder.encode(new Message.Ack(1, new byte[] {1, 2, 3}));
        Message.Ack a = (Message.Ack) decode(b).value();
        b[b.length - 10] = 99; // inside the payload
        assertArrayEquals(new byte[] {1, 2, 3}, a.payload());
        Message.User u = (Message.User) WireDecoder.decode(hex("080102"), 0, 3).value();
        assertEquals(2, u.payload().length);
        assertSame(MsgpackReader.EMPTY_BYTES, ((Message.Ack) decode(hex("0281a75061796c6f6164a0")).value()).payload());
    }
}
