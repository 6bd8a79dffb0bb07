package dev.grapevine.transport;

import dev.grapevine.membership.wire.DecodeResult;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.MessageType;
import dev.grapevine.membership.wire.StreamFramer;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The wire form of keyring recovery ({@link MessageType#KEYRING}, type 243): Grapevine's own stream
 * messages, sent only on mutually authenticated TLS streams between Grapevine nodes (never to
 * memberlist or Serf peers, never on a plaintext stream).
 *
 * <pre>
 *  request  [243] [L = 34: uint32 BE] [version 1] [op 1] [32 bytes: digest of the asker's primary key]
 *  keys     [243] [L: uint32 BE] [version 1] [op 2] [n: 1..64] ([len: 16|24|32] [len key bytes]) x n
 *  current  [243] [L = 2: uint32 BE] [version 1] [op 3]      (the asker's primary is the responder's)
 *  refusal  memberlist's errResp ({@code [13] msgpack{Error}}) with a short reason, no key material
 * </pre>
 *
 * <p>The digest is SHA-256 over {@code "grapevine keyring v1"} and the key's bytes: it lets the
 * responder send no key at all to a node that is already current, and reveals nothing usable about
 * a random AES key.
 *
 * <p>The keys are the responder's whole keyring, primary first. A whole message is at most
 * {@value #MAX_MESSAGE_BYTES} bytes, well below {@link StreamFramer#MAX_KEYRING_FRAME_BYTES},
 * which the frame decoder enforces before a byte of it is handed on.
 *
 * <p><b>Threading.</b> Stateless; any thread. Decoding never throws for any input.
 */
final class KeyringMessages {
    static final int TYPE = MessageType.KEYRING.code();
    static final int VERSION = 1;
    static final int OP_REQUEST = 1;
    static final int OP_KEYS = 2;
    static final int OP_CURRENT = 3;
    /** The length of a key digest. */
    static final int DIGEST_BYTES = 32;
    /** The most keys a keys message carries (a keyring with more cannot be served). */
    static final int MAX_KEYS = 64;
    static final int HEADER_BYTES = StreamFramer.ENVELOPE_HEADER_BYTES;
    /** The longest keys message: 64 keys of 32 bytes. */
    static final int MAX_MESSAGE_BYTES = HEADER_BYTES + 3 + MAX_KEYS * 33;

    private static final int REQUEST_BYTES = HEADER_BYTES + 2 + DIGEST_BYTES;
    private static final byte[] CURRENT = {(byte) TYPE, 0, 0, 0, 2, VERSION, OP_CURRENT};
    private static final byte[] DIGEST_CONTEXT = "grapevine keyring v1".getBytes(StandardCharsets.US_ASCII);

    static {
        if (MAX_MESSAGE_BYTES > StreamFramer.MAX_KEYRING_FRAME_BYTES) {
            throw new ExceptionInInitializerError("keyring messages exceed the framer's limit");
        }
    }

    private KeyringMessages() {
    }

    /**
     * A keyring request from a node whose primary key is {@code primary}.
     *
     * @param primary the asker's primary key (not kept)
     */
    static byte[] request(byte[] primary) {
        byte[] out = new byte[REQUEST_BYTES];
        out[0] = (byte) TYPE;
        out[4] = 2 + DIGEST_BYTES;
        out[5] = VERSION;
        out[6] = OP_REQUEST;
        System.arraycopy(digest(primary), 0, out, 7, DIGEST_BYTES);
        return out;
    }

    /** SHA-256 over a fixed context string and {@code key}. */
    static byte[] digest(byte[] key) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(DIGEST_CONTEXT);
            md.update(key);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Whether a stream message is a keyring message at all (its first byte is 243). */
    static boolean isKeyringMessage(byte[] message) {
        return message.length > 0 && (message[0] & 0xff) == TYPE;
    }

    /**
     * The asker's primary-key digest, when {@code message} is exactly a keyring request.
     *
     * @return the digest, or null when the message is not a well-formed request
     */
    static byte[] requestDigest(byte[] message) {
        if (message.length != REQUEST_BYTES || (message[0] & 0xff) != TYPE || message[1] != 0 || message[2] != 0
                || message[3] != 0 || message[4] != 2 + DIGEST_BYTES || message[5] != VERSION
                || message[6] != OP_REQUEST) {
            return null;
        }
        return Arrays.copyOfRange(message, 7, REQUEST_BYTES);
    }

    /** The answer "your primary key is mine": no key travels. */
    static byte[] current() {
        return CURRENT.clone();
    }

    /**
     * A keys message holding {@code keys}, primary first. The caller should wipe the result once
     * it has been written.
     *
     * @throws IllegalArgumentException when there is no key, more than {@link #MAX_KEYS}, or a key
     *                                  of another length than 16, 24 or 32 bytes
     */
    static byte[] keys(List<byte[]> keys) {
        if (keys.isEmpty() || keys.size() > MAX_KEYS) {
            throw new IllegalArgumentException("a keys message carries 1.." + MAX_KEYS + " keys, not " + keys.size());
        }
        int body = 3;
        for (byte[] k : keys) {
            if (!validKeyLength(k.length)) {
                throw new IllegalArgumentException("a key is " + k.length + " bytes, not 16, 24 or 32");
            }
            body += 1 + k.length;
        }
        byte[] out = new byte[HEADER_BYTES + body];
        out[0] = (byte) TYPE;
        out[1] = (byte) (body >>> 24);
        out[2] = (byte) (body >>> 16);
        out[3] = (byte) (body >>> 8);
        out[4] = (byte) body;
        int i = HEADER_BYTES;
        out[i++] = VERSION;
        out[i++] = OP_KEYS;
        out[i++] = (byte) keys.size();
        for (byte[] k : keys) {
            out[i++] = (byte) k.length;
            System.arraycopy(k, 0, out, i, k.length);
            i += k.length;
        }
        return out;
    }

    /** A refusal: memberlist's errResp with {@code reason} (never key material). */
    static byte[] refusal(String reason) {
        return WireEncoder.encode(new Message.Err(reason));
    }

    /**
     * What a responder answered: its keys, "current", or why there are none.
     *
     * @param keys    the keys, primary first (fresh arrays the caller should wipe); empty otherwise
     * @param current true when the responder's primary is the asker's (no keys then)
     * @param refusal null when keys or "current" came back; else the responder's refusal or what
     *                was wrong with the answer
     */
    record Answer(List<byte[]> keys, boolean current, String refusal) {
        boolean ok() {
            return refusal == null;
        }

        /** Wipes the key bytes. */
        void wipe() {
            keys.forEach(k -> Arrays.fill(k, (byte) 0));
        }

        /** Shows how many keys, never their bytes. */
        @Override
        public String toString() {
            return !ok() ? "Answer[refused: " + refusal + "]" : current ? "Answer[current]"
                    : "Answer[" + keys.size() + " keys]";
        }
    }

    /**
     * Decodes an answer to a keyring request: a keys message, or an errResp. Never throws.
     *
     * @param message one complete stream message, as the frame decoder cut it
     */
    static Answer decodeAnswer(byte[] message) {
        if (message.length == 0) {
            return refused("an empty answer");
        }
        int type = message[0] & 0xff;
        if (type == MessageType.ERR.code()) {
            DecodeResult<Message> d = Streams.read(message, 0, message.length);
            if (d.ok() && d.value() instanceof Message.Err err) {
                return refused("refused: " + printable(err.error()));
            }
            return refused("a malformed error answer");
        }
        if (type != TYPE) {
            return refused("an answer of message type " + type);
        }
        if (Arrays.equals(message, CURRENT)) {
            return new Answer(List.of(), true, null);
        }
        if (message.length < HEADER_BYTES + 3 || message.length > MAX_MESSAGE_BYTES) {
            return refused("a keys message of " + message.length + " bytes");
        }
        long declared = ((long) (message[1] & 0xff) << 24) | ((message[2] & 0xff) << 16)
                | ((message[3] & 0xff) << 8) | (message[4] & 0xff);
        if (declared != message.length - HEADER_BYTES) {
            return refused("a keys message whose length field does not match");
        }
        int i = HEADER_BYTES;
        if (message[i] != VERSION) {
            return refused("keys message version " + (message[i] & 0xff));
        }
        if (message[i + 1] != OP_KEYS) {
            return refused("a keyring message that is not keys (op " + (message[i + 1] & 0xff) + ")");
        }
        int n = message[i + 2] & 0xff;
        if (n < 1 || n > MAX_KEYS) {
            return refused("a keys message with " + n + " keys");
        }
        i += 3;
        List<byte[]> keys = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            if (i >= message.length) {
                return refusedWiping(keys, "a truncated keys message");
            }
            int len = message[i++] & 0xff;
            if (!validKeyLength(len)) {
                return refusedWiping(keys, "a key of " + len + " bytes");
            }
            if (i + len > message.length) {
                return refusedWiping(keys, "a truncated keys message");
            }
            byte[] key = Arrays.copyOfRange(message, i, i + len);
            i += len;
            for (byte[] seen : keys) {
                if (Arrays.equals(seen, key)) {
                    Arrays.fill(key, (byte) 0);
                    return refusedWiping(keys, "a keys message with a duplicate key");
                }
            }
            keys.add(key);
        }
        if (i != message.length) {
            return refusedWiping(keys, "bytes after the last key");
        }
        return new Answer(List.copyOf(keys), false, null);
    }

    private static Answer refused(String why) {
        return new Answer(List.of(), false, why);
    }

    private static Answer refusedWiping(List<byte[]> keys, String why) {
        keys.forEach(k -> Arrays.fill(k, (byte) 0));
        return refused(why);
    }

    private static boolean validKeyLength(int n) {
        return n == 16 || n == 24 || n == 32;
    }

    /** Peer-supplied text reduced to at most 120 printable ASCII characters, for logs. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 120));
        for (int i = 0; i < s.length() && b.length() < 120; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
