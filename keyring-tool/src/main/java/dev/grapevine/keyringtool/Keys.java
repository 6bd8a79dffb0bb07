package dev.grapevine.keyringtool;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Gossip keys on the command line: parsing (standard base64 with padding, as Serf's
 * {@code -encrypt}, of a 16, 24 or 32-byte AES key), generation, a printable id, and redaction of
 * key-like words in error messages.
 *
 * <p>Stateless; any thread.
 */
final class Keys {
    /** The value of a key option that means "read the key from standard input". */
    static final String STDIN = "-";
    private static final int MAX_STDIN_LINE = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Base64 words as long as an encoded 16, 24 or 32-byte key (24, 32 or 44 characters). */
    private static final Pattern KEY_LIKE = Pattern.compile(
            "(?<![A-Za-z0-9+/=])([A-Za-z0-9+/]{22}==|[A-Za-z0-9+/]{32}|[A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/=])");

    private Keys() {
    }

    /**
     * Decodes a key given as {@code option}'s value: base64, or {@code -} for one line of {@code stdin}.
     *
     * @return the key bytes (the caller wipes them)
     * @throws ToolException (usage) when it is not standard base64 with padding or not 16, 24 or 32
     *                       bytes; the message names the option, never the value
     */
    static byte[] parse(String value, String option, InputStream stdin) {
        String text = STDIN.equals(value) ? readLine(stdin, option) : value;
        String s = text.strip();
        if (s.isEmpty()) {
            throw ToolException.usage(option + ": empty key");
        }
        byte[] key;
        try {
            if (s.length() % 4 != 0) {
                throw new IllegalArgumentException("length");
            }
            key = Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw ToolException.usage(option + ": the key is not valid base64 (standard alphabet, '=' padding); "
                    + "generate one with: keyring-tool keygen");
        }
        if (key.length != 16 && key.length != 24 && key.length != 32) {
            int n = key.length;
            Arrays.fill(key, (byte) 0);
            throw ToolException.usage(option + ": the key is " + n + " bytes; AES keys must be 16, 24 or 32 bytes");
        }
        return key;
    }

    /** A fresh random key from the system's strong source. */
    static byte[] generate(int bytes) {
        byte[] k = new byte[bytes];
        RANDOM.nextBytes(k);
        return k;
    }

    /** Standard base64 with padding, as Serf prints and reads keys. */
    static String encode(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }

    /**
     * A short name for a key that reveals nothing usable about it: the first 8 hex digits of the
     * SHA-256 of its bytes, e.g. {@code [id 3f2a91c0]}. Used in notes and errors instead of the key.
     */
    static String id(byte[] key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key);
            return "[id " + HexFormat.of().formatHex(h, 0, 4) + "]";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always present", e);
        }
    }

    /** {@link #id(byte[])} of a key given in base64 (as members report them); "[id ?]" if it is not base64. */
    static String id(String base64) {
        try {
            byte[] k = Base64.getDecoder().decode(base64);
            try {
                return id(k);
            } finally {
                Arrays.fill(k, (byte) 0);
            }
        } catch (IllegalArgumentException e) {
            return "[id ?]";
        }
    }

    /** Replaces every word that could be a base64 key with {@code <redacted>}. */
    static String redact(String text) {
        return text == null ? null : KEY_LIKE.matcher(text).replaceAll("<redacted>");
    }

    private static String readLine(InputStream in, String option) {
        byte[] buf = new byte[MAX_STDIN_LINE];
        int n = 0;
        try {
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                if (n == buf.length) {
                    throw ToolException.usage(option + ": the line read from standard input is too long for a key");
                }
                buf[n++] = (byte) c;
            }
            return new String(buf, 0, n, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw ToolException.usage(option + ": cannot read the key from standard input (" + e.getMessage() + ")");
        } finally {
            Arrays.fill(buf, (byte) 0);
        }
    }
}
