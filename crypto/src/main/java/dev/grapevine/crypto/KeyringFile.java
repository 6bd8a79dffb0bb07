package dev.grapevine.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * A keyring file in Serf's format (the agent's {@code -keyring-file}): a JSON array of the keys in
 * standard base64 with padding, the primary key first, written as Go's
 * {@code json.MarshalIndent(keys, "", "  ")} writes it:
 *
 * <pre>
 * [
 *   "4JhBYyi1maKN0Rf3tpyUFzIyHxZY037pCAwDmDJHJ60=",
 *   "yZ5Ll7KCNg2mG1o6oYkZ0w=="
 * ]
 * </pre>
 *
 * <p><b>Reading</b> ({@link #read()}) is strict and bounded: at most {@link #MAX_FILE_BYTES}, a JSON
 * array of strings and nothing else, each string standard base64 of a 16, 24 or 32-byte key, at
 * least one key. Duplicates are allowed (as in Serf, the keyring ignores them). Every refusal is a
 * {@link KeyringFileException} with a typed reason and a message that never quotes the file. The
 * file is parsed as bytes, so key material never becomes a {@link String}; buffers are wiped.
 *
 * <p><b>Writing</b> ({@link #write}) is atomic: the content goes to a new temporary file in the same
 * directory, created with owner-only permissions (0600 on POSIX file systems), forced to disk, then
 * renamed over the target ({@code ATOMIC_MOVE}), and the directory is synced. A reader therefore
 * sees the old file or the new one, never a partial one, and concurrent writers (threads or
 * processes) each rename a complete file: the last rename wins. A symbolic link at the path is
 * followed, so the file it points to is replaced. Serf itself rewrites the file in place; the
 * content is the same.
 *
 * <p><b>Threading.</b> Immutable; every method may be called from any thread and blocks on file
 * I/O.
 */
public final class KeyringFile {
    /** The largest keyring file read (about a thousand 32-byte keys). */
    public static final int MAX_FILE_BYTES = 64 * 1024;

    private final Path path;

    private KeyringFile(Path path) {
        this.path = path;
    }

    /**
     * The keyring file at {@code path} (which need not exist yet). Does no I/O.
     *
     * @param path where the file is or will be
     * @return the file
     */
    public static KeyringFile of(Path path) {
        return new KeyringFile(Objects.requireNonNull(path, "path"));
    }

    /**
     * Where the file is.
     *
     * @return the path as given
     */
    public Path path() {
        return path;
    }

    /**
     * Whether the file exists now.
     *
     * @return true when something exists at the path
     */
    public boolean exists() {
        return Files.exists(path);
    }

    /**
     * Reads the keys, primary first.
     *
     * @return fresh arrays, owned by the caller (who should wipe them after use)
     * @throws KeyringFileException when the file is missing, unreadable, too large or invalid; see
     *                              {@link KeyringFileException.Reason}
     */
    public List<byte[]> read() throws KeyringFileException {
        byte[] data = readBounded();
        try {
            return parse(data);
        } finally {
            Arrays.fill(data, (byte) 0);
        }
    }

    /**
     * Replaces the file with {@code keys} (primary first), atomically, with owner-only permissions.
     *
     * @param keys the keys to write (not modified)
     * @throws IOException when the temporary file cannot be created or written, or the rename fails;
     *                     the old file is then left as it was
     */
    public void write(List<byte[]> keys) throws IOException {
        byte[] content = encode(keys);
        try {
            writeAtomically(content);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "KeyringFile[" + path + "]";
    }

    // ---------------------------------------------------------------------------------------------
    // Reading
    // ---------------------------------------------------------------------------------------------

    private byte[] readBounded() throws KeyringFileException {
        if (Files.isDirectory(path)) {
            throw new KeyringFileException(KeyringFileException.Reason.UNREADABLE, path,
                    "keyring file " + path + " is a directory");
        }
        byte[] data;
        try (InputStream in = Files.newInputStream(path)) {
            data = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new KeyringFileException(KeyringFileException.Reason.NOT_FOUND, path,
                    "keyring file " + path + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new KeyringFileException(KeyringFileException.Reason.UNREADABLE, path,
                    "keyring file " + path + " cannot be read: permission denied", e);
        } catch (FileSystemException e) {
            String why = e.getReason() == null ? e.getClass().getSimpleName() : e.getReason();
            throw new KeyringFileException(KeyringFileException.Reason.UNREADABLE, path,
                    "keyring file " + path + " cannot be read: " + why, e);
        } catch (IOException e) {
            throw new KeyringFileException(KeyringFileException.Reason.UNREADABLE, path,
                    "keyring file " + path + " cannot be read: " + e.getClass().getSimpleName(), e);
        }
        if (data.length > MAX_FILE_BYTES) {
            Arrays.fill(data, (byte) 0);
            throw new KeyringFileException(KeyringFileException.Reason.TOO_LARGE, path,
                    "keyring file " + path + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        return data;
    }

    /**
     * Parses {@code [ "b64", ... ]} (or {@code null}, which holds no keys) from raw bytes, as
     * {@link #read()} does after reading at most {@link #MAX_FILE_BYTES} (package-private for the
     * fuzz tests).
     */
    List<byte[]> parse(byte[] d) throws KeyringFileException {
        return new Parser(path, d).keys();
    }

    /** One parse of one file's bytes; confined to the calling thread. */
    private static final class Parser {
        private final Path path;
        private final byte[] d;
        private int i;
        private byte[] scratch = new byte[64];
        private int scratchLength;

        Parser(Path path, byte[] d) {
            this.path = path;
            this.d = d;
        }

        List<byte[]> keys() throws KeyringFileException {
            List<byte[]> keys = new ArrayList<>();
            boolean ok = false;
            try {
                skipWhitespace();
                if (startsWith("null")) {
                    i += 4;
                    expectEnd();
                    throw noKeys();
                }
                if (i >= d.length || d[i] != '[') {
                    throw malformed(i >= d.length ? "empty file" : "expected '['");
                }
                i++;
                skipWhitespace();
                if (i < d.length && d[i] == ']') {
                    i++;
                } else {
                    while (true) {
                        if (i >= d.length || d[i] != '"') {
                            throw malformed("expected a string");
                        }
                        i++;
                        readString();
                        keys.add(decodeKey(keys.size() + 1));
                        skipWhitespace();
                        if (i < d.length && d[i] == ',') {
                            i++;
                            skipWhitespace();
                        } else if (i < d.length && d[i] == ']') {
                            i++;
                            break;
                        } else {
                            throw malformed("expected ',' or ']'");
                        }
                    }
                }
                expectEnd();
                if (keys.isEmpty()) {
                    throw noKeys();
                }
                ok = true;
                return keys;
            } finally {
                Arrays.fill(scratch, (byte) 0);
                if (!ok) {
                    keys.forEach(k -> Arrays.fill(k, (byte) 0));
                }
            }
        }

        private void expectEnd() throws KeyringFileException {
            skipWhitespace();
            if (i != d.length) {
                throw malformed("unexpected data after the array");
            }
        }

        /**
         * Reads a JSON string body (after its opening quote) into {@link #scratch}, up to and past
         * its closing quote. Characters outside ASCII become 0xFF, which base64 never accepts.
         */
        private void readString() throws KeyringFileException {
            scratchLength = 0;
            while (true) {
                if (i >= d.length) {
                    throw malformed("unterminated string");
                }
                int c = d[i] & 0xff;
                if (c == '"') {
                    i++;
                    return;
                }
                if (c < 0x20) {
                    throw malformed("control character in a string");
                }
                byte b;
                if (c == '\\') {
                    if (i + 1 >= d.length) {
                        throw malformed("unterminated escape");
                    }
                    int e = d[i + 1];
                    switch (e) {
                        case '"', '\\', '/' -> b = (byte) e;
                        case 'b' -> b = '\b';
                        case 'f' -> b = '\f';
                        case 'n' -> b = '\n';
                        case 'r' -> b = '\r';
                        case 't' -> b = '\t';
                        case 'u' -> {
                            if (i + 6 > d.length) {
                                throw malformed("unterminated escape");
                            }
                            int v = 0;
                            for (int k = i + 2; k < i + 6; k++) {
                                int h = Character.digit(d[k], 16);
                                if (h < 0) {
                                    throw malformed("bad \\u escape");
                                }
                                v = v << 4 | h;
                            }
                            b = v < 0x80 ? (byte) v : (byte) 0xff;
                            i += 4;
                        }
                        default -> throw malformed("bad escape");
                    }
                    i += 2;
                } else {
                    b = c < 0x80 ? (byte) c : (byte) 0xff;
                    i++;
                }
                if (scratchLength == scratch.length) {
                    byte[] bigger = Arrays.copyOf(scratch, scratch.length * 2);
                    Arrays.fill(scratch, (byte) 0);
                    scratch = bigger;
                }
                scratch[scratchLength++] = b;
            }
        }

        /** Decodes the string just read as Go's {@code base64.StdEncoding} does (CR, LF ignored; padding required). */
        private byte[] decodeKey(int position) throws KeyringFileException {
            byte[] clean = new byte[scratchLength];
            int n = 0;
            for (int k = 0; k < scratchLength; k++) {
                if (scratch[k] != '\r' && scratch[k] != '\n') {
                    clean[n++] = scratch[k];
                }
            }
            byte[] exact = n == clean.length ? clean : Arrays.copyOf(clean, n);
            byte[] key;
            try {
                if (n % 4 != 0) {
                    throw new IllegalArgumentException("length");
                }
                key = Base64.getDecoder().decode(exact);
            } catch (IllegalArgumentException e) {
                throw new KeyringFileException(KeyringFileException.Reason.BAD_BASE64, path,
                        "key #" + position + " in keyring file " + path + " is not valid base64");
            } finally {
                Arrays.fill(clean, (byte) 0);
                Arrays.fill(exact, (byte) 0);
            }
            if (Keyring.validKeyLength(key.length)) {
                return key;
            }
            int length = key.length;
            Arrays.fill(key, (byte) 0);
            throw new KeyringFileException(KeyringFileException.Reason.BAD_KEY_LENGTH, path,
                    "key #" + position + " in keyring file " + path + " is " + length
                            + " bytes; AES keys must be 16, 24 or 32 bytes");
        }

        private KeyringFileException noKeys() {
            return new KeyringFileException(KeyringFileException.Reason.NO_KEYS, path,
                    "keyring file " + path + " contains no keys");
        }

        private KeyringFileException malformed(String what) {
            return new KeyringFileException(KeyringFileException.Reason.MALFORMED_JSON, path,
                    "keyring file " + path + " is not a JSON array of base64 strings (" + what + " at byte " + i
                            + ")");
        }

        private void skipWhitespace() {
            while (i < d.length && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r')) {
                i++;
            }
        }

        private boolean startsWith(String word) {
            if (i + word.length() > d.length) {
                return false;
            }
            for (int k = 0; k < word.length(); k++) {
                if (d[i + k] != word.charAt(k)) {
                    return false;
                }
            }
            return true;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Writing
    // ---------------------------------------------------------------------------------------------

    /** The file content, as Go's {@code json.MarshalIndent(keys, "", "  ")}: ASCII, no final newline. */
    static byte[] encode(List<byte[]> keys) {
        if (keys.isEmpty()) {
            return "[]".getBytes(StandardCharsets.US_ASCII);
        }
        int size = 2;
        for (byte[] k : keys) {
            size += 5 + (k.length + 2) / 3 * 4 + 1; // "\n  \"" + base64 + "\"" + ","
        }
        byte[] out = new byte[size];
        int n = 0;
        out[n++] = '[';
        for (int i = 0; i < keys.size(); i++) {
            out[n++] = '\n';
            out[n++] = ' ';
            out[n++] = ' ';
            out[n++] = '"';
            byte[] b64 = Base64.getEncoder().encode(keys.get(i));
            System.arraycopy(b64, 0, out, n, b64.length);
            n += b64.length;
            Arrays.fill(b64, (byte) 0);
            out[n++] = '"';
            if (i < keys.size() - 1) {
                out[n++] = ',';
            }
        }
        out[n++] = '\n';
        out[n++] = ']';
        byte[] exact = Arrays.copyOf(out, n);
        Arrays.fill(out, (byte) 0);
        return exact;
    }

    private void writeAtomically(byte[] content) throws IOException {
        SecureFiles.writeAtomically(path, content, true);
    }
}
