package dev.grapevine.membership;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A fast, deterministic stand-in for the cluster CA and the nodes' Ed25519 identities, after the
 * simulator's {@code SimulatedCa}: a "signature" is an HMAC under the signer's secret, a
 * "certificate" is {@code [n] name} plus the CA's HMAC over it. A node can sign only as itself and
 * a certificate names one node; an {@link #impostor} holds a certificate from another CA. Not a
 * security mechanism: tests only. Single-threaded.
 */
final class TestCa {
    private final Random random;
    private final byte[] caSecret;
    private final Map<String, byte[]> secrets = new HashMap<>();

    TestCa(long seed) {
        random = new Random(seed);
        caSecret = secret();
    }

    /** A genuine identity for {@code name}. */
    Identity issue(String name) {
        byte[] secret = secret();
        secrets.put(name, secret);
        return new Identity(name, secret, certificate(name, caSecret));
    }

    /** An identity for {@code name} whose certificate another CA signed, and whose key is not {@code name}'s. */
    Identity impostor(String name) {
        return new Identity(name, secret(), certificate(name, secret()));
    }

    private byte[] secret() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return b;
    }

    private static byte[] certificate(String name, byte[] caKey) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] body = ByteBuffer.allocate(1 + n.length).put((byte) n.length).put(n).array();
        return ByteBuffer.allocate(body.length + 32).put(body).put(hmac(caKey, body)).array();
    }

    private boolean trusted(String signer, byte[] cert) {
        if (cert.length < 1 + 32 || cert.length != 1 + (cert[0] & 0xff) + 32) {
            return false;
        }
        byte[] body = Arrays.copyOf(cert, cert.length - 32);
        String named = new String(body, 1, body.length - 1, StandardCharsets.UTF_8);
        return named.equals(signer) && Arrays.equals(hmac(caSecret, body), Arrays.copyOfRange(cert, body.length, cert.length));
    }

    static byte[] signature(byte[] key, byte[] data) {
        byte[] h = hmac(key, data);
        return ByteBuffer.allocate(64).put(h).put(h).array();
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One node's key and certificate; as a {@link ClaimAuthority}, it verifies against this CA. */
    final class Identity implements ClaimAuthority {
        final String name;
        private final byte[] secret;
        private final byte[] certificate;
        private final Map<String, byte[]> known = new HashMap<>();

        private Identity(String name, byte[] secret, byte[] certificate) {
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
            if (signature.length != 64) {
                throw new AssertionError("the core passed a " + signature.length + "-byte signature");
            }
            byte[] use = cert;
            if (use == null) {
                use = known.get(signer);
                if (use == null) {
                    return Verdict.UNKNOWN_SIGNER;
                }
            } else if (!trusted(signer, use)) {
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
            return "TestCa.Identity[" + name + "]";
        }
    }
}
