package dev.grapevine.crypto.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.crypto.pki.TestClock;
import dev.grapevine.membership.ClaimAuthority.Verdict;
import dev.grapevine.membership.wire.DecodeResult;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.SignedCodec;
import dev.grapevine.membership.wire.WireEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CertificateClaimAuthorityTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration DAY = Duration.ofDays(1);
    private TestClock clock;
    private ClusterCa ca;
    private ClusterTrust trust;
    private CertificateClaimAuthority local;

    @BeforeEach
    void setUp() {
        clock = new TestClock(T0);
        ca = ClusterCa.create("cluster CA", KeyAlgorithm.ED25519, Duration.ofDays(365), clock);
        trust = ClusterTrust.of(List.of(ca.certificate()), clock);
        local = authority("node-a", 100);
    }

    private CertificateClaimAuthority authority(String name, int cacheSize) {
        IssuedCertificate c = ca.issue(name, KeyAlgorithm.ED25519, DAY);
        return new CertificateClaimAuthority(trust, NodeIdentity.of(c.certificate(), c.privateKey()), cacheSize);
    }

    private static byte[] bytes(String signer, String payload) {
        return SignedCodec.signedBytes(signer, payload.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void verdicts() {
        CertificateClaimAuthority b = authority("node-b", 100);
        byte[] signed = bytes("node-b", "payload");
        byte[] sig = b.sign(signed);
        assertEquals(Verdict.UNKNOWN_SIGNER, local.verify("node-b", sig, null, signed));
        assertEquals(Verdict.OK, local.verify("node-b", sig, b.certificate(), signed));
        assertEquals(Verdict.OK, local.verify("node-b", sig, null, signed), "the certificate is now known");
        byte[] other = bytes("node-b", "payload2");
        assertEquals(Verdict.BAD_SIGNATURE, local.verify("node-b", sig, null, other));
        byte[] flipped = sig.clone();
        flipped[10] ^= 1;
        assertEquals(Verdict.BAD_SIGNATURE, local.verify("node-b", flipped, null, signed));
        assertEquals(Verdict.BAD_SIGNATURE, local.verify("node-b", new byte[63], null, signed));
        // node-a cannot speak for node-b with node-b's certificate, nor with its own.
        assertEquals(Verdict.UNTRUSTED_CERTIFICATE, local.verify("node-a", sig, b.certificate(), signed));
        byte[] forged = local.sign(signed);
        assertEquals(Verdict.UNTRUSTED_CERTIFICATE, local.verify("node-b", forged, local.certificate(), signed));
        assertEquals(Verdict.BAD_SIGNATURE, local.verify("node-b", forged, b.certificate(), signed));
    }

    @Test
    void untrustedCertificates() {
        ClusterCa other = ClusterCa.create("cluster CA", KeyAlgorithm.ED25519, Duration.ofDays(365), clock);
        IssuedCertificate m = other.issue("node-m", KeyAlgorithm.ED25519, DAY);
        NodeIdentity mallory = NodeIdentity.of(m.certificate(), m.privateKey());
        byte[] signed = bytes("node-m", "hello");
        assertEquals(Verdict.UNTRUSTED_CERTIFICATE, local.verify("node-m", mallory.sign(signed),
                mallory.certificateDer(), signed));
        assertEquals(Verdict.UNKNOWN_SIGNER, local.verify("node-m", mallory.sign(signed), null, signed),
                "an untrusted certificate does not become known");
        // An ECDSA certificate from the cluster CA is trusted for TLS but cannot verify Ed25519 claims.
        IssuedCertificate ec = ca.issue("node-e", KeyAlgorithm.ECDSA_P256, DAY);
        assertEquals(Verdict.UNTRUSTED_CERTIFICATE, local.verify("node-e", new byte[64],
                der(ec), signed));
        byte[] garbage = new byte[300];
        new Random(1).nextBytes(garbage);
        assertEquals(Verdict.UNTRUSTED_CERTIFICATE, local.verify("node-x", new byte[64], garbage, signed));
        assertEquals(Verdict.UNTRUSTED_CERTIFICATE, local.verify("node-x", new byte[64], new byte[0], signed));
        assertEquals(4, local.stats().refusedCertificates());
    }

    @Test
    void expiryIsRecheckedOnCachedCertificates() {
        IssuedCertificate c = ca.issue("node-b", KeyAlgorithm.ED25519.generate(), T0.minusSeconds(60),
                T0.plus(Duration.ofHours(1)));
        NodeIdentity b = NodeIdentity.of(c.certificate(), c.privateKey());
        byte[] signed = bytes("node-b", "x");
        byte[] sig = b.sign(signed);
        assertEquals(Verdict.OK, local.verify("node-b", sig, b.certificateDer(), signed));
        assertEquals(Verdict.OK, local.verify("node-b", sig, null, signed));
        clock.advance(Duration.ofHours(2));
        assertEquals(Verdict.UNTRUSTED_CERTIFICATE, local.verify("node-b", sig, b.certificateDer(), signed));
        assertEquals(Verdict.UNTRUSTED_CERTIFICATE, local.verify("node-b", sig, null, signed));
    }

    @Test
    void cacheHitsOnRepeat() {
        CertificateClaimAuthority b = authority("node-b", 100);
        byte[] signed = bytes("node-b", "payload");
        byte[] sig = b.sign(signed);
        for (int i = 0; i < 5; i++) {
            assertEquals(Verdict.OK, local.verify("node-b", sig, b.certificate(), signed));
        }
        CertificateClaimAuthority.Stats s = local.stats();
        assertEquals(1, s.certificateMisses());
        assertEquals(4, s.certificateHits());
        assertEquals(1, s.verifications());
        assertEquals(4, s.signatureHits());
        assertEquals(1, s.knownSigners());
        // Another claim of the same signer: the certificate is cached, the signature is new work.
        byte[] signed2 = bytes("node-b", "payload 2");
        assertEquals(Verdict.OK, local.verify("node-b", b.sign(signed2), null, signed2));
        assertEquals(2, local.stats().verifications());
        // A failed verification is not cached: it costs every time.
        byte[] bad = sig.clone();
        bad[0] ^= 1;
        local.verify("node-b", bad, null, signed);
        local.verify("node-b", bad, null, signed);
        assertEquals(4, local.stats().verifications());
        assertEquals(2, local.stats().badSignatures());
    }

    @Test
    void cachesAreBounded() {
        CertificateClaimAuthority small = authority("node-a", 4);
        for (int i = 0; i < 12; i++) {
            CertificateClaimAuthority n = authority("node-" + i, 4);
            for (int j = 0; j < 3; j++) {
                byte[] signed = bytes("node-" + i, "claim " + j);
                assertEquals(Verdict.OK, small.verify("node-" + i, n.sign(signed), n.certificate(), signed));
            }
        }
        CertificateClaimAuthority.Stats s = small.stats();
        assertTrue(s.cachedCertificates() <= 4, s.toString());
        assertTrue(s.knownSigners() <= 4, s.toString());
        assertTrue(s.cachedSignatures() <= 16, s.toString());
        assertEquals(36, s.verifications());
    }

    @Test
    void anOlderCertificateDoesNotDisplaceARotatedOne() {
        IssuedCertificate old = ca.issue("node-b", KeyAlgorithm.ED25519.generate(), T0.minusSeconds(3600),
                T0.plus(DAY));
        IssuedCertificate fresh = ca.issue("node-b", KeyAlgorithm.ED25519.generate(), T0.minusSeconds(60),
                T0.plus(DAY));
        NodeIdentity oldId = NodeIdentity.of(old.certificate(), old.privateKey());
        NodeIdentity freshId = NodeIdentity.of(fresh.certificate(), fresh.privateKey());
        byte[] s1 = bytes("node-b", "1");
        byte[] s2 = bytes("node-b", "2");
        assertEquals(Verdict.OK, local.verify("node-b", freshId.sign(s1), freshId.certificateDer(), s1));
        // A replayed claim with the old (still valid) certificate verifies, but does not become the known one.
        assertEquals(Verdict.OK, local.verify("node-b", oldId.sign(s1), oldId.certificateDer(), s1));
        assertEquals(Verdict.OK, local.verify("node-b", freshId.sign(s2), null, s2));
        assertEquals(Verdict.BAD_SIGNATURE, local.verify("node-b", oldId.sign(s2), null, s2));
    }

    @Test
    void signedEnvelopesFromTheCoreCodec() {
        CertificateClaimAuthority b = authority("node-b", 100);
        byte[] payload = WireEncoder.encode(new Message.Alive(3, "node-b", new byte[] {10, 0, 0, 2}, 7946, null,
                new byte[] {1, 5, 2, 2, 5, 5}));
        byte[] envelope = SignedCodec.envelope("node-b", b.sign(SignedCodec.signedBytes("node-b", payload)),
                b.certificate(), payload);
        DecodeResult<Message.Signed> r = SignedCodec.decode(envelope, 0, envelope.length);
        Message.Signed s = r.value();
        assertEquals(Verdict.OK, local.verify(s.signer(), s.signature(), s.certificate(), SignedCodec.signedBytes(s)));
        envelope[envelope.length - 3] ^= 1; // inside the payload
        Message.Signed tampered = SignedCodec.decode(envelope, 0, envelope.length).value();
        if (tampered != null) {
            assertEquals(Verdict.BAD_SIGNATURE, local.verify(tampered.signer(), tampered.signature(),
                    tampered.certificate(), SignedCodec.signedBytes(tampered)));
        }
    }

    @Test
    void rotation() {
        IssuedCertificate next = ca.issue("node-a", KeyAlgorithm.ED25519, DAY);
        NodeIdentity id = NodeIdentity.of(next.certificate(), next.privateKey());
        local.rotate(id);
        assertEquals(id, local.identity());
        assertTrue(java.util.Arrays.equals(id.certificateDer(), local.certificate()));
        IssuedCertificate other = ca.issue("node-z", KeyAlgorithm.ED25519, DAY);
        assertThrows(IllegalArgumentException.class,
                () -> local.rotate(NodeIdentity.of(other.certificate(), other.privateKey())));
        assertThrows(IllegalArgumentException.class, () -> new CertificateClaimAuthority(trust, id, 0));
        assertNull(trust.check(id.certificate(), "node-a"));
    }

    private static byte[] der(IssuedCertificate c) {
        try {
            return c.certificate().getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
