package dev.grapevine.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files written by the openssl command line read here, and ours read by openssl. Skipped without openssl. */
class OpensslInteropTest {
    @TempDir
    Path dir;

    @Test
    void ed25519KeyFromGenpkey() throws Exception {
        Openssl o = new Openssl(dir);
        o.run("genpkey", "-algorithm", "ed25519", "-out", "k.pem");
        PrivateKey k = Pem.readPrivateKey(o.path("k.pem"));
        assertEquals("EdDSA", k.getAlgorithm());
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(k);
        s.update(new byte[] {1, 2, 3});
        assertEquals(64, s.sign().length);
    }

    @Test
    void p256KeysFromGenpkeyAndEcparam() {
        Openssl o = new Openssl(dir);
        o.run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "pkcs8.pem");
        assertEquals("EC", Pem.readPrivateKey(o.path("pkcs8.pem")).getAlgorithm());
        // SEC 1 form, preceded by an EC PARAMETERS block.
        o.run("ecparam", "-name", "prime256v1", "-genkey", "-out", "sec1.pem");
        assertEquals("EC", Pem.readPrivateKey(o.path("sec1.pem")).getAlgorithm());
        o.run("ec", "-in", "sec1.pem", "-out", "sec1-only.pem");
        assertEquals("EC", Pem.readPrivateKey(o.path("sec1-only.pem")).getAlgorithm());
    }

    @Test
    void otherCurvesAndEncryptedKeysRefused() {
        Openssl o = new Openssl(dir);
        o.run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.pem");
        PkiException e = assertThrows(PkiException.class, () -> Pem.readPrivateKey(o.path("p384.pem")));
        assertTrue(e.getMessage().contains("other than P-256"), e.getMessage());
        o.run("genpkey", "-algorithm", "ed25519", "-aes-256-cbc", "-pass", "pass:secret", "-out", "enc.pem");
        e = assertThrows(PkiException.class, () -> Pem.readPrivateKey(o.path("enc.pem")));
        assertTrue(e.getMessage().contains("encrypted private keys are not supported"), e.getMessage());
        o.run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem");
        e = assertThrows(PkiException.class, () -> Pem.readPrivateKey(o.path("rsa.pem")));
        assertTrue(e.getMessage().contains("only Ed25519 and ECDSA P-256"), e.getMessage());
    }

    @Test
    void opensslCaAndNodeEd25519() {
        caAndNode("genpkey", "-algorithm", "ed25519");
    }

    @Test
    void opensslCaAndNodeP256() {
        caAndNode("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
    }

    private void caAndNode(String... genpkey) {
        Openssl o = new Openssl(dir);
        o.makeCaAndNode("node-o", genpkey);
        ClusterTrust trust = ClusterTrust.load(o.path("ca.pem"));
        IssuedCertificate node = IssuedCertificate.load(o.path("node.pem"), o.path("node.key"));
        assertNull(trust.check(node.certificate(), "node-o"));
        assertEquals("node-o", node.nodeName());

        // The openssl CA issues through ClusterCa, and openssl verifies what it issued.
        ClusterCa ca = ClusterCa.load(o.path("ca.pem"), o.path("ca.key"));
        IssuedCertificate ours = ca.issue("node-j", KeyAlgorithm.ED25519, Duration.ofHours(1));
        ours.write(o.path("ours.pem"), o.path("ours.key"));
        assertTrue(o.run("verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "ours.pem").contains("OK"));
        assertTrue(o.run("verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "ours.pem").contains("OK"));
        assertTrue(o.run("x509", "-in", "ours.pem", "-noout", "-ext", "subjectAltName").contains("DNS:node-j"));
        o.run("pkey", "-in", "ours.key", "-noout");
        assertNull(trust.check(ours.certificate(), "node-j"));
    }

    @Test
    void ourCaVerifiedByOpenssl() {
        Openssl o = new Openssl(dir);
        for (KeyAlgorithm alg : KeyAlgorithm.values()) {
            ClusterCa ca = ClusterCa.create("grapevine CA", alg, Duration.ofDays(1));
            ca.write(o.path("gca.pem"), o.path("gca.key"));
            ca.issue("node-1", alg, Duration.ofHours(1)).write(o.path("n.pem"), o.path("n.key"));
            String out = o.run("verify", "-x509_strict", "-CAfile", "gca.pem", "n.pem");
            assertTrue(out.contains("n.pem: OK"), out);
            o.run("pkey", "-in", "gca.key", "-noout");
            assertEquals(List.of(ca.certificate()), Pem.readCertificates(o.path("gca.pem")));
        }
    }
}
