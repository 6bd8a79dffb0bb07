package dev.grapevine.crypto.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.crypto.pki.PkiException;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeIdentityTest {
    private static final ClusterCa CA = ClusterCa.create("CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
    @TempDir
    Path dir;

    @Test
    void signaturesVerifyWithTheJdk() throws Exception {
        IssuedCertificate c = CA.issue("node-1", KeyAlgorithm.ED25519, Duration.ofHours(1));
        c.write(dir.resolve("n.pem"), dir.resolve("n.key"));
        NodeIdentity id = NodeIdentity.load(dir.resolve("n.pem"), dir.resolve("n.key"));
        assertEquals("node-1", id.nodeName());
        byte[] data = "claim".getBytes();
        byte[] sig = id.sign(data);
        assertEquals(64, sig.length);
        Signature v = Signature.getInstance("Ed25519");
        v.initVerify(c.certificate().getPublicKey());
        v.update(data);
        assertTrue(v.verify(sig));
        // Ed25519 is deterministic: the JDK's signature over the same data is the same.
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(c.privateKey());
        s.update(data);
        assertEquals(HexFormat.of().formatHex(s.sign()), HexFormat.of().formatHex(sig));
        assertEquals(c.certificate(), id.certificate());
        assertFalse(id.toString().contains(HexFormat.of().formatHex(c.privateKey().getEncoded()).substring(32)));
    }

    @Test
    void refusesWhatCannotSign() {
        IssuedCertificate ec = CA.issue("node-e", KeyAlgorithm.ECDSA_P256, Duration.ofHours(1));
        PkiException e = assertThrows(PkiException.class, () -> NodeIdentity.of(ec.certificate(), ec.privateKey()));
        assertTrue(e.getMessage().contains("Ed25519"), e.getMessage());
        IssuedCertificate a = CA.issue("node-a", KeyAlgorithm.ED25519, Duration.ofHours(1));
        IssuedCertificate b = CA.issue("node-b", KeyAlgorithm.ED25519, Duration.ofHours(1));
        e = assertThrows(PkiException.class, () -> NodeIdentity.of(a.certificate(), b.privateKey()));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
    }
}
