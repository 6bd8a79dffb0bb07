package dev.grapevine.keyringtool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class KeysTest {
    private static final InputStream NO_STDIN = new ByteArrayInputStream(new byte[0]);

    @Test
    void parsesKeysOfEveryAesSize() {
        for (int n : new int[] {16, 24, 32}) {
            byte[] k = Keys.generate(n);
            assertArrayEquals(k, Keys.parse(Base64.getEncoder().encodeToString(k), "--key", NO_STDIN));
            assertArrayEquals(k, Keys.parse("  " + Base64.getEncoder().encodeToString(k) + "\n", "--key", NO_STDIN));
        }
    }

    @Test
    void readsTheKeyFromStandardInputWithDash() {
        byte[] k = Keys.generate(32);
        InputStream in = new ByteArrayInputStream((Keys.encode(k) + "\nrest").getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(k, Keys.parse("-", "--key", in));
    }

    @Test
    void refusesMalformedBase64AndWrongLengthsWithoutEchoingTheValue() {
        String unpadded = Keys.encode(Keys.generate(16)).replace("=", "");
        String[] bad = {"not base64!", unpadded, "YWJj", Base64.getEncoder().encodeToString(new byte[20]), "", "  ",
            Base64.getUrlEncoder().encodeToString(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                -1})};
        for (String v : bad) {
            ToolException e = assertThrows(ToolException.class, () -> Keys.parse(v, "--key", NO_STDIN), v);
            assertEquals(ExitCodes.USAGE, e.exitCode());
            assertTrue(e.getMessage().startsWith("--key: "), e.getMessage());
            if (!v.isBlank()) {
                assertFalse(e.getMessage().contains(v.strip()), e.getMessage());
            }
        }
        assertTrue(assertThrows(ToolException.class, () -> Keys.parse(Base64.getEncoder().encodeToString(new byte[20]),
                "--key", NO_STDIN)).getMessage().contains("is 20 bytes"));
    }

    @Test
    void idsNameKeysWithoutRevealingThem() {
        byte[] a = Keys.generate(32);
        byte[] b = Keys.generate(32);
        assertTrue(Keys.id(a).matches("\\[id [0-9a-f]{8}\\]"), Keys.id(a));
        assertEquals(Keys.id(a), Keys.id(Keys.encode(a)));
        assertNotEquals(Keys.id(a), Keys.id(b));
        assertEquals("[id ?]", Keys.id("%%%"));
    }

    @Test
    void redactsEveryKeyLikeWord() {
        for (int n : new int[] {16, 24, 32}) {
            String k = Keys.encode(Keys.generate(n));
            String text = "Unmatched argument at index 4: '" + k + "' and " + k + ".";
            String r = Keys.redact(text);
            assertFalse(r.contains(k), r);
            assertEquals(2, r.split("<redacted>", -1).length - 1, r);
        }
        assertEquals("a short word: abc, a path /etc/serf/keyring.json", Keys.redact(
                "a short word: abc, a path /etc/serf/keyring.json"));
    }
}
