package dev.grapevine.simulator;

import dev.grapevine.membership.ClaimAuthority;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stand-in for the cluster CA and Ed25519 identities, for simulating signing mode fast and
 * deterministically: a node's "signature" is an HMAC under its own secret, and a "certificate" is
 * {@code name, serial, not-after} with the CA's HMAC over them. The protocol properties carry over:
 * a node can sign only as itself, a certificate names one node and expires, and a certificate from
 * another CA does not verify. (Verification looks the signer's secret up in the CA, standing in for
 * the public key a real certificate carries.) Not a security mechanism: tests and simulations only.
 *
 * <p>Single-threaded, like the simulation.
 */
public final class SimulatedCa {
    private final byte[] caSecret;
    private final Map<String, byte[]> secrets = new HashMap<>();
    private final RandomGenerator random;
    private final LongSupplier clock;
    private long serial;

    /**
     * @param random source of the CA's and the nodes' secrets
     * @param clock  simulated time in nanoseconds, for certificate expiry
     */
    public SimulatedCa(RandomGenerator random, LongSupplier clock) {
        this.random = random;
        this.clock = clock;
        this.caSecret = secret();
    }

    /**
     * Issues an identity: a secret for {@code name} and a certificate valid until {@code notAfterNanos}.
     *
     * @return the node's authority
     */
    public ClaimAuthority issue(String name, long notAfterNanos) {
        byte[] secret = secret();
        secrets.put(name, secret);
        return new Authority(name, secret, certificate(name, ++serial, notAfterNanos, caSecret));
    }

    /** An identity that never expires. */
    public ClaimAuthority issue(String name) {
        return issue(name, Long.MAX_VALUE);
    }

    /**
     * An identity for {@code name} whose certificate another CA signed (untrusted here); its secret
     * is registered, so only the certificate is wrong.
     */
    public ClaimAuthority issueFromAnotherCa(String name) {
        byte[] secret = secret();
        secrets.put(name, secret);
        return new Authority(name, secret, certificate(name, ++serial, Long.MAX_VALUE, secret()));
    }

    private byte[] secret() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return b;
    }

    private static byte[] certificate(String name, long serial, long notAfter, byte[] caKey) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = ByteBuffer.allocate(1 + n.length + 16).put((byte) n.length).put(n).putLong(serial)
                .putLong(notAfter);
        byte[] mac = hmac(caKey, body.array());
        return ByteBuffer.allocate(body.capacity() + mac.length).put(body.array()).put(mac).array();
    }

    /** A node's view: signs with its secret, verifies against the CA. */
    private final class Authority implements ClaimAuthority {
        private final String name;
        private final byte[] secret;
        private final byte[] certificate;
        /** Certificates accepted so far, by signer (what a real node caches). */
        private final Map<String, byte[]> known = new HashMap<>();

        Authority(String name, byte[] secret, byte[] certificate) {
            this.name = name;
            this.secret = secret;
            this.certificate = certificate;
        }

        @Override
        public byte[] certificate() {
            return certificate.clone();
        }

        @Override
        public byte[] sign(byte[] signedBytes) {
            return signature(secret, signedBytes);
        }

        @Override
        public Verdict verify(String signer, byte[] signature, byte[] cert, byte[] signedBytes) {
            byte[] use = cert;
            if (use == null) {
                use = known.get(signer);
                if (use == null) {
                    return Verdict.UNKNOWN_SIGNER;
                }
            } else if (!trusted(signer, use)) {
                return Verdict.UNTRUSTED_CERTIFICATE;
            }
            if (notAfter(use) < clock.getAsLong()) {
                return Verdict.UNTRUSTED_CERTIFICATE;
            }
            byte[] key = secrets.get(signer);
            if (key == null || !Arrays.equals(signature(key, signedBytes), signature)) {
                return Verdict.BAD_SIGNATURE;
            }
            if (cert != null) {
                known.put(signer, cert.clone());
            }
            return Verdict.OK;
        }

        @Override
        public String toString() {
            return "SimulatedAuthority[" + name + "]";
        }
    }

    private boolean trusted(String signer, byte[] cert) {
        if (cert.length < 1 + 16 + 32) {
            return false;
        }
        int n = cert[0] & 0xff;
        if (cert.length != 1 + n + 16 + 32) {
            return false;
        }
        String named = new String(cert, 1, n, StandardCharsets.UTF_8);
        byte[] body = Arrays.copyOf(cert, 1 + n + 16);
        byte[] mac = Arrays.copyOfRange(cert, 1 + n + 16, cert.length);
        return named.equals(signer) && Arrays.equals(hmac(caSecret, body), mac);
    }

    private static long notAfter(byte[] cert) {
        int n = cert[0] & 0xff;
        return ByteBuffer.wrap(cert, 1 + n + 8, 8).getLong();
    }

    private static byte[] signature(byte[] key, byte[] data) {
        byte[] h = hmac(key, data);
        byte[] sig = new byte[64];
        System.arraycopy(h, 0, sig, 0, 32);
        System.arraycopy(h, 0, sig, 32, 32);
        return sig;
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is always available", e);
        }
    }
}
