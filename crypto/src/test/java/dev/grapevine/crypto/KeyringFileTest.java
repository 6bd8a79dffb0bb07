package dev.grapevine.crypto;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.grapevine.crypto.KeyringFileException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Serf's keyring file format: reading strictly, writing atomically with owner-only permissions. */
class KeyringFileTest {
    /** The throwaway key of memberlist-wire.md §13.4. */
    private static final String K32 = "4JhBYyi1maKN0Rf3tpyUFzIyHxZY037pCAwDmDJHJ60=";
    private static final String K16 = Base64.getEncoder().encodeToString(KeyringTest.key(16, 3));
    private static final String K24 = Base64.getEncoder().encodeToString(KeyringTest.key(24, 4));

    @TempDir
    Path dir;

    private Path file(String content) throws IOException {
        Path f = dir.resolve("keyring-" + System.nanoTime() + ".json");
        Files.writeString(f, content, UTF_8);
        return f;
    }

    private static List<String> b64(List<byte[]> keys) {
        List<String> out = new ArrayList<>();
        keys.forEach(k -> out.add(Base64.getEncoder().encodeToString(k)));
        return out;
    }

    private KeyringFileException refused(String content) throws IOException {
        return assertThrows(KeyringFileException.class, () -> KeyringFile.of(file(content)).read());
    }

    @Test
    void readsWhatSerfWrites() throws Exception {
        // json.MarshalIndent(keys, "", "  ") as Serf's writeKeyringFile produces it
        String serf = "[\n  \"" + K32 + "\",\n  \"" + K16 + "\",\n  \"" + K24 + "\"\n]";
        assertEquals(List.of(K32, K16, K24), b64(KeyringFile.of(file(serf)).read()));
        // compact, with whitespace of every kind, with JSON escapes ("\/" and "\u0041")
        assertEquals(List.of(K32), b64(KeyringFile.of(file(" \r\n\t[\"" + K32 + "\"] \n")).read()));
        String escaped = K16.replace("/", "\\/").replaceFirst("^(.)", "\\\\u00" + Integer.toHexString(K16.charAt(0)));
        assertEquals(List.of(K16), b64(KeyringFile.of(file("[\"" + escaped + "\"]")).read()));
        // duplicates are kept here; the keyring ignores them as memberlist does
        assertEquals(2, KeyringFile.of(file("[\"" + K16 + "\",\"" + K16 + "\"]")).read().size());
        assertEquals(1, Keyring.load(KeyringFile.of(file("[\"" + K16 + "\",\"" + K16 + "\"]"))).size());
    }

    @Test
    void writesExactlyWhatSerfWrites() throws Exception {
        Path f = dir.resolve("keyring.json");
        List<byte[]> keys = List.of(Base64.getDecoder().decode(K32), Base64.getDecoder().decode(K16));
        KeyringFile.of(f).write(keys);
        assertEquals("[\n  \"" + K32 + "\",\n  \"" + K16 + "\"\n]", Files.readString(f));
        KeyringFile.of(f).write(List.of());
        assertEquals("[]", Files.readString(f));
    }

    @Test
    void writtenFileIsOwnerOnlyEvenOverAWorldReadableOne() throws Exception {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path f = dir.resolve("keyring.json");
        Files.writeString(f, "[]");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-rw-"));
        KeyringFile.of(f).write(List.of(Base64.getDecoder().decode(K32)));
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
        assertEquals(PosixFilePermissions.fromString("rw-------"), perms);
        assertEquals(List.of(K32), b64(KeyringFile.of(f).read()));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void writeFollowsASymbolicLink() throws Exception {
        Path real = dir.resolve("real.json");
        Path link = dir.resolve("link.json");
        Files.writeString(real, "[\"" + K16 + "\"]");
        Files.createSymbolicLink(link, real);
        KeyringFile.of(link).write(List.of(Base64.getDecoder().decode(K32)));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(List.of(K32), b64(KeyringFile.of(real).read()));
    }

    @Test
    void failedWriteLeavesNoTemporaryFile() throws Exception {
        Path target = Files.createDirectory(dir.resolve("keyring.json")); // the rename over a directory fails
        Files.writeString(target.resolve("inside"), "x");
        assertThrows(IOException.class, () -> KeyringFile.of(target).write(List.of(Base64.getDecoder().decode(K32))));
        assertEquals("x", Files.readString(target.resolve("inside")));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList(), "the temporary file was removed");
        }
        Keyring r = Keyring.create(List.of(Base64.getDecoder().decode(K32)), KeyringFile.of(target));
        String err = r.persist();
        assertTrue(err.startsWith("Failed to write keyring file: "), err);
        assertFalse(err.contains(K32));
    }

    @Test
    void missingUnreadableAndDirectoryAreTyped() throws Exception {
        KeyringFileException e = assertThrows(KeyringFileException.class,
                () -> KeyringFile.of(dir.resolve("absent.json")).read());
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertEquals(Reason.UNREADABLE,
                assertThrows(KeyringFileException.class, () -> KeyringFile.of(dir).read()).reason());
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Path f = file("[\"" + K16 + "\"]");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("-w-------"));
            if (!Files.isReadable(f)) { // root reads anything
                KeyringFileException u = assertThrows(KeyringFileException.class, () -> KeyringFile.of(f).read());
                assertEquals(Reason.UNREADABLE, u.reason());
                assertTrue(u.getMessage().contains("permission denied"), u.getMessage());
            }
        }
    }

    @Test
    void oversizedFileIsRefusedWithoutReadingItAll() throws Exception {
        StringBuilder sb = new StringBuilder("[");
        while (sb.length() <= KeyringFile.MAX_FILE_BYTES) {
            sb.append('"').append(K32).append("\",");
        }
        sb.append('"').append(K32).append("\"]");
        assertEquals(Reason.TOO_LARGE, refused(sb.toString()).reason());
    }

    @Test
    void malformedJsonOfEveryKind() throws Exception {
        for (String bad : new String[] {"", "   ", "{}", "\"" + K16 + "\"", "[", "[\"" + K16 + "\"",
            "[\"" + K16 + "\",]", "[\"" + K16 + "\" \"" + K16 + "\"]", "[" + 1 + "]", "[null]", "[[\"" + K16 + "\"]]",
            "[\"" + K16 + "\"] x", "[\"" + K16 + "\"][]", "[\"abc\\q\"]", "[\"ab\u0001c\"]", "[\"\\u12\"]",
            "\uFEFF[\"" + K16 + "\"]", "nullx", "[\"" + K16}) {
            KeyringFileException e = refused(bad);
            assertEquals(Reason.MALFORMED_JSON, e.reason(), () -> "input: " + bad);
            assertTrue(e.getMessage().contains("is not a JSON array of base64 strings"), e.getMessage());
        }
    }

    @Test
    void emptyArrayOrNullHoldsNoKeys() throws Exception {
        assertEquals(Reason.NO_KEYS, refused("[]").reason());
        assertEquals(Reason.NO_KEYS, refused(" [ ] ").reason());
        assertEquals(Reason.NO_KEYS, refused("null").reason());
        assertTrue(refused("[]").getMessage().contains("contains no keys"));
    }

    @Test
    void badBase64IsTypedAndNamesThePositionOnly() throws Exception {
        String secretish = "c2VjcmV0LXNlY3JldC1zZWNyZXQ";  // unpadded: Go's StdEncoding refuses it
        for (String bad : new String[] {secretish, "!!!!", K16 + "=", "é" + K16.substring(1), "abc"}) {
            KeyringFileException e = refused("[\"" + K32 + "\", \"" + bad + "\"]");
            assertEquals(Reason.BAD_BASE64, e.reason(), () -> "entry: " + bad);
            assertTrue(e.getMessage().contains("key #2"), e.getMessage());
            assertFalse(e.getMessage().contains(bad), "the message never quotes the entry");
            assertFalse(e.getMessage().contains(K32));
        }
        // Go's decoder skips CR and LF inside the string
        assertEquals(List.of(K16), b64(KeyringFile.of(file("[\"" + K16.substring(0, 8) + "\\r\\n"
                + K16.substring(8) + "\"]")).read()));
    }

    @Test
    void wrongKeyLengthIsTyped() throws Exception {
        for (int size : new int[] {0, 1, 8, 15, 17, 31, 33, 48, 64}) {
            String b = Base64.getEncoder().encodeToString(new byte[size]);
            KeyringFileException e = refused("[\"" + b + "\"]");
            assertEquals(Reason.BAD_KEY_LENGTH, e.reason(), "size " + size);
            assertTrue(e.getMessage().contains("is " + size + " bytes"), e.getMessage());
        }
    }

    @Test
    void loadedKeyringIsAttachedToItsFile() throws Exception {
        Path f = file("[\"" + K32 + "\",\"" + K16 + "\"]");
        Keyring r = Keyring.load(KeyringFile.of(f));
        assertArrayEquals(Base64.getDecoder().decode(K32), r.primaryKey().orElseThrow());
        assertNull(r.use(Base64.getDecoder().decode(K16)));
        assertNull(r.persist());
        assertEquals(List.of(K16, K32), b64(KeyringFile.of(f).read()));
    }

    @Test
    void concurrentWritersNeverExposeAPartialFile() throws Exception {
        Path f = dir.resolve("keyring.json");
        List<List<byte[]>> versions = new ArrayList<>();
        List<List<String>> expected = new ArrayList<>();
        for (int v = 0; v < 4; v++) {
            List<byte[]> keys = new ArrayList<>();
            for (int k = 0; k <= v * 40; k++) { // files of very different lengths
                keys.add(KeyringTest.key(32, v * 1000 + k));
            }
            versions.add(keys);
            expected.add(b64(keys));
        }
        KeyringFile.of(f).write(versions.get(0));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch writersDone = new CountDownLatch(3);
        List<Thread> threads = new ArrayList<>();
        for (int w = 1; w <= 3; w++) {
            List<byte[]> mine = versions.get(w);
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 150; i++) {
                        KeyringFile.of(f).write(mine);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    writersDone.countDown();
                }
            }));
        }
        threads.add(new Thread(() -> {
            try {
                while (writersDone.getCount() > 0) {
                    List<String> seen = b64(KeyringFile.of(f).read());
                    if (!expected.contains(seen)) {
                        throw new AssertionError("read a file no writer wrote: " + seen.size() + " keys");
                    }
                    reads.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }));
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        assertNull(failure.get(), () -> "failure: " + failure.get());
        assertTrue(reads.get() > 0);
        assertTrue(expected.contains(b64(KeyringFile.of(f).read())));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file is left behind");
        }
    }
}
