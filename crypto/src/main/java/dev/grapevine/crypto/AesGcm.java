package dev.grapevine.crypto;

import java.security.DrbgParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * memberlist's AES-GCM envelope (memberlist-wire.md §7.1), the part shared by packets and
 * streams:
 *
 * <pre>
 *  [vsn: 1 byte, 0 or 1] [nonce: 12 bytes] [ciphertext] [tag: 16 bytes]
 * </pre>
 *
 * Version 1 encrypts the plaintext as it is; version 0 (senders speaking memberlist protocol 1)
 * first pads it with PKCS#7 to a multiple of 16 bytes. Encryption uses the primary key; decryption
 * tries every key, primary first, and the first key that authenticates wins.
 *
 * <p>The JDK's {@code AES/GCM/NoPadding} does the work (AES-NI and GHASH intrinsics; BouncyCastle
 * is about 25x slower here). Each thread keeps its own {@link Cipher}, re-initialised per message
 * (cheap next to the encryption itself), and its own DRBG for the random 96-bit nonces (drawn in
 * batches), so the packet path shares nothing between threads and takes no lock.
 *
 * <p><b>Threading.</b> Stateless apart from the per-thread state; any thread.
 */
final class AesGcm {
    static final int VERSION_SIZE = 1;
    static final int NONCE_SIZE = 12;
    static final int TAG_SIZE = 16;
    static final int BLOCK_SIZE = 16;
    /** Bytes version 1 adds: version, nonce, tag. */
    static final int OVERHEAD_V1 = VERSION_SIZE + NONCE_SIZE + TAG_SIZE;
    /** Bytes version 0 adds at most: version, nonce, up to 16 bytes of padding, tag. */
    static final int OVERHEAD_V0 = OVERHEAD_V1 + BLOCK_SIZE;

    private static final ThreadLocal<PerThread> STATE = ThreadLocal.withInitial(PerThread::new);

    private AesGcm() {
    }

    /** The envelope length for a plaintext of {@code n} bytes (memberlist's {@code encryptedLength}). */
    static int sealedLength(int version, int n) {
        if (version >= 1) {
            return OVERHEAD_V1 + n;
        }
        return OVERHEAD_V1 + n + (BLOCK_SIZE - n % BLOCK_SIZE);
    }

    /** The shortest envelope of a version (memberlist's {@code encryptedLength(vsn, 0)}). */
    static int minimumLength(int version) {
        return sealedLength(version, 0);
    }

    /**
     * Seals {@code in[inOff, inOff+inLen)} with {@code key} into {@code out} at {@code outOff},
     * which must have {@link #sealedLength} bytes of room. The AAD is {@code aad1[0, aad1Len)}
     * followed by {@code aad2} (either may be absent).
     *
     * @throws GeneralSecurityException when the JDK refuses (never expected), or the key was destroyed
     */
    static void seal(int version, AesKey key, byte[] in, int inOff, int inLen, byte[] aad1, int aad1Len,
                     byte[] aad2, byte[] out, int outOff) throws GeneralSecurityException {
        PerThread t = STATE.get();
        out[outOff] = (byte) version;
        byte[] src = in;
        int srcOff = inOff;
        int srcLen = inLen;
        if (version == 0) {
            int pad = BLOCK_SIZE - inLen % BLOCK_SIZE;
            src = Arrays.copyOfRange(in, inOff, inOff + inLen + pad);
            Arrays.fill(src, inLen, inLen + pad, (byte) pad);
            srcOff = 0;
            srcLen = inLen + pad;
        }
        for (int attempt = 0; ; attempt++) {
            t.nextNonce();
            try {
                t.cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_SIZE * 8, t.nonce));
                break;
            } catch (InvalidAlgorithmParameterException e) {
                // the JDK refuses a (key, nonce) pair it just used: a repeated random nonce; draw again
                if (attempt == 2) {
                    throw e;
                }
            } catch (IllegalStateException e) {
                throw new GeneralSecurityException("key removed while sealing", e);
            }
        }
        System.arraycopy(t.nonce, 0, out, outOff + VERSION_SIZE, NONCE_SIZE);
        if (aad1 != null && aad1Len > 0) {
            t.cipher.updateAAD(aad1, 0, aad1Len);
        }
        if (aad2 != null && aad2.length > 0) {
            t.cipher.updateAAD(aad2);
        }
        t.cipher.doFinal(src, srcOff, srcLen, out, outOff + VERSION_SIZE + NONCE_SIZE);
        if (src != in) {
            Arrays.fill(src, (byte) 0);
        }
    }

    /**
     * Opens the envelope {@code in[off, off+len)} with the keys of {@code keys}, primary first.
     *
     * @return the plaintext (a new array), or a refusal: {@link EnvelopeRejection#TOO_SHORT},
     *         {@link EnvelopeRejection#UNKNOWN_VERSION}, {@link EnvelopeRejection#NO_KEY_DECRYPTS}
     *         or {@link EnvelopeRejection#BAD_PADDING}
     */
    static Opened open(Keyring.Snapshot keys, byte[] in, int off, int len, byte[] aad1, int aad1Len, byte[] aad2) {
        if (len < 1) {
            return Opened.refused(EnvelopeRejection.TOO_SHORT);
        }
        int version = in[off] & 0xff;
        if (version > 1) {
            return Opened.refused(EnvelopeRejection.UNKNOWN_VERSION);
        }
        if (len < minimumLength(version)) {
            return Opened.refused(EnvelopeRejection.TOO_SHORT);
        }
        PerThread t = STATE.get();
        GCMParameterSpec iv = new GCMParameterSpec(TAG_SIZE * 8, in, off + VERSION_SIZE, NONCE_SIZE);
        int ctOff = off + VERSION_SIZE + NONCE_SIZE;
        int ctLen = len - VERSION_SIZE - NONCE_SIZE;
        for (AesKey key : keys.keys) {
            byte[] plain;
            try {
                t.cipher.init(Cipher.DECRYPT_MODE, key, iv);
                if (aad1 != null && aad1Len > 0) {
                    t.cipher.updateAAD(aad1, 0, aad1Len);
                }
                if (aad2 != null && aad2.length > 0) {
                    t.cipher.updateAAD(aad2);
                }
                plain = t.cipher.doFinal(in, ctOff, ctLen);
            } catch (AEADBadTagException e) {
                continue; // not this key
            } catch (GeneralSecurityException | IllegalStateException e) {
                continue; // a key removed (and wiped) since the snapshot was read
            }
            return version == 0 ? unpad(plain) : Opened.accepted(plain);
        }
        return Opened.refused(EnvelopeRejection.NO_KEY_DECRYPTS);
    }

    private static Opened unpad(byte[] padded) {
        int n = padded.length;
        int pad = n == 0 ? 0 : padded[n - 1] & 0xff;
        if (pad < 1 || pad > BLOCK_SIZE || pad > n) {
            return Opened.refused(EnvelopeRejection.BAD_PADDING);
        }
        for (int i = n - pad; i < n; i++) {
            if ((padded[i] & 0xff) != pad) {
                return Opened.refused(EnvelopeRejection.BAD_PADDING);
            }
        }
        return Opened.accepted(Arrays.copyOf(padded, n - pad));
    }

    /**
     * One thread's cipher and nonces. Nonces are drawn from the thread's DRBG 128 at a time: the
     * DRBG's cost is mostly per call (measured here: about 1-5 us for one 12-byte call, about 0.1 us
     * per nonce in batches), and nonces are public, so holding a batch in memory reveals nothing.
     */
    private static final class PerThread {
        private static final int NONCES_PER_DRAW = 128;

        final Cipher cipher;
        final SecureRandom random;
        final byte[] nonce = new byte[NONCE_SIZE];
        private final byte[] pool = new byte[NONCE_SIZE * NONCES_PER_DRAW];
        private int next = pool.length;

        /** Puts a fresh random nonce in {@link #nonce}. */
        void nextNonce() {
            if (next == pool.length) {
                random.nextBytes(pool);
                next = 0;
            }
            System.arraycopy(pool, next, nonce, 0, NONCE_SIZE);
            next += NONCE_SIZE;
        }

        PerThread() {
            try {
                cipher = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK has no AES/GCM/NoPadding", e);
            }
            random = drbg();
        }

        private static SecureRandom drbg() {
            try {
                // NIST SP 800-90A Hash_DRBG, 256-bit strength, seeded from the system entropy source.
                return SecureRandom.getInstance("DRBG",
                        DrbgParameters.instantiation(256, DrbgParameters.Capability.RESEED_ONLY, null));
            } catch (NoSuchAlgorithmException e) {
                return new SecureRandom();
            }
        }
    }
}
