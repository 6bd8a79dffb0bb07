package dev.grapevine.membership.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.grapevine.membership.Rejection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing of every decoding entry point: about 100,000 inputs derived from valid
 * packets and stream messages by bit flips, truncation, splices, byte insertions and edits of
 * length and count fields. Nothing may throw, every call must end in a value or a typed
 * rejection, and no rejection may be the "internal decoder error" safety net.
 *
 * <p>Longer runs: {@code -Dwire.fuzz.cases=5000000 -Dwire.fuzz.seed=123}.
 */
class WireFuzzTest {
    private static final int CASES = Integer.getInteger("wire.fuzz.cases", 100_000);
    private static final long SEED = Long.getLong("wire.fuzz.seed", 0xF0CAL);
    /** Bytes that are msgpack headers with lengths or counts, and boundary values. */
    private static final int[] INTERESTING = {0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
        0xc4, 0xc5, 0xc6, 0xc7, 0xc9, 0xcc, 0xcd, 0xce, 0xcf, 0xd3, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
        0xe0, 0xff, 0x07, 0x09, 0x0a, 0x0c, 0x06, 0x08};

    static List<byte[]> packetSeeds(Random rnd) {
        RandomMessages gen = new RandomMessages(rnd.nextLong());
        List<byte[]> seeds = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            Message m = gen.next();
            if (m instanceof Message.PushPull || m instanceof Message.Err) {
                continue;
            }
            seeds.add(WireEncoder.encode(m));
        }
        List<byte[]> wrapped = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int n = 1 + rnd.nextInt(5);
            List<byte[]> parts = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                parts.add(seeds.get(rnd.nextInt(seeds.size())));
            }
            byte[] p = Packets.compound(parts);
            if (rnd.nextBoolean()) {
                p = Packets.compress(p);
            }
            if (rnd.nextBoolean()) {
                p = Packets.withCrc(p);
            }
            wrapped.add(p);
        }
        seeds.addAll(wrapped);
        seeds.add(CapturedPacketsTest.PING_12);
        seeds.add(CapturedPacketsTest.COMPRESSED_ACK_13_4);
        return seeds;
    }

    static List<byte[]> streamSeeds(Random rnd) {
        List<byte[]> seeds = new ArrayList<>(StreamFramerTest.samples());
        VariantEncoder v = new VariantEncoder(rnd.nextLong(), true);
        for (int i = 0; i < 10; i++) {
            seeds.add(v.encode(StreamsTest.pushPull(rnd.nextInt(6), rnd.nextInt(50) - 1, rnd.nextInt(1000))));
        }
        seeds.removeIf(s -> s.length > 20_000); // keep cases cheap
        return seeds;
    }

    static byte[] mutate(byte[] seed, List<byte[]> pool, Random rnd) {
        byte[] b = seed.clone();
        int rounds = 1 + rnd.nextInt(3);
        for (int r = 0; r < rounds; r++) {
            if (b.length == 0) {
                b = new byte[] {(byte) rnd.nextInt(256)};
            }
            switch (rnd.nextInt(8)) {
                case 0 -> { // bit flip
                    int i = rnd.nextInt(b.length);
                    b[i] ^= (byte) (1 << rnd.nextInt(8));
                }
                case 1 -> b = Arrays.copyOf(b, rnd.nextInt(b.length + 1)); // truncate
                case 2 -> { // splice with another seed
                    byte[] o = pool.get(rnd.nextInt(pool.size()));
                    int cut = rnd.nextInt(b.length + 1);
                    int from = rnd.nextInt(o.length + 1);
                    byte[] s = Arrays.copyOf(b, cut + (o.length - from));
                    System.arraycopy(o, from, s, cut, o.length - from);
                    b = s;
                }
                case 3 -> b[rnd.nextInt(b.length)] = (byte) INTERESTING[rnd.nextInt(INTERESTING.length)];
                case 4 -> { // length / count field edit: 1..4 bytes of 0x00 or 0xff or random after a position
                    int i = rnd.nextInt(b.length);
                    int n = Math.min(b.length - i, 1 + rnd.nextInt(4));
                    int mode = rnd.nextInt(3);
                    for (int k = 0; k < n; k++) {
                        b[i + k] = (byte) (mode == 0 ? 0 : mode == 1 ? 0xff : rnd.nextInt(256));
                    }
                }
                case 5 -> { // insert random bytes
                    int i = rnd.nextInt(b.length + 1);
                    int n = 1 + rnd.nextInt(4);
                    byte[] s = new byte[b.length + n];
                    System.arraycopy(b, 0, s, 0, i);
                    for (int k = 0; k < n; k++) {
                        s[i + k] = (byte) rnd.nextInt(256);
                    }
                    System.arraycopy(b, i, s, i + n, b.length - i);
                    b = s;
                }
                case 6 -> { // duplicate a segment
                    int i = rnd.nextInt(b.length);
                    int n = 1 + rnd.nextInt(Math.min(32, b.length - i));
                    byte[] s = new byte[b.length + n];
                    System.arraycopy(b, 0, s, 0, i + n);
                    System.arraycopy(b, i, s, i + n, b.length - i);
                    b = s;
                }
                default -> { // random bytes
                    b = new byte[rnd.nextInt(64)];
                    rnd.nextBytes(b);
                }
            }
        }
        return b;
    }

    /** A visitor that checks what it is given. */
    static final class Checking implements PacketVisitor {
        int events;

        @Override
        public void message(Message message) {
            assertNotNull(message);
            events++;
        }

        @Override
        public void rejected(Rejection reason, String detail) {
            assertNotNull(reason);
            assertNotNull(detail);
            if (detail.startsWith("internal")) {
                fail(detail);
            }
            events++;
        }

        @Override
        public void truncated(int missingParts) {
            assertTrue(missingParts > 0);
            events++;
        }
    }

    static void check(DecodeResult<?> r) {
        assertNotNull(r);
        if (r instanceof DecodeResult.Rejected<?> rej && rej.detail().startsWith("internal")) {
            fail(rej.detail());
        }
    }

    static void exercise(byte[] b, Random rnd) {
        Checking v = new Checking();
        Packets.read(b, 0, b.length, v);
        assertTrue(v.events > 0, "Packets.read reported nothing");
        check(WireDecoder.decode(b, 0, b.length));
        check(Streams.read(b, 0, b.length));
        // The framer must give the same answer whole and in pieces.
        StreamFramer whole = new StreamFramer(1 << 20);
        int expected = whole.frameLength(b, 0, b.length);
        StreamFramer pieces = new StreamFramer(1 << 20);
        int got = StreamFramer.NEED_MORE;
        for (int have = 0; got == StreamFramer.NEED_MORE && have <= b.length; have += 1 + rnd.nextInt(16)) {
            got = pieces.frameLength(b, 0, Math.min(have, b.length));
            if (have >= b.length) {
                break;
            }
        }
        if (got == StreamFramer.NEED_MORE) {
            got = pieces.frameLength(b, 0, b.length);
        }
        assertEquals(expected, got);
        assertTrue(expected == StreamFramer.NEED_MORE || expected == StreamFramer.REJECTED
                || (expected > 0 && expected <= b.length));
        if (expected == StreamFramer.REJECTED) {
            assertNotNull(whole.rejection());
            assertTrue(!whole.detail().startsWith("internal"), whole.detail());
        }
        check(Lzw.decompress(b, 0, b.length, 1 << 16));
    }

    @Test
    void mutatedPacketsAndStreamsNeverThrow() {
        Random rnd = new Random(SEED);
        List<byte[]> packets = packetSeeds(rnd);
        List<byte[]> streams = streamSeeds(rnd);
        List<byte[]> pool = new ArrayList<>(packets);
        pool.addAll(streams);
        for (int i = 0; i < CASES; i++) {
            List<byte[]> seeds = (i & 1) == 0 ? packets : streams;
            byte[] b = mutate(seeds.get(rnd.nextInt(seeds.size())), pool, rnd);
            try {
                exercise(b, rnd);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("case " + i + ": " + TestSupport.hex(b), e);
            }
        }
    }
}
