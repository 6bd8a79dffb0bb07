package dev.grapevine.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided fuzz target (Jazzer) for the keyring file parser ({@link KeyringFile#read()}
 * after its size bound: {@link KeyringFile#parse}).
 *
 * <p>A normal {@code mvn verify} replays the seed corpus
 * ({@code src/test/resources/dev/grapevine/crypto/KeyringFileJazzerFuzzTestInputs/parse/}, written
 * by {@link CryptoFuzzSeeds}). To fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn -B -o -pl crypto -am test-compile surefire:test@fuzz-regression
 * -Dtest='KeyringFileJazzerFuzzTest#parse' -Dsurefire.failIfNoSpecifiedTests=false}.
 * A run lasts 5 minutes (Jazzer's default); for another length add
 * {@code -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=<seconds>}. The fuzz
 * JVM runs with a 256 KB stack (see the pom), so deep recursion shows up within 4 KB inputs.
 *
 * <p>Oracles: the only failure is a {@link KeyringFileException} with a content reason (not the
 * I/O ones) whose message is one of the parser's fixed sentences, so it quotes nothing of the file;
 * the input is not modified; an accepted file holds at least one key, each 16, 24 or 32 bytes, equal
 * to Go's decoding of the entry (standard base64, CR and LF ignored); what {@link KeyringFile#write}
 * writes for those keys reads back as the same keys and is canonical (writing it again gives the
 * same bytes).
 */
class KeyringFileJazzerFuzzTest {
    private static final Path PATH = Path.of("fuzz", "keyring.json");
    private static final KeyringFile FILE = KeyringFile.of(PATH);
    private static final Set<KeyringFileException.Reason> CONTENT_REASONS = EnumSet.of(
            KeyringFileException.Reason.MALFORMED_JSON, KeyringFileException.Reason.BAD_BASE64,
            KeyringFileException.Reason.BAD_KEY_LENGTH, KeyringFileException.Reason.NO_KEYS);
    private static final String P = Pattern.quote(PATH.toString());
    private static final Pattern MESSAGES = Pattern.compile(
            "keyring file " + P + " is not a JSON array of base64 strings \\((empty file|expected '\\['"
                    + "|expected a string|expected ',' or '\\]'|unexpected data after the array|unterminated string"
                    + "|control character in a string|unterminated escape|bad \\\\u escape|bad escape) at byte \\d+\\)"
                    + "|keyring file " + P + " contains no keys"
                    + "|key #\\d+ in keyring file " + P + " is not valid base64"
                    + "|key #\\d+ in keyring file " + P + " is \\d+ bytes; AES keys must be 16, 24 or 32 bytes");

    /**
     * The stored valid keyring files still parse, also through {@link KeyringFile#read()}, and their
     * keys go through a real {@link KeyringFile#write} and read back the same (the fuzz target checks
     * the written content without touching the disk).
     */
    @Test
    void validSeedsParseAndRoundTripThroughFiles(@TempDir Path dir) throws Exception {
        for (String name : new String[] {"one-key", "three-keys", "compact-newline", "escapes", "duplicate"}) {
            Path p = Path.of(KeyringFileJazzerFuzzTest.class.getResource("KeyringFileJazzerFuzzTestInputs/parse/"
                    + name).toURI());
            List<byte[]> keys = KeyringFile.of(p).read();
            assertFalse(keys.isEmpty(), name);
            assertEquals(keys.size(), FILE.parse(Files.readAllBytes(p)).size(), name);
            KeyringFile copy = KeyringFile.of(dir.resolve(name + ".json"));
            copy.write(keys);
            List<byte[]> back = copy.read();
            assertEquals(keys.size(), back.size(), name);
            for (int i = 0; i < keys.size(); i++) {
                assertArrayEquals(keys.get(i), back.get(i), name);
            }
        }
    }

    @FuzzTest
    void parse(byte[] data) {
        byte[] copy = data.clone();
        List<byte[]> keys;
        try {
            keys = FILE.parse(data);
        } catch (KeyringFileException e) {
            assertTrue(CONTENT_REASONS.contains(e.reason()), e.reason()::toString);
            assertNotNull(e.getMessage());
            assertTrue(MESSAGES.matcher(e.getMessage()).matches(), () -> "unexpected message: " + e.getMessage());
            assertArrayEquals(copy, data, "the input was modified");
            return;
        }
        assertArrayEquals(copy, data, "the input was modified");
        assertFalse(keys.isEmpty());
        List<byte[]> entries = goDecodeEntries(data);
        assertEquals(entries.size(), keys.size(), "number of keys");
        for (int i = 0; i < keys.size(); i++) {
            byte[] k = keys.get(i);
            assertTrue(k.length == 16 || k.length == 24 || k.length == 32, "key of " + k.length + " bytes");
            assertArrayEquals(entries.get(i), k, "key #" + (i + 1));
        }
        byte[] written = KeyringFile.encode(keys);
        List<byte[]> again;
        try {
            again = FILE.parse(written);
        } catch (KeyringFileException e) {
            fail("what write() writes does not read back: " + e.reason());
            return;
        }
        assertEquals(keys.size(), again.size());
        for (int i = 0; i < keys.size(); i++) {
            assertArrayEquals(keys.get(i), again.get(i));
        }
        assertArrayEquals(written, KeyringFile.encode(again), "write is not canonical");
    }

    /**
     * For an input the parser accepted: the entries as a second, simpler reading decodes them
     * (strings between unescaped quotes, JSON escapes resolved, then Go's base64.StdEncoding, which
     * skips CR and LF). Only meaningful for inputs already known to be well-formed.
     */
    private static List<byte[]> goDecodeEntries(byte[] d) {
        List<byte[]> out = new java.util.ArrayList<>();
        int i = 0;
        while (i < d.length) {
            if (d[i] != '"') {
                i++;
                continue;
            }
            StringBuilder s = new StringBuilder();
            i++;
            while (d[i] != '"') {
                if (d[i] == '\\') {
                    char e = (char) d[i + 1];
                    switch (e) {
                        case 'u' -> {
                            s.append((char) Integer.parseInt(new String(d, i + 2, 4, java.nio.charset.StandardCharsets.US_ASCII), 16));
                            i += 6;
                        }
                        case 'n' -> {
                            s.append('\n');
                            i += 2;
                        }
                        case 'r' -> {
                            s.append('\r');
                            i += 2;
                        }
                        case 't' -> {
                            s.append('\t');
                            i += 2;
                        }
                        case 'b' -> {
                            s.append('\b');
                            i += 2;
                        }
                        case 'f' -> {
                            s.append('\f');
                            i += 2;
                        }
                        default -> {
                            s.append(e);
                            i += 2;
                        }
                    }
                } else {
                    s.append((char) (d[i] & 0xff));
                    i++;
                }
            }
            i++;
            out.add(Base64.getDecoder().decode(s.toString().replace("\r", "").replace("\n", "")));
        }
        return out;
    }
}
