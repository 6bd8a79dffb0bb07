package dev.grapevine.crypto.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.membership.ClaimAuthority.Verdict;
import dev.grapevine.membership.wire.SignedCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CertificateClaimAuthorityTest {

    @Test
    void verdicts() {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        IssuedCertificate a = ca.issue("node-a", KeyAlgorithm.ED25519, Duration.ofHours(1));
        IssuedCertificate b = ca.issue("node-b", KeyAlgorithm.ED25519, Duration.ofHours(1));
        CertificateClaimAuthority authA = new CertificateClaimAuthority(ca.trust(),
                NodeIdentity.of(a.certificate(), a.privateKey()), 100);
        CertificateClaimAuthority authB = new CertificateClaimAuthority(ca.trust(),
                NodeIdentity.of(b.certificate(), b.privateKey()), 100);
        byte[] signed = SignedCodec.signedBytes("node-b", "payload".getBytes(StandardCharsets.UTF_8));
        byte[] sig = authB.sign(signed);
        assertEquals(Verdict.UNKNOWN_SIGNER, authA.verify("node-b", sig, null, signed));
        assertEquals(Verdict.OK, authA.verify("node-b", sig, authB.certificate(), signed));
        assertEquals(Verdict.OK, authA.verify("node-b", sig, null, signed));
        sig[0] ^= 1;
        assertEquals(Verdict.BAD_SIGNATURE, authA.verify("node-b", sig, null, signed));
        assertEquals(Verdict.UNTRUSTED_CERTIFICATE, authA.verify("node-a", sig, authB.certificate(), signed));
    }
}
