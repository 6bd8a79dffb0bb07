package dev.grapevine.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzz targets (Jazzer) for {@link GossipEnvelope}: UDP packets (label header and
 * AES-GCM envelope), encrypted stream frames ({@code [10][L][envelope]}) and label checks, over
 * keyrings of 0 to 3 keys of every size, with incoming verification on and off, labels on and off.
 *
 * <p>A normal {@code mvn verify} replays the seed corpus
 * ({@code src/test/resources/dev/grapevine/crypto/GossipEnvelopeJazzerFuzzTestInputs/<method>/},
 * written by {@link CryptoFuzzSeeds}). To fuzz for real, one method per run:
 * {@code JAZZER_FUZZ=1 mvn -B -o -pl crypto -am test-compile surefire:test@fuzz-regression
 * -Dtest='GossipEnvelopeJazzerFuzzTest#packet' -Dsurefire.failIfNoSpecifiedTests=false}.
 * A run lasts 5 minutes (Jazzer's default); for another length add
 * {@code -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=<seconds>}. The fuzz
 * JVM runs with a 256 KB stack (see the pom), so deep recursion shows up within 4 KB inputs.
 *
 * <p>Input: the first byte chooses the configuration ({@link Config}), the rest is the datagram,
 * the stream frame or the peer's label. Oracles: nothing throws; the outcome (plaintext,
 * rejection reason, unverified flag) equals that of a reference model written from the wire
 * description with a fresh JDK {@code Cipher} per key (so whatever opens is a valid seal by one of
 * the keys, with the label as AAD, and whatever is refused for want of a key opens with none);
 * an accepted plaintext seals (with the primary key, both versions) to something the same envelope
 * opens back to that plaintext and the model opens with the primary key.
 */
class GossipEnvelopeJazzerFuzzTest {
    /** The label of labelled configurations. */
    static final String LABEL = "fuzz-cluster";
    private static final byte[] LABEL_BYTES = LABEL.getBytes(StandardCharsets.UTF_8);

    /** The three keys: one of each AES size. Keyrings hold 0..3 of them, starting at any size. */
    static byte[][] keys() {
        return new byte[][] {KeyringTest.key(16, 101), KeyringTest.key(24, 102), KeyringTest.key(32, 103)};
    }

    /**
     * The configuration byte: bits 0-1 the number of keys (0 = an empty keyring), bits 2-3 (mod 3)
     * which key size is the primary (the others follow in size order, wrapping), bit 4 incoming
     * verification off, bit 5 the label {@link #LABEL}, bit 6 encryption version 0 for sealing,
     * bit 7 outgoing verification off.
     */
    record Config(int keyCount, int firstKey, boolean verifyIncoming, boolean labelled, int version,
                  boolean verifyOutgoing) {
        static Config of(int b) {
            return new Config(b & 3, ((b >>> 2) & 3) % 3, (b & 0x10) == 0, (b & 0x20) != 0, (b & 0x40) != 0 ? 0 : 1,
                    (b & 0x80) == 0);
        }

        /** The configuration byte for these settings. */
        int toByte() {
            return keyCount | firstKey << 2 | (verifyIncoming ? 0 : 0x10) | (labelled ? 0x20 : 0)
                    | (version == 0 ? 0x40 : 0) | (verifyOutgoing ? 0 : 0x80);
        }

        /** Fresh copies of the keys, primary first. */
        byte[][] keyBytes() {
            byte[][] all = keys();
            byte[][] out = new byte[keyCount][];
            for (int i = 0; i < keyCount; i++) {
                out[i] = all[(firstKey + i) % 3].clone();
            }
            return out;
        }

        byte[] label() {
            return labelled ? LABEL_BYTES : new byte[0];
        }

        Keyring keyring() {
            byte[][] k = keyBytes();
            return k.length == 0 ? Keyring.empty() : Keyring.of(k[0], Arrays.copyOfRange(k, 1, k.length));
        }

        GossipEnvelope envelope(Keyring ring) {
            return GossipEnvelope.builder(ring).label(labelled ? LABEL : null).verifyIncoming(verifyIncoming)
                    .verifyOutgoing(verifyOutgoing).encryptionVersion(version).build();
        }
    }

    /** The stored seeds still reach the accepting paths (a changed key or format would silently make them refusals). */
    @Test
    void sealedSeedsOpen() throws Exception {
        for (String target : new String[] {"packet", "stream"}) {
            Path dir = Path.of(GossipEnvelopeJazzerFuzzTest.class.getResource("GossipEnvelopeJazzerFuzzTestInputs/"
                    + target).toURI());
            int opened = 0;
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().startsWith("sealed-")
                        || p.getFileName().toString().startsWith("secondary-key-")).toList()) {
                    byte[] in = Files.readAllBytes(f);
                    Config c = Config.of(in[0] & 0xff);
                    byte[] rest = Arrays.copyOfRange(in, 1, in.length);
                    GossipEnvelope e = c.envelope(c.keyring());
                    Opened o = target.equals("packet") ? e.openPacket(rest) : e.openStream(rest);
                    assertTrue(o.ok() && !o.unverified(), () -> f + ": " + o);
                    opened++;
                }
            }
            assertEquals(39, opened, target);
        }
    }

    @FuzzTest
    void packet(byte[] input) {
        if (input.length == 0) {
            return;
        }
        Config c = Config.of(input[0] & 0xff);
        byte[] datagram = Arrays.copyOfRange(input, 1, input.length);
        byte[] copy = datagram.clone();
        GossipEnvelope e = c.envelope(c.keyring());

        Opened got = e.openPacket(datagram);
        assertArrayEquals(copy, datagram, "the input was modified");
        Opened expected = modelPacket(c, datagram);
        assertSame(expected, got);
        if (got.ok()) {
            assertTrue(got.plaintext().length <= datagram.length);
            roundTripPacket(c, got.plaintext());
        }
    }

    @FuzzTest
    void stream(byte[] input) {
        if (input.length == 0) {
            return;
        }
        Config c = Config.of(input[0] & 0xff);
        byte[] frame = Arrays.copyOfRange(input, 1, input.length);
        byte[] copy = frame.clone();
        GossipEnvelope e = c.envelope(c.keyring());

        Opened got = e.openStream(frame);
        assertArrayEquals(copy, frame, "the input was modified");
        Opened expected = modelStream(c, frame);
        assertSame(expected, got);
        if (got.ok()) {
            assertTrue(got.plaintext().length <= frame.length);
            roundTripStream(c, got.plaintext());
        }
    }

    /**
     * The rest of the input as a peer's label (checked against this node's) and as a label to
     * configure: a configured label goes into the header byte for byte, binds the envelope to it,
     * and a packet under it is refused by every other label.
     */
    @FuzzTest
    void label(byte[] input) {
        if (input.length == 0) {
            return;
        }
        Config c = Config.of(input[0] & 0xff);
        byte[] peer = Arrays.copyOfRange(input, 1, input.length);
        GossipEnvelope e = c.envelope(c.keyring());
        EnvelopeRejection r = e.checkLabel(peer);
        assertEquals(Arrays.equals(peer, c.label()) ? null : EnvelopeRejection.LABEL_MISMATCH, r);
        assertEquals(c.labelled() ? EnvelopeRejection.LABEL_MISMATCH : null, e.checkLabel(null));

        String s = new String(peer, StandardCharsets.UTF_8);
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        GossipEnvelope.Builder b = GossipEnvelope.builder(c.keyring()).verifyIncoming(c.verifyIncoming())
                .encryptionVersion(c.version());
        if (utf8.length > GossipEnvelope.MAX_LABEL_BYTES) {
            assertThrows(IllegalArgumentException.class, () -> b.label(s));
            return;
        }
        GossipEnvelope mine = b.label(s).build();
        byte[] header = mine.streamLabelHeader();
        if (utf8.length == 0) {
            assertEquals(0, header.length);
            assertTrue(mine.label().isEmpty());
        } else {
            assertEquals(2 + utf8.length, header.length);
            assertEquals(GossipEnvelope.LABEL_TYPE, header[0] & 0xff);
            assertEquals(utf8.length, header[1] & 0xff);
            assertArrayEquals(utf8, Arrays.copyOfRange(header, 2, header.length));
            assertEquals(s, mine.label().orElseThrow());
        }
        assertNull(mine.checkLabel(utf8));
        byte[] payload = "ping".getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = mine.sealPacket(payload);
        assertArrayEquals(header, Arrays.copyOf(sealed, header.length));
        Opened back = mine.openPacket(sealed);
        assertTrue(back.ok(), back::toString);
        assertArrayEquals(payload, back.plaintext());
        // Another label (or none) refuses it, whether or not it has keys.
        GossipEnvelope other = GossipEnvelope.builder(c.keyring()).label(Arrays.equals(utf8, LABEL_BYTES) ? "x" : LABEL)
                .verifyIncoming(false).build();
        assertEquals(EnvelopeRejection.LABEL_MISMATCH, other.openPacket(sealed).rejection());
        if (utf8.length > 0) {
            GossipEnvelope none = GossipEnvelope.builder(c.keyring()).verifyIncoming(false).build();
            assertEquals(EnvelopeRejection.LABEL_MISMATCH, none.openPacket(sealed).rejection());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The reference model: memberlist-wire.md §2.5, §2.6, §7, with a fresh JDK cipher per attempt
    // ---------------------------------------------------------------------------------------------

    static Opened modelPacket(Config c, byte[] d) {
        byte[] body;
        if (d.length > 0 && (d[0] & 0xff) == GossipEnvelope.LABEL_TYPE) {
            if (d.length < 2 || d[1] == 0 || d.length < 2 + (d[1] & 0xff)) {
                return Opened.refused(EnvelopeRejection.BAD_LABEL_HEADER);
            }
            int n = d[1] & 0xff;
            if (!Arrays.equals(Arrays.copyOfRange(d, 2, 2 + n), c.label())) {
                return Opened.refused(EnvelopeRejection.LABEL_MISMATCH);
            }
            body = Arrays.copyOfRange(d, 2 + n, d.length);
        } else {
            if (c.labelled()) {
                return Opened.refused(EnvelopeRejection.LABEL_MISMATCH);
            }
            body = d;
        }
        if (c.keyCount() == 0) {
            return Opened.accepted(body);
        }
        Opened o = modelOpen(c.keyBytes(), body, c.label());
        return o.ok() || c.verifyIncoming() ? o : Opened.unverified(body);
    }

    static Opened modelStream(Config c, byte[] f) {
        if (f.length > 0 && f[0] == GossipEnvelope.STREAM_ENCRYPTED_TYPE) {
            if (c.keyCount() == 0) {
                return Opened.refused(EnvelopeRejection.ENCRYPTION_NOT_CONFIGURED);
            }
            if (f.length < 5) {
                return Opened.refused(EnvelopeRejection.TOO_SHORT);
            }
            long declared = ((f[1] & 0xffL) << 24) | ((f[2] & 0xffL) << 16) | ((f[3] & 0xffL) << 8) | (f[4] & 0xffL);
            if (declared != f.length - 5) {
                return Opened.refused(EnvelopeRejection.BAD_STREAM_HEADER);
            }
            byte[] aad = concat(Arrays.copyOf(f, 5), c.label());
            return modelOpen(c.keyBytes(), Arrays.copyOfRange(f, 5, f.length), aad);
        }
        if (c.keyCount() == 0) {
            return Opened.accepted(f);
        }
        return c.verifyIncoming() ? Opened.refused(EnvelopeRejection.NOT_ENCRYPTED) : Opened.unverified(f);
    }

    /** {@code [vsn][nonce 12][ciphertext][tag 16]}: the first key that authenticates it wins. */
    static Opened modelOpen(byte[][] keys, byte[] env, byte[] aad) {
        if (env.length == 0) {
            return Opened.refused(EnvelopeRejection.TOO_SHORT);
        }
        int vsn = env[0] & 0xff;
        if (vsn > 1) {
            return Opened.refused(EnvelopeRejection.UNKNOWN_VERSION);
        }
        if (env.length < (vsn == 1 ? 29 : 45)) {
            return Opened.refused(EnvelopeRejection.TOO_SHORT);
        }
        for (byte[] k : keys) {
            byte[] plain = jceOpen(k, env, aad);
            if (plain == null) {
                continue;
            }
            if (vsn == 1) {
                return Opened.accepted(plain);
            }
            int pad = plain.length == 0 ? 0 : plain[plain.length - 1] & 0xff;
            if (pad < 1 || pad > 16 || pad > plain.length) {
                return Opened.refused(EnvelopeRejection.BAD_PADDING);
            }
            for (int i = plain.length - pad; i < plain.length; i++) {
                if ((plain[i] & 0xff) != pad) {
                    return Opened.refused(EnvelopeRejection.BAD_PADDING);
                }
            }
            return Opened.accepted(Arrays.copyOf(plain, plain.length - pad));
        }
        return Opened.refused(EnvelopeRejection.NO_KEY_DECRYPTS);
    }

    /** AES-GCM decryption of {@code env[13..]} with nonce {@code env[1..13]}; null when the tag does not verify. */
    static byte[] jceOpen(byte[] key, byte[] env, byte[] aad) {
        try {
            Cipher ci = Cipher.getInstance("AES/GCM/NoPadding");
            ci.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, env, 1, 12));
            if (aad.length > 0) {
                ci.updateAAD(aad);
            }
            return ci.doFinal(env, 13, env.length - 13);
        } catch (AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new AssertionError("the JDK cannot decrypt", e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Round trips
    // ---------------------------------------------------------------------------------------------

    /** Seals {@code plain} as each version with the config's keyring and opens it back. */
    private static void roundTripPacket(Config c, byte[] plain) {
        for (int version = 0; version <= 1; version++) {
            Keyring ring = c.keyring();
            GossipEnvelope e = GossipEnvelope.builder(ring).label(c.labelled() ? LABEL : null)
                    .verifyIncoming(c.verifyIncoming()).verifyOutgoing(c.verifyOutgoing())
                    .encryptionVersion(version).build();
            byte[] sealed = e.sealPacket(plain);
            byte[] header = e.streamLabelHeader();
            assertArrayEquals(header, Arrays.copyOf(sealed, header.length));
            byte[] body = Arrays.copyOfRange(sealed, header.length, sealed.length);
            assertTrue(sealed.length - plain.length <= e.packetOverhead(), "overhead");
            if (c.keyCount() == 0 || !c.verifyOutgoing()) {
                assertArrayEquals(plain, body, "a plaintext packet is the label header and the packet");
                if (c.keyCount() == 0) {
                    assertSame(Opened.accepted(plain), e.openPacket(sealed));
                }
                continue;
            }
            assertEquals(AesGcm.sealedLength(version, plain.length), body.length);
            assertEquals(version, body[0]);
            byte[][] primary = {c.keyBytes()[0]};
            assertSame(Opened.accepted(plain), modelOpen(primary, body, c.label()));
            assertSame(Opened.accepted(plain), e.openPacket(sealed));
        }
    }

    private static void roundTripStream(Config c, byte[] plain) {
        for (int version = 0; version <= 1; version++) {
            GossipEnvelope e = GossipEnvelope.builder(c.keyring()).label(c.labelled() ? LABEL : null)
                    .verifyIncoming(c.verifyIncoming()).verifyOutgoing(c.verifyOutgoing())
                    .encryptionVersion(version).build();
            byte[] sealed = e.sealStream(plain);
            if (c.keyCount() == 0 || !c.verifyOutgoing()) {
                assertArrayEquals(plain, sealed);
                continue;
            }
            assertEquals(5 + AesGcm.sealedLength(version, plain.length), sealed.length);
            byte[][] primary = {c.keyBytes()[0]};
            assertSame(Opened.accepted(plain), modelOpen(primary, Arrays.copyOfRange(sealed, 5, sealed.length),
                    concat(Arrays.copyOf(sealed, 5), c.label())));
            assertSame(Opened.accepted(plain), e.openStream(sealed));
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Same outcome: both accepted with equal plaintext and flag, or both refused for the same reason. */
    private static void assertSame(Opened expected, Opened got) {
        assertNotNull(got);
        assertEquals(expected.rejection(), got.rejection(), () -> "expected " + expected + ", got " + got);
        assertEquals(expected.unverified(), got.unverified(), () -> "expected " + expected + ", got " + got);
        if (expected.ok()) {
            assertArrayEquals(expected.plaintext(), got.plaintext());
        } else {
            assertNull(got.plaintext());
            assertFalse(got.ok());
        }
    }

    /** Every configuration byte the targets distinguish (bits 2-3 = 3 is the same as 0). */
    static List<Config> configs() {
        List<Config> out = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            if (((b >>> 2) & 3) != 3) {
                out.add(Config.of(b));
            }
        }
        return out;
    }
}
