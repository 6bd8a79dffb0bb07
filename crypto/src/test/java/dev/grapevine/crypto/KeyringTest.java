package dev.grapevine.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** memberlist's keyring rules and error strings, snapshots, wiping, secrecy and persistence. */
class KeyringTest {

    static byte[] key(int size, int seed) {
        byte[] k = new byte[size];
        for (int i = 0; i < size; i++) {
            k[i] = (byte) (seed * 31 + i);
        }
        return k;
    }

    private static List<String> b64(List<byte[]> keys) {
        List<String> out = new ArrayList<>();
        keys.forEach(k -> out.add(Base64.getEncoder().encodeToString(k)));
        return out;
    }

    @Test
    void acceptsTheThreeAesKeySizesAndRefusesOthers() {
        for (int size : new int[] {16, 24, 32}) {
            Keyring r = Keyring.empty();
            assertNull(r.install(key(size, 1)));
            assertEquals(1, r.size());
        }
        Keyring r = Keyring.empty();
        for (int size : new int[] {0, 1, 15, 17, 23, 31, 33, 64}) {
            assertEquals("key size must be 16, 24 or 32 bytes", r.install(new byte[size]));
        }
        assertEquals("key size must be 16, 24 or 32 bytes", r.install(null));
        assertTrue(r.isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Keyring.of(key(32, 1), new byte[20]));
        assertTrue(e.getMessage().contains("key #2 is 20 bytes"), e.getMessage());
    }

    @Test
    void firstKeyIsPrimaryAndInstallKeepsItAndIgnoresDuplicates() {
        Keyring r = Keyring.empty();
        byte[] k1 = key(32, 1);
        byte[] k2 = key(16, 2);
        assertNull(r.install(k1));
        assertNull(r.install(k2));
        assertNull(r.install(k2.clone()));
        assertEquals(b64(List.of(k1, k2)), b64(r.keys()));
        assertArrayEquals(k1, r.primaryKey().orElseThrow());
        assertEquals(2, Keyring.of(k1, k2, k1).size(), "duplicates in NewKeyring are ignored");
    }

    @Test
    void useMovesAKeyToTheFrontAndKeepsTheOthersInOrder() {
        byte[] k1 = key(32, 1);
        byte[] k2 = key(32, 2);
        byte[] k3 = key(32, 3);
        Keyring r = Keyring.of(k1, k2, k3);
        assertNull(r.use(k3));
        assertEquals(b64(List.of(k3, k1, k2)), b64(r.keys()));
        assertNull(r.use(k3), "using the primary again is fine");
        assertEquals("Requested key is not in the keyring", r.use(key(32, 9)));
        assertEquals("Requested key is not in the keyring", Keyring.empty().use(k1));
        assertEquals(b64(List.of(k3, k1, k2)), b64(r.keys()));
    }

    @Test
    void removeRefusesThePrimaryAndIgnoresUnknownKeys() {
        byte[] k1 = key(32, 1);
        byte[] k2 = key(24, 2);
        Keyring r = Keyring.of(k1, k2);
        assertEquals("Removing the primary key is not allowed", r.remove(k1.clone()));
        assertNull(r.remove(key(32, 7)));
        assertEquals(2, r.size());
        assertNull(r.remove(k2));
        assertEquals(b64(List.of(k1)), b64(r.keys()));
        assertNull(Keyring.empty().remove(k1), "removing from an empty keyring is a no-op");
    }

    @Test
    void removedKeyIsWipedAndOldSnapshotsCannotUseIt() {
        byte[] k1 = key(32, 1);
        byte[] k2 = key(32, 2);
        Keyring r = Keyring.of(k1, k2);
        Keyring.Snapshot before = r.snapshot();
        AesKey removed = before.keys[1];
        assertNull(r.remove(k2));
        assertTrue(removed.isDestroyed());
        assertThrows(IllegalStateException.class, removed::getEncoded);
        assertEquals(2, before.keys.length, "snapshots are immutable");
        assertEquals(1, r.snapshot().keys.length);
        assertFalse(r.contains(k2));
        assertTrue(r.contains(k1));
    }

    @Test
    void snapshotsAreReplacedNotMutated() {
        Keyring r = Keyring.of(key(16, 1));
        Keyring.Snapshot s1 = r.snapshot();
        assertSame(s1, r.snapshot(), "reads without changes see the same snapshot");
        r.install(key(16, 2));
        Keyring.Snapshot s2 = r.snapshot();
        assertEquals(1, s1.keys.length);
        assertEquals(2, s2.keys.length);
        r.use(key(16, 2));
        assertTrue(r.snapshot().primary().matches(key(16, 2)));
        assertTrue(s2.primary().matches(key(16, 1)));
    }

    @Test
    void callersCannotChangeTheKeysThroughTheirArrays() {
        byte[] k1 = key(32, 1);
        Keyring r = Keyring.of(k1);
        k1[0] ^= 1;
        r.keys().get(0)[1] ^= 1;
        r.primaryKey().orElseThrow()[2] ^= 1;
        assertArrayEquals(key(32, 1), r.keys().get(0));
    }

    @Test
    void toStringNeverShowsKeys() {
        byte[] k = key(32, 5);
        Keyring r = Keyring.of(k, key(16, 6));
        String s = r.toString() + r.snapshot().keys[0] + r.snapshot().keys[1];
        assertEquals("Keyring[2 keys]AES-256 keyAES-128 key", s);
        assertFalse(s.contains(Base64.getEncoder().encodeToString(k)));
    }

    @Test
    void persistWritesTheAttachedFileAfterChanges(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("keyring.json");
        byte[] k1 = key(32, 1);
        byte[] k2 = key(32, 2);
        Keyring r = Keyring.create(List.of(k1), KeyringFile.of(f));
        assertFalse(Files.exists(f), "nothing is written until persist");
        assertNull(r.install(k2));
        assertNull(r.use(k2));
        assertNull(r.persist());
        assertEquals(b64(List.of(k2, k1)), b64(KeyringFile.of(f).read()));
        assertNull(r.remove(k1));
        assertNull(r.persist());
        Keyring reloaded = Keyring.load(KeyringFile.of(f));
        assertEquals(b64(List.of(k2)), b64(reloaded.keys()));
        assertEquals(f, reloaded.file().orElseThrow().path());
        assertNull(Keyring.of(k1).persist(), "without a file persist does nothing");
    }

    @Test
    void persistFailureIsSerfsMessageWithoutKeys() throws Exception {
        Path missingDir = Path.of(System.getProperty("java.io.tmpdir"), "no-such-dir-" + System.nanoTime());
        byte[] k1 = key(32, 1);
        Keyring r = Keyring.create(List.of(k1), KeyringFile.of(missingDir.resolve("keyring.json")));
        String err = r.persist();
        assertTrue(err.startsWith("Failed to write keyring file: "), err);
        assertFalse(err.contains(Base64.getEncoder().encodeToString(k1)));
    }

    @Test
    void concurrentReadersAlwaysSeeAConsistentSnapshot() throws Exception {
        byte[] base = key(32, 0);
        Keyring r = Keyring.of(base);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try {
                while (done.getCount() > 0) {
                    Keyring.Snapshot s = r.snapshot();
                    if (s.keys.length == 0 || !s.keys[0].matches(base) && !s.keys[0].matches(key(32, 1))) {
                        throw new AssertionError("primary is neither key: " + s.keys.length);
                    }
                    List<byte[]> copy = r.keys();
                    for (byte[] k : copy) {
                        if (k.length != 32) {
                            throw new AssertionError("bad key length");
                        }
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        for (int i = 0; i < 2_000; i++) {
            byte[] k = key(32, 1 + i % 7);
            r.install(k);
            if (i % 7 == 0) {
                r.use(k);
            } else {
                r.remove(k);
            }
            r.use(base);
        }
        done.countDown();
        reader.join(TimeUnit.SECONDS.toMillis(10));
        assertNull(failure.get(), () -> "reader failed: " + failure.get());
    }
}
