package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.TestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.Rejection;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * LZW against Go's compress/lzw: our compressor must produce Go's bytes exactly, we must
 * decompress Go's streams, and our decoder must succeed or fail exactly where Go's does
 * (resources/wire-vectors/lzw-vectors.txt and lzw/*.lzw).
 */
class LzwTest {

    private static Rejection reason(DecodeResult<?> r) {
        return ((DecodeResult.Rejected<?>) r).reason();
    }

    @TestFactory
    Stream<DynamicTest> compressorMatchesGoAndDecompressesGo() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String line : TestSupport.resourceLines("lzw-vectors.txt")) {
            String[] p = line.split(" ");
            if (!p[0].equals("compress")) {
                continue;
            }
            String name = p[1];
            String spec = p[2];
            byte[] goStream = TestSupport.resource("lzw/" + p[3]);
            tests.add(DynamicTest.dynamicTest(name + " " + spec, () -> {
                assertEquals(Integer.parseInt(p[4]), goStream.length);
                assertEquals(p[5], TestSupport.sha256(goStream));
                byte[] in = TestSupport.input(spec);
                byte[] ours = Lzw.compress(in);
                assertEquals(goStream.length, ours.length, "compressed length");
                assertArrayEquals(goStream, ours, "compressed bytes differ from Go");
                DecodeResult<byte[]> back = Lzw.decompress(goStream, 0, goStream.length, in.length);
                assertArrayEquals(in, back.value());
            }));
        }
        assertTrue(tests.size() >= 19, "vectors: " + tests.size());
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> decoderAgreesWithGoOnOddStreams() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String line : TestSupport.resourceLines("lzw-vectors.txt")) {
            String[] p = line.split(" ", -1);
            if (!p[0].equals("decode")) {
                continue;
            }
            tests.add(DynamicTest.dynamicTest(p[1], () -> {
                byte[] in = hex(p[2]);
                DecodeResult<byte[]> ours = Lzw.decompress(in, 0, in.length, 1 << 20);
                if (p[3].equals("ok")) {
                    assertTrue(ours.ok(), () -> "Go decodes, we reject: " + ours);
                    assertEquals(Integer.parseInt(p[4]), ours.value().length);
                    assertEquals(p[5], TestSupport.sha256(ours.value()));
                } else {
                    assertFalse(ours.ok(), () -> "Go fails (" + p[4] + "), we decode " + ours.value().length + " bytes");
                    assertEquals(Rejection.BAD_COMPRESSION, reason(ours));
                }
            }));
        }
        assertTrue(tests.size() > 150, "vectors: " + tests.size());
        return tests.stream();
    }

    @Test
    void capturedAckFromSpec13_4() {
        byte[] packet = hex("0982a4416c676f00a3427566da00620005083a05254c1e366fc290d10640500042aa82905153670e9d3665dcd0"
                + "5906a0a3c78ea58ac891f346ceb21ff83e763485a44c9a336836fa2087af16a27168e28db252660c268e2a3b020d3a5465d1"
                + "8f473d26151a9469d35253cac471f2264040");
        // [9] {Algo: 0, Buf: str16 of 0x62 bytes}
        int bufStart = 1 + 1 + 5 + 1 + 4 + 3;
        assertEquals(0x62, packet.length - bufStart);
        byte[] plain = Lzw.decompress(packet, bufStart, packet.length - bufStart, 1 << 20).value();
        assertEquals(150, plain.length);
        assertTrue(hex(plain).startsWith("0282a75061796c6f6164da00820184aa41646a7573746d656e74cb0000000000000000"));
        assertTrue(hex(plain).endsWith("a55365714e6f01"));
        // Go (>= 1.17, as serf 0.9.4 in Debian) starts with CLEAR, and we compress to the same bytes.
        byte[] z = Lzw.compress(plain);
        assertArrayEquals(java.util.Arrays.copyOfRange(packet, bufStart, packet.length), z);
        assertArrayEquals(packet, Packets.compress(plain));
    }

    @Test
    void emptyInputIsClearThenEof() {
        assertEquals("000302", hex(Lzw.compress(new byte[0])));
        assertEquals(0, Lzw.decompress(hex("000302"), 0, 3, 0).value().length);
    }

    @Test
    void roundTripsOfRandomDataUpToOneMegabyte() {
        Random rnd = new Random(0x5eed);
        int[] sizes = {1, 2, 3, 255, 256, 257, 4095, 4096, 4097, 10_000, 65_536, 300_000, 1 << 20};
        for (int size : sizes) {
            for (int kind = 0; kind < 3; kind++) {
                byte[] in = new byte[size];
                switch (kind) {
                    case 0 -> rnd.nextBytes(in);
                    case 1 -> {
                        for (int i = 0; i < size; i++) {
                            in[i] = (byte) "abcab".charAt(rnd.nextInt(5));
                        }
                    }
                    default -> {
                        for (int i = 0; i < size; i++) {
                            in[i] = (byte) (i / 1000);
                        }
                    }
                }
                byte[] z = Lzw.compress(in);
                assertArrayEquals(in, Lzw.decompress(z, 0, z.length, size).value(), "size " + size + " kind " + kind);
            }
        }
    }

    @Test
    void everyTruncationOfAStreamIsRejected() {
        byte[] in = TestSupport.input("text:77:5000");
        byte[] z = Lzw.compress(in);
        for (int cut = 0; cut < z.length; cut++) {
            DecodeResult<byte[]> r = Lzw.decompress(z, 0, cut, 1 << 20);
            // The EOF code's last bits may sit in the final byte only; cutting that byte loses EOF.
            assertFalse(r.ok(), "cut " + cut);
            assertEquals(Rejection.BAD_COMPRESSION, reason(r));
        }
        assertArrayEquals(in, Lzw.decompress(z, 0, z.length, 1 << 20).value());
    }

    @Test
    void bytesAfterEofAreIgnored() {
        byte[] z = Lzw.compress(TestSupport.ascii("hello hello hello"));
        byte[] padded = TestSupport.concat(z, hex("deadbeef"));
        assertEquals("hello hello hello", new String(Lzw.decompress(padded, 0, padded.length, 100).value()));
    }

    @Test
    void streamWithoutEofIsRejected() {
        // CLEAR, 'a', 'b' at 9 bits, then nothing: Go reports "unexpected EOF".
        DecodeResult<byte[]> r = Lzw.decompress(hex("00c38801"), 0, 4, 100);
        assertEquals(Rejection.BAD_COMPRESSION, reason(r));
        assertTrue(((DecodeResult.Rejected<?>) r).detail().contains("EOF"));
    }

    @Test
    void codeBeyondTheNextFreeEntryIsRejected() {
        // 'a' (97) then code 259 while the next free entry is 258.
        byte[] bad = packCodes(new int[] {97, 259, 257}, 9);
        DecodeResult<byte[]> r = Lzw.decompress(bad, 0, bad.length, 100);
        assertEquals(Rejection.BAD_COMPRESSION, reason(r));
        // 258 right after 'a' is the KwKwK case and valid: "aaa".
        byte[] ok = packCodes(new int[] {97, 258, 257}, 9);
        assertEquals("aaa", new String(Lzw.decompress(ok, 0, ok.length, 100).value()));
    }

    @Test
    void outputBeyondMaxOutIsTooLarge() {
        byte[] in = new byte[10_000];
        byte[] z = Lzw.compress(in);
        assertTrue(Lzw.decompress(z, 0, z.length, 10_000).ok());
        DecodeResult<byte[]> r = Lzw.decompress(z, 0, z.length, 9_999);
        assertEquals(Rejection.TOO_LARGE, reason(r));
        assertEquals(Rejection.TOO_LARGE, reason(Lzw.decompress(Lzw.compress(new byte[1]), 0, 4, 0)));
    }

    @Test
    void aHighlyCompressedBombStopsAtMaxOut() {
        byte[] in = new byte[50 << 20]; // 50 MiB of zeros compress to about 39 KiB: one UDP packet
        byte[] z = Lzw.compress(in);
        assertTrue(z.length < 65_000, "compressed " + z.length);
        assertEquals(Rejection.TOO_LARGE, reason(Lzw.decompress(z, 0, z.length, 1 << 20)));
    }

    @Test
    void offsetsAreHonouredAndArgumentsChecked() {
        byte[] z = Lzw.compress(TestSupport.ascii("xyz"));
        byte[] framed = TestSupport.concat(hex("ffff"), z, hex("ff"));
        assertEquals("xyz", new String(Lzw.decompress(framed, 2, z.length, 3).value()));
        assertThrows(IndexOutOfBoundsException.class, () -> Lzw.decompress(z, 1, z.length, 10));
        assertThrows(IllegalArgumentException.class, () -> Lzw.decompress(z, 0, z.length, -1));
        assertThrows(NullPointerException.class, () -> Lzw.compress(null));
    }

    /** Packs codes LSB-first at a fixed width (enough for short hand-made streams). */
    static byte[] packCodes(int[] codes, int width) {
        byte[] out = new byte[(codes.length * width + 7) / 8];
        int bits = 0;
        int nBits = 0;
        int pos = 0;
        for (int c : codes) {
            bits |= c << nBits;
            nBits += width;
            while (nBits >= 8) {
                out[pos++] = (byte) bits;
                bits >>>= 8;
                nBits -= 8;
            }
        }
        if (nBits > 0) {
            out[pos] = (byte) bits;
        }
        return out;
    }
}
