package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.TestSupport.concat;
import static dev.grapevine.membership.wire.TestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.grapevine.membership.Rejection;
import dev.grapevine.membership.wire.TestSupport.Recorder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** UDP packet framing: compound, compress and CRC, and how {@link Packets#read} unwraps them. */
class PacketsTest {
    static final Message PING = new Message.Ping(1, "b", new byte[] {127, 0, 0, 1}, 7946, "a");
    static final Message ALIVE = new Message.Alive(3, "c", new byte[] {10, 0, 0, 3}, 7946, null, hex("010502020505"));
    static final Message USER = new Message.User(TestSupport.ascii("serf bytes"));

    static byte[] enc(Message m) {
        return WireEncoder.encode(m);
    }

    @Test
    void compoundLayoutAndRead() {
        byte[] p = Packets.compound(List.of(enc(PING), enc(ALIVE), enc(USER)));
        assertEquals(7, p[0]);
        assertEquals(3, p[1]);
        assertEquals(enc(PING).length, ((p[2] & 0xff) << 8) | (p[3] & 0xff));
        assertEquals(Packets.COMPOUND_HEADER_OVERHEAD + 3 * Packets.COMPOUND_PART_OVERHEAD
                + enc(PING).length + enc(ALIVE).length + enc(USER).length, p.length);
        Recorder r = Recorder.read(p);
        assertEquals(List.of(PING, ALIVE, USER), r.messages);
        assertEquals(List.of(), r.rejections);
    }

    @Test
    void compound255PartsAndLimits() {
        List<byte[]> parts = new ArrayList<>(Collections.nCopies(255, enc(new Message.Nack(9))));
        Recorder r = Recorder.read(Packets.compound(parts));
        assertEquals(255, r.messages.size());
        parts.add(enc(new Message.Nack(9)));
        assertThrows(IllegalArgumentException.class, () -> Packets.compound(parts));
        assertThrows(IllegalArgumentException.class, () -> Packets.compound(List.of()));
        assertThrows(IllegalArgumentException.class, () -> Packets.compound(List.of(new byte[0])));
        assertThrows(IllegalArgumentException.class, () -> Packets.compound(List.of(new byte[65536])));
        byte[] big = new byte[65535];
        big[0] = 8;
        assertEquals(new Message.User(new byte[65534]), Recorder.read(Packets.compound(List.of(big))).messages.get(0));
    }

    @Test
    void truncatedCompoundDeliversCompletePartsAndCountsMissingOnes() {
        byte[] p = Packets.compound(List.of(enc(PING), enc(ALIVE), enc(USER)));
        int cut = p.length - enc(USER).length - 3; // inside ALIVE
        Recorder r = new Recorder();
        Packets.read(p, 0, cut, r);
        assertEquals(List.of(PING), r.messages);
        assertEquals(2, r.truncated);
        assertEquals(1, r.truncatedCalls);
        assertEquals(List.of(), r.rejections);
        // The default truncated() reports COMPOUND_TRUNCATED once.
        List<Rejection> reasons = new ArrayList<>();
        Packets.read(p, 0, cut, new PacketVisitor() {
            @Override
            public void message(Message message) {
            }

            @Override
            public void rejected(Rejection reason, String detail) {
                reasons.add(reason);
            }
        });
        assertEquals(List.of(Rejection.COMPOUND_TRUNCATED), reasons);
    }

    @Test
    void shortLengthTableDropsTheWholeCompound() {
        assertEquals(List.of(Rejection.COMPOUND_HEADER), Recorder.read(hex("07")).rejections);
        assertEquals(List.of(Rejection.COMPOUND_HEADER), Recorder.read(hex("0702000b")).rejections);
        Recorder r = Recorder.read(hex("0702000b00"));
        assertEquals(List.of(Rejection.COMPOUND_HEADER), r.rejections);
        assertEquals(List.of(), r.messages);
        // 200 parts need 400 bytes of table (memberlist 0.2.2 computes uint8(200*2) = 144)
        byte[] p = new byte[2 + 300];
        p[0] = 7;
        p[1] = (byte) 200;
        assertEquals(List.of(Rejection.COMPOUND_HEADER), Recorder.read(p).rejections);
        // zero parts: memberlist ignores it silently, we report it
        Recorder none = Recorder.read(hex("0700"));
        assertEquals(List.of(), none.messages);
        assertEquals(List.of(Rejection.EMPTY), none.rejections);
    }

    @Test
    void badPartsAreRejectedOneByOne() {
        byte[] bad = hex("0b81a553657100"); // nack cut short
        byte[] p = concat(hex("0704"), hex("0000"), be16(enc(PING).length), be16(bad.length), be16(2),
                enc(PING), bad, hex("2a00"));
        Recorder r = Recorder.read(p);
        assertEquals(List.of(PING), r.messages);
        assertEquals(List.of(Rejection.EMPTY, Rejection.MALFORMED, Rejection.UNKNOWN_TYPE), r.rejections);
    }

    @Test
    void streamOnlyTypesAreUnsupportedOnUdp() {
        for (Message m : List.of(new Message.Err("x"), new Message.PushPull(false, List.of(), null))) {
            assertEquals(List.of(Rejection.UNSUPPORTED_TYPE), Recorder.read(enc(m)).rejections);
        }
        assertEquals(List.of(Rejection.UNSUPPORTED_TYPE), Recorder.read(hex("0a00000001ff")).rejections);
        assertEquals(List.of(Rejection.UNSUPPORTED_TYPE), Recorder.read(hex("f40161")).rejections);
        assertEquals(List.of(Rejection.UNKNOWN_TYPE), Recorder.read(hex("0e")).rejections);
        assertEquals(List.of(Rejection.EMPTY), Recorder.read(new byte[0]).rejections);
    }

    @Test
    void crcGoodBadAndNested() {
        byte[] c = Packets.withCrc(enc(PING));
        assertEquals(12, c[0]);
        assertEquals(Packets.CRC_HEADER_BYTES + enc(PING).length, c.length);
        assertEquals(List.of(PING), Recorder.read(c).messages);
        for (int i = 1; i < c.length; i++) {
            byte[] flipped = c.clone();
            flipped[i] ^= 0x10;
            assertEquals(List.of(Rejection.CRC_MISMATCH), Recorder.read(flipped).rejections, "byte " + i);
        }
        assertEquals(List.of(Rejection.NESTED_CRC), Recorder.read(Packets.withCrc(c)).rejections);
        Recorder nested = Recorder.read(Packets.compound(List.of(enc(PING), c)));
        assertEquals(List.of(PING), nested.messages);
        assertEquals(List.of(Rejection.NESTED_CRC), nested.rejections);
        assertEquals(List.of(Rejection.NESTED_CRC),
                Recorder.read(Packets.compress(c)).rejections);
        assertEquals(List.of(Rejection.MALFORMED), Recorder.read(hex("0c0000")).rejections);
        assertEquals(List.of(Rejection.EMPTY), Recorder.read(Packets.withCrc(new byte[0])).rejections);
    }

    @Test
    void compressInsideCompoundAndCompoundInsideCompress() {
        byte[] inner = Packets.compound(List.of(enc(PING), enc(USER)));
        Recorder r = Recorder.read(Packets.withCrc(Packets.compress(inner)));
        assertEquals(List.of(PING, USER), r.messages);
        Recorder r2 = Recorder.read(Packets.compound(List.of(Packets.compress(enc(ALIVE)), enc(PING))));
        assertEquals(List.of(ALIVE, PING), r2.messages);
        assertEquals(List.of(), r2.rejections);
    }

    @Test
    void wrapperDepthIsLimited() {
        byte[] m = enc(PING);
        for (int depth = 1; depth <= Packets.MAX_WRAPPER_DEPTH + 2; depth++) {
            m = depth % 2 == 0 ? Packets.compress(m) : Packets.compound(List.of(m));
            Recorder r = Recorder.read(m);
            if (depth <= Packets.MAX_WRAPPER_DEPTH) {
                assertEquals(List.of(PING), r.messages, "depth " + depth);
            } else {
                assertEquals(List.of(Rejection.TOO_DEEP), r.rejections, "depth " + depth);
            }
        }
    }

    @Test
    void badCompressionIsRejected() {
        byte[] algo1 = hex("0982a4416c676f01a3427566a0");
        assertEquals(List.of(Rejection.BAD_COMPRESSION), Recorder.read(algo1).rejections);
        assertEquals(List.of(Rejection.BAD_COMPRESSION), Recorder.read(hex("0981a3427566c0")).rejections);
        assertEquals(List.of(Rejection.BAD_COMPRESSION), Recorder.read(hex("0980")).rejections);
        assertEquals(List.of(Rejection.EMPTY), Recorder.read(Packets.compress(new byte[0])).rejections);
        assertEquals(List.of(Rejection.MALFORMED), Recorder.read(hex("09")).rejections);
    }

    @Test
    void decompressionBudgetIsSharedByThePacket() {
        // Each part alone decompresses to 40 KiB (within the 64 KiB limit); together they exceed it.
        byte[] user = new byte[40 << 10];
        user[0] = 8;
        byte[] z = Packets.compress(user);
        Recorder one = Recorder.read(z);
        assertEquals(1, one.messages.size());
        Recorder two = Recorder.read(Packets.compound(List.of(z, z)));
        assertEquals(1, two.messages.size());
        assertEquals(List.of(Rejection.TOO_LARGE), two.rejections);
        byte[] tooBig = new byte[Packets.MAX_DECOMPRESSED_PACKET_BYTES + 1];
        tooBig[0] = 8;
        assertEquals(List.of(Rejection.TOO_LARGE), Recorder.read(Packets.compress(tooBig)).rejections);
    }

    @Test
    void offsetsAreHonoured() {
        byte[] p = concat(hex("ffff"), Packets.withCrc(enc(PING)), hex("ee"));
        Recorder r = new Recorder();
        Packets.read(p, 2, p.length - 3, r);
        assertEquals(List.of(PING), r.messages);
        assertThrows(IndexOutOfBoundsException.class, () -> Packets.read(p, 2, p.length, r));
    }

    @Test
    void withCrcMatchesJavaUtilZip() {
        byte[] x = TestSupport.input("random:5:1000");
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(x);
        byte[] c = Packets.withCrc(x);
        assertArrayEquals(hex(String.format("0c%08x", crc.getValue())), java.util.Arrays.copyOf(c, 5));
    }

    static byte[] be16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }
}
