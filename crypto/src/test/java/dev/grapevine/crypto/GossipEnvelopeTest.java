package dev.grapevine.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** memberlist's envelopes: known answers, round trips, hostile input, rotation, verification flags, labels. */
class GossipEnvelopeTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] key(int size, int seed) {
        return KeyringTest.key(size, seed);
    }

    private static byte[] payload(int n, int seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static GossipEnvelope envelope(Keyring ring) {
        return GossipEnvelope.builder(ring).build();
    }

    @Test
    void decryptsAPacketCapturedFromSerf() {
        // memberlist-wire.md §13.4: a ping sent by serf 0.9.4 with -encrypt (throwaway key), no AAD
        byte[] k = Base64.getDecoder().decode("4JhBYyi1maKN0Rf3tpyUFzIyHxZY037pCAwDmDJHJ60=");
        byte[] packet = HEX.parseHex("0170165396e5f6c081a0fd844c00a74ba4c98ccb0954acb3cdd156c9e2490a4ad903e40df601ee58"
                + "d10281540b9e3c5a2fcf62b78d50be82feaaffed482703af0200257f9ae20fb153055a479be411cff4738d5b7bc3d3fd");
        Opened o = envelope(Keyring.of(k)).openPacket(packet);
        assertTrue(o.ok(), o.toString());
        assertEquals("0085a44e6f6465a161a55365714e6f01aa536f7572636541646472a47f000001aa536f757263654e6f6465a162aa"
                + "536f75726365506f7274cd1f0b", HEX.formatHex(o.plaintext()));
        assertEquals(88, packet.length, "59-byte ping + 29 bytes of envelope");
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 24, 32})
    void packetsAndStreamsRoundTripForEveryKeySize(int size) throws Exception {
        byte[] k = key(size, size);
        GossipEnvelope e = envelope(Keyring.of(k));
        for (int n : new int[] {0, 1, 15, 16, 17, 1400, 65_000}) {
            byte[] plain = payload(n, n);
            byte[] sealed = e.sealPacket(plain);
            assertEquals(n + 29, sealed.length);
            assertEquals(1, sealed[0]);
            assertArrayEquals(plain, e.openPacket(sealed).plaintext());
            // independently: the JDK with no AAD opens it
            assertArrayEquals(plain, jceOpen(k, sealed, 0, null));

            byte[] stream = e.sealStream(plain);
            assertEquals(n + 29 + 5, stream.length);
            assertEquals(10, stream[0]);
            assertEquals(n + 29, ByteBuffer.wrap(stream, 1, 4).getInt());
            assertArrayEquals(plain, e.openStream(stream).plaintext());
            // independently: AAD = the 5 header bytes
            assertArrayEquals(plain, jceOpen(k, stream, 5, Arrays.copyOf(stream, 5)));
        }
    }

    @Test
    void version0IsPaddedAndAlwaysAccepted() throws Exception {
        byte[] k = key(32, 1);
        GossipEnvelope v0 = GossipEnvelope.builder(Keyring.of(k)).encryptionVersion(0).build();
        GossipEnvelope v1 = envelope(Keyring.of(k));
        assertEquals(45, v0.packetOverhead());
        for (int n : new int[] {0, 1, 15, 16, 17, 1400}) {
            byte[] plain = payload(n, n);
            byte[] sealed = v0.sealPacket(plain);
            assertEquals(0, sealed[0]);
            int padded = n + 16 - n % 16;
            assertEquals(1 + 12 + padded + 16, sealed.length);
            byte[] inner = jceOpen(k, sealed, 0, null);
            assertEquals(padded, inner.length);
            assertEquals(16 - n % 16, inner[inner.length - 1]);
            assertArrayEquals(plain, v1.openPacket(sealed).plaintext());
            assertArrayEquals(plain, v1.openStream(v0.sealStream(plain)).plaintext());
        }
        // authenticated but with broken padding (only a buggy peer could send it)
        for (byte[] inner : new byte[][] {new byte[16], filled(16, 17), withLast(filled(16, 3), 4)}) {
            assertEquals(EnvelopeRejection.BAD_PADDING, v1.openPacket(jceSeal(0, k, inner)).rejection());
        }
        assertEquals(EnvelopeRejection.TOO_SHORT, v1.openPacket(Arrays.copyOf(v0.sealPacket(new byte[0]), 44))
                .rejection(), "a version-0 envelope is at least 45 bytes");
    }

    @Test
    void wrongKeyIsRefused() {
        byte[] sealed = envelope(Keyring.of(key(32, 1))).sealPacket(payload(100, 1));
        GossipEnvelope other = envelope(Keyring.of(key(32, 2), key(16, 3)));
        assertEquals(EnvelopeRejection.NO_KEY_DECRYPTS, other.openPacket(sealed).rejection());
        byte[] stream = envelope(Keyring.of(key(32, 1))).sealStream(payload(100, 1));
        assertEquals(EnvelopeRejection.NO_KEY_DECRYPTS, other.openStream(stream).rejection());
    }

    @Test
    void everyTruncationAndEveryBitFlipIsRefused() {
        GossipEnvelope e = envelope(Keyring.of(key(32, 1)));
        byte[] sealed = e.sealPacket(payload(60, 1));
        for (int n = 0; n < sealed.length; n++) {
            Opened o = e.openPacket(Arrays.copyOf(sealed, n));
            assertFalse(o.ok());
            assertEquals(n < 29 ? EnvelopeRejection.TOO_SHORT : EnvelopeRejection.NO_KEY_DECRYPTS, o.rejection(),
                    "length " + n);
        }
        for (int bit = 8; bit < sealed.length * 8; bit++) { // the version byte aside
            byte[] t = sealed.clone();
            t[bit / 8] ^= (byte) (1 << bit % 8);
            assertEquals(EnvelopeRejection.NO_KEY_DECRYPTS, e.openPacket(t).rejection(), "bit " + bit);
        }
        byte[] stream = e.sealStream(payload(60, 1));
        for (int n = 0; n < stream.length; n++) {
            Opened o = e.openStream(Arrays.copyOf(stream, n));
            assertFalse(o.ok(), "length " + n);
        }
        byte[] longer = Arrays.copyOf(stream, stream.length + 1);
        assertEquals(EnvelopeRejection.BAD_STREAM_HEADER, e.openStream(longer).rejection());
        byte[] relabelled = stream.clone();
        relabelled[4]--; // the length is authenticated too: change it and the frame
        assertEquals(EnvelopeRejection.NO_KEY_DECRYPTS,
                e.openStream(Arrays.copyOf(relabelled, relabelled.length - 1)).rejection());
    }

    @Test
    void unknownVersionsAreRefused() {
        GossipEnvelope e = envelope(Keyring.of(key(16, 1)));
        for (int v = 2; v < 256; v++) {
            byte[] p = payload(80, v);
            p[0] = (byte) v;
            Opened o = e.openPacket(p);
            if (v == GossipEnvelope.LABEL_TYPE) {
                assertTrue(o.rejection() == EnvelopeRejection.LABEL_MISMATCH
                        || o.rejection() == EnvelopeRejection.BAD_LABEL_HEADER, o.toString());
            } else {
                assertEquals(EnvelopeRejection.UNKNOWN_VERSION, o.rejection(), "version " + v);
            }
        }
    }

    @Test
    void randomAndOversizedInputNeverThrowsNorPasses() {
        GossipEnvelope e = envelope(Keyring.of(key(32, 1), key(24, 2), key(16, 3)));
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 3_000; i++) {
            byte[] p = new byte[rnd.nextInt(i % 100 == 0 ? 70_000 : 200)];
            rnd.nextBytes(p);
            if (p.length > 0 && rnd.nextBoolean()) {
                p[0] = (byte) rnd.nextInt(2);
            }
            assertFalse(e.openPacket(p).ok());
            if (p.length > 0 && rnd.nextBoolean()) {
                p[0] = 10;
            }
            assertFalse(e.openStream(p).ok());
        }
    }

    @Test
    void decryptionTriesEveryKeyPrimaryFirst() {
        byte[] k1 = key(32, 1);
        byte[] k2 = key(16, 2);
        byte[] k3 = key(24, 3);
        GossipEnvelope all = envelope(Keyring.of(k1, k2, k3));
        for (byte[] k : List.of(k1, k2, k3)) {
            byte[] plain = payload(50, k.length);
            assertArrayEquals(plain, all.openPacket(envelope(Keyring.of(k)).sealPacket(plain)).plaintext());
        }
        byte[] sealed = all.sealPacket(payload(10, 1));
        assertTrue(envelope(Keyring.of(k1)).openPacket(sealed).ok(), "encrypted with the primary");
        assertFalse(envelope(Keyring.of(k2, k3)).openPacket(sealed).ok());
    }

    @Test
    void rotationInstallUseRemove() {
        byte[] k1 = key(32, 1);
        byte[] k2 = key(32, 2);
        Keyring a = Keyring.of(k1);
        Keyring b = Keyring.of(k1);
        GossipEnvelope ea = envelope(a);
        GossipEnvelope eb = envelope(b);
        byte[] plain = payload(300, 1);

        assertNull(a.install(k2)); // installed, not used: a still encrypts with k1
        assertTrue(eb.openPacket(ea.sealPacket(plain)).ok());
        assertNull(b.install(k2));
        assertNull(a.use(k2)); // a encrypts with k2, b decrypts it with its secondary key
        byte[] withK2 = ea.sealPacket(plain);
        assertArrayEquals(plain, jceOpenOrNull(k2, withK2));
        assertTrue(eb.openPacket(withK2).ok());
        assertTrue(ea.openPacket(eb.sealPacket(plain)).ok(), "b still encrypts with k1, a still has it");
        assertNull(b.use(k2));
        byte[] oldPacket = envelope(Keyring.of(k1)).sealPacket(plain);
        assertNull(a.remove(k1));
        assertNull(b.remove(k1));
        assertEquals(EnvelopeRejection.NO_KEY_DECRYPTS, ea.openPacket(oldPacket).rejection(),
                "nothing decrypts with a removed key");
        assertEquals(EnvelopeRejection.NO_KEY_DECRYPTS, eb.openStream(envelope(Keyring.of(k1)).sealStream(plain))
                .rejection());
        assertTrue(eb.openPacket(ea.sealPacket(plain)).ok());
    }

    @Test
    void aSnapshotHoldingARemovedKeySkipsIt() {
        byte[] k1 = key(32, 1);
        byte[] k2 = key(32, 2);
        Keyring r = Keyring.of(k1, k2);
        Keyring.Snapshot old = r.snapshot();
        byte[] sealedWithK2 = envelope(Keyring.of(k2)).sealPacket(payload(40, 1));
        assertNull(r.remove(k2));
        Opened o = AesGcm.open(old, sealedWithK2, 0, sealedWithK2.length, null, 0, null);
        assertEquals(EnvelopeRejection.NO_KEY_DECRYPTS, o.rejection());
        assertThrows(java.security.GeneralSecurityException.class, () -> AesGcm.seal(1, old.keys[1], new byte[1], 0, 1,
                null, 0, null, new byte[30], 0));
    }

    @Test
    void emptyKeyringMeansPlaintext() {
        Keyring r = Keyring.empty();
        GossipEnvelope e = envelope(r);
        byte[] plain = payload(100, 1);
        assertSame(plain, e.sealPacket(plain));
        assertSame(plain, e.sealStream(plain));
        Opened o = e.openPacket(plain);
        assertTrue(o.ok());
        assertFalse(o.unverified());
        byte[] encrypted = envelope(Keyring.of(key(32, 1))).sealStream(plain);
        assertEquals(EnvelopeRejection.ENCRYPTION_NOT_CONFIGURED, e.openStream(encrypted).rejection());
        r.install(key(32, 1)); // e.g. serf keys -install: encryption is on from the next packet
        assertEquals(plain.length + 29, e.sealPacket(plain).length);
        assertArrayEquals(plain, e.openStream(encrypted).plaintext());
        assertEquals(EnvelopeRejection.NOT_ENCRYPTED, e.openStream(plain).rejection());
    }

    @Test
    void verifyFlagsAllowAStepwiseSwitchToEncryption() {
        byte[] k = key(32, 1);
        byte[] plain = payload(120, 1);
        GossipEnvelope off = GossipEnvelope.builder(Keyring.of(k)).verifyIncoming(false).verifyOutgoing(false).build();
        GossipEnvelope outgoing = GossipEnvelope.builder(Keyring.of(k)).verifyIncoming(false).build();
        GossipEnvelope both = envelope(Keyring.of(k));
        assertSame(plain, off.sealPacket(plain), "outgoing off: plaintext on the wire");
        assertSame(plain, off.sealStream(plain));
        assertEquals(29, off.packetOverhead(), "the overhead stays reserved");
        // step 1 -> 2: some nodes encrypt, all still accept both
        Opened unverified = outgoing.openPacket(plain);
        assertTrue(unverified.ok());
        assertTrue(unverified.unverified());
        assertArrayEquals(plain, unverified.plaintext());
        Opened decrypted = off.openPacket(outgoing.sealPacket(plain));
        assertTrue(decrypted.ok());
        assertFalse(decrypted.unverified());
        assertTrue(outgoing.openStream(off.sealStream(plain)).unverified());
        assertTrue(off.openStream(outgoing.sealStream(plain)).ok());
        // step 3: verifying nodes refuse plaintext
        byte[] plaintextPacket = payload(120, 2);
        plaintextPacket[0] = 1; // looks like a version-1 envelope
        assertEquals(EnvelopeRejection.NO_KEY_DECRYPTS, both.openPacket(plaintextPacket).rejection());
        plaintextPacket[0] = 4; // an alive message: not an envelope at all
        assertEquals(EnvelopeRejection.UNKNOWN_VERSION, both.openPacket(plaintextPacket).rejection());
        assertEquals(EnvelopeRejection.NOT_ENCRYPTED, both.openStream(off.sealStream(plain)).rejection());
        assertArrayEquals(plain, both.openPacket(outgoing.sealPacket(plain)).plaintext());
    }

    @Test
    void labelsSeparateClustersAndAreAuthenticated() throws Exception {
        byte[] k = key(32, 1);
        byte[] plain = payload(200, 1);
        GossipEnvelope a = GossipEnvelope.builder(Keyring.of(k)).label("prod").build();
        GossipEnvelope b = GossipEnvelope.builder(Keyring.of(k)).label("test").build();
        GossipEnvelope none = envelope(Keyring.of(k));
        assertEquals(29 + 6, a.packetOverhead());
        byte[] sealed = a.sealPacket(plain);
        assertArrayEquals(new byte[] {(byte) 244, 4, 'p', 'r', 'o', 'd'}, Arrays.copyOf(sealed, 6));
        assertArrayEquals(plain, a.openPacket(sealed).plaintext());
        assertArrayEquals(plain, jceOpen(k, Arrays.copyOfRange(sealed, 6, sealed.length), 0,
                "prod".getBytes(StandardCharsets.UTF_8)), "the label is the AAD");
        assertEquals(EnvelopeRejection.LABEL_MISMATCH, b.openPacket(sealed).rejection());
        assertEquals(EnvelopeRejection.LABEL_MISMATCH, none.openPacket(sealed).rejection());
        assertEquals(EnvelopeRejection.LABEL_MISMATCH, a.openPacket(none.sealPacket(plain)).rejection());
        // a relabelled header does not help: the label is bound into the tag
        byte[] forged = sealed.clone();
        System.arraycopy("test".getBytes(StandardCharsets.UTF_8), 0, forged, 2, 4);
        assertEquals(EnvelopeRejection.NO_KEY_DECRYPTS, b.openPacket(forged).rejection());
        for (byte[] bad : new byte[][] {{(byte) 244}, {(byte) 244, 0, 1, 2}, {(byte) 244, 9, 'p', 'r'}}) {
            assertEquals(EnvelopeRejection.BAD_LABEL_HEADER, a.openPacket(bad).rejection());
        }
        // streams: the header is the transport's, the label is in the AAD
        byte[] stream = a.sealStream(plain);
        assertEquals(10, stream[0]);
        assertArrayEquals(plain, a.openStream(stream).plaintext());
        assertEquals(EnvelopeRejection.NO_KEY_DECRYPTS, b.openStream(stream).rejection());
        assertArrayEquals(new byte[] {(byte) 244, 4, 'p', 'r', 'o', 'd'}, a.streamLabelHeader());
        assertEquals(0, none.streamLabelHeader().length);
        assertNull(a.checkLabel("prod".getBytes(StandardCharsets.UTF_8)));
        assertEquals(EnvelopeRejection.LABEL_MISMATCH, a.checkLabel(null));
        assertNull(none.checkLabel(null));
        assertEquals(EnvelopeRejection.LABEL_MISMATCH, none.checkLabel(new byte[] {'x'}));
        // a label without keys: header only
        GossipEnvelope labelOnly = GossipEnvelope.builder(Keyring.empty()).label("prod").build();
        byte[] p = labelOnly.sealPacket(plain);
        assertEquals(plain.length + 6, p.length);
        assertArrayEquals(plain, labelOnly.openPacket(p).plaintext());
        assertThrows(IllegalArgumentException.class, () -> GossipEnvelope.builder(Keyring.empty()).label("x".repeat(256)));
    }

    @Test
    void noncesAreFreshAndCiphertextsDiffer() {
        GossipEnvelope e = envelope(Keyring.of(key(32, 1)));
        byte[] plain = payload(64, 1);
        Set<String> nonces = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            byte[] s = e.sealPacket(plain);
            assertTrue(nonces.add(HEX.formatHex(s, 1, 13)), "nonce repeated");
        }
        assertNotEquals(HEX.formatHex(e.sealPacket(plain)), HEX.formatHex(e.sealPacket(plain)));
    }

    @Test
    void toStringShowsNoKeys() {
        byte[] k = key(32, 1);
        String s = GossipEnvelope.builder(Keyring.of(k)).label("prod").verifyIncoming(false).build().toString();
        assertEquals("GossipEnvelope[Keyring[1 key], version 1, labelled, incoming unverified]", s);
    }

    @Test
    void sealAndOpenFromManyThreadsWhileTheKeyringRotates() throws Exception {
        Keyring ring = Keyring.of(key(32, 0));
        GossipEnvelope e = envelope(ring);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch stop = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int seed = w;
            workers.add(new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                try {
                    while (stop.getCount() > 0) {
                        byte[] plain = new byte[rnd.nextInt(1500)];
                        rnd.nextBytes(plain);
                        Opened o = rnd.nextBoolean() ? e.openPacket(e.sealPacket(plain)) : e.openStream(e.sealStream(plain));
                        if (!o.ok() || !Arrays.equals(plain, o.plaintext())) {
                            throw new AssertionError("round trip failed: " + o);
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        workers.forEach(Thread::start);
        // Primaries are never removed here, so every packet must open whatever the interleaving.
        for (int i = 1; i < 3_000 && failure.get() == null; i++) {
            byte[] k = new byte[16 + 8 * (i % 3)];
            ByteBuffer.wrap(k).putInt(i); // distinct from every earlier key
            ring.install(k);
            if (i % 10 == 0) {
                ring.use(k);
            } else {
                ring.remove(k);
            }
        }
        stop.countDown();
        for (Thread t : workers) {
            t.join(TimeUnit.SECONDS.toMillis(20));
        }
        assertNull(failure.get(), () -> "failure: " + failure.get());
    }

    // ---- independent JDK helpers ----------------------------------------------------------------

    private static byte[] jceOpen(byte[] key, byte[] buf, int off, byte[] aad) throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, buf, off + 1, 12));
        if (aad != null) {
            c.updateAAD(aad);
        }
        return c.doFinal(buf, off + 13, buf.length - off - 13);
    }

    private static byte[] jceOpenOrNull(byte[] key, byte[] buf) {
        try {
            return jceOpen(key, buf, 0, null);
        } catch (Exception e) {
            return null;
        }
    }

    private static byte[] jceSeal(int version, byte[] key, byte[] plain) throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        byte[] nonce = payload(12, plain.length);
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        byte[] ct = c.doFinal(plain);
        byte[] out = new byte[13 + ct.length];
        out[0] = (byte) version;
        System.arraycopy(nonce, 0, out, 1, 12);
        System.arraycopy(ct, 0, out, 13, ct.length);
        return out;
    }

    private static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) v);
        return b;
    }

    private static byte[] withLast(byte[] b, int v) {
        b[b.length - 1] = (byte) v;
        return b;
    }
}
