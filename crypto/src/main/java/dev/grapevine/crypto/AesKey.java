package dev.grapevine.crypto;

import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * One AES key of a {@link Keyring}: the keyring's only copy of the key bytes, handed to
 * {@link javax.crypto.Cipher#init} directly (the JDK's AES-GCM asks for {@link #getEncoded()} on
 * each init and works on that copy). {@link #destroy()} wipes the bytes when the key is removed;
 * from then on {@link #getEncoded()} throws, so a packet thread that still holds an older keyring
 * snapshot cannot encrypt or decrypt with a wiped (all-zero) key by accident.
 *
 * <p>Never serialised, never printed ({@link #toString()} gives the size only).
 *
 * <p><b>Threading.</b> Immutable until destroyed; {@link #destroy()} is called by the keyring under
 * its lock, every other method from any thread.
 */
final class AesKey implements SecretKey {
    private static final long serialVersionUID = 1L;

    private final byte[] bytes;
    private volatile boolean destroyed;

    /** Takes ownership of {@code bytes} (16, 24 or 32 long; the caller checked). */
    AesKey(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public String getAlgorithm() {
        return "AES";
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    /**
     * A copy of the key bytes.
     *
     * @throws IllegalStateException once the key was destroyed (also when it was destroyed while
     *                               being copied)
     */
    @Override
    public byte[] getEncoded() {
        if (destroyed) {
            throw new IllegalStateException("key removed from the keyring");
        }
        byte[] copy = bytes.clone();
        if (destroyed) {
            Arrays.fill(copy, (byte) 0);
            throw new IllegalStateException("key removed from the keyring");
        }
        return copy;
    }

    /** The key length in bytes. */
    int length() {
        return bytes.length;
    }

    /** Whether {@code other} holds the same bytes; constant-time for equal lengths. */
    boolean matches(byte[] other) {
        return other != null && MessageDigest.isEqual(bytes, other);
    }

    /** Wipes the key bytes; idempotent. */
    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(bytes, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "AES-" + bytes.length * 8 + " key" + (destroyed ? " (destroyed)" : "");
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        throw new NotSerializableException("keys are never serialised");
    }
}
