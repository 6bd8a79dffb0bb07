package dev.grapevine.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterTrustTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    @TempDir
    Path dir;
    private TestClock clock;
    private ClusterCa ca;
    private ClusterTrust trust;

    @BeforeEach
    void setUp() {
        clock = new TestClock(T0);
        ca = ClusterCa.create("cluster CA", KeyAlgorithm.ED25519, Duration.ofDays(30), clock);
        trust = ClusterTrust.of(List.of(ca.certificate()), clock);
    }

    @Test
    void trustedNodeCertificate() {
        X509Certificate c = ca.issue("node-1", KeyAlgorithm.ED25519, Duration.ofDays(1)).certificate();
        assertNull(trust.check(c, "node-1"));
        assertNull(trust.check(c, null));
        assertEquals(Optional.of("node-1"), trust.nodeName(c));
        ClusterTrust.Evaluation e = trust.evaluate(c, "node-1");
        assertTrue(e.trustedAt(T0));
        assertEquals(c.getNotAfter().toInstant(), e.trustedUntil());
    }

    @Test
    void parseTakesExactlyOneDerCertificate() throws Exception {
        X509Certificate c = ca.issue("node-1", KeyAlgorithm.ED25519, Duration.ofDays(1)).certificate();
        byte[] der = c.getEncoded();
        assertEquals(c, Certificates.parse(der));
        // The JDK's factory alone takes each of these as the same certificate (found by fuzzing).
        byte[] trailing = Arrays.copyOf(der, der.length + 1);
        assertThrows(PkiException.class, () -> Certificates.parse(trailing));
        byte[] pem = ("-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder().encodeToString(der)
                + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII);
        assertThrows(PkiException.class, () -> Certificates.parse(pem));
        assertThrows(PkiException.class, () -> Certificates.parse(new byte[0]));
    }

    @Test
    void otherCaRefusedEvenWithTheSameName() {
        ClusterCa impostor = ClusterCa.create("cluster CA", KeyAlgorithm.ED25519, Duration.ofDays(30), clock);
        X509Certificate c = impostor.issue("node-1", KeyAlgorithm.ED25519, Duration.ofDays(1)).certificate();
        assertEquals("not issued by a cluster CA (issuer CN=cluster CA)", trust.check(c, "node-1"));
        ClusterCa ecImpostor = ClusterCa.create("cluster CA", KeyAlgorithm.ECDSA_P256, Duration.ofDays(30), clock);
        X509Certificate c2 = ecImpostor.issue("node-1", KeyAlgorithm.ED25519, Duration.ofDays(1)).certificate();
        assertTrue(trust.check(c2, "node-1").startsWith("not issued by a cluster CA"));
    }

    @Test
    void ecdsaCaSignaturesChecked() {
        ClusterCa ec = ClusterCa.create("ec CA", KeyAlgorithm.ECDSA_P256, Duration.ofDays(30), clock);
        ClusterCa ec2 = ClusterCa.create("ec CA", KeyAlgorithm.ECDSA_P256, Duration.ofDays(30), clock);
        ClusterTrust t = ClusterTrust.of(List.of(ec.certificate()), clock);
        assertNull(t.check(ec.issue("n", KeyAlgorithm.ECDSA_P256, Duration.ofDays(1)).certificate(), "n"));
        assertTrue(t.check(ec2.issue("n", KeyAlgorithm.ECDSA_P256, Duration.ofDays(1)).certificate(), "n")
                .startsWith("not issued by a cluster CA"));
    }

    @Test
    void validityPeriod() {
        KeyPair keys = KeyAlgorithm.ED25519.generate();
        X509Certificate c = ca.issue("node-1", keys, T0.plus(Duration.ofHours(1)), T0.plus(Duration.ofHours(2)))
                .certificate();
        assertTrue(trust.check(c, "node-1").startsWith("not valid before 2030-01-01T01:00:00Z"));
        clock.advance(Duration.ofMinutes(90));
        assertNull(trust.check(c, "node-1"));
        clock.advance(Duration.ofMinutes(31));
        assertEquals("expired at 2030-01-01T02:00:00Z", trust.check(c, "node-1"));
    }

    @Test
    void expiredCaRefusesItsCertificates() {
        X509Certificate c = ca.issue("node-1", KeyAlgorithm.ED25519.generate(), T0, T0.plus(Duration.ofDays(60)))
                .certificate();
        assertEquals(ca.certificate().getNotAfter().toInstant(), trust.evaluate(c, null).trustedUntil());
        clock.advance(Duration.ofDays(31));
        assertEquals("the issuing cluster CA is outside its validity", trust.check(c, "node-1"));
    }

    @Test
    void wrongName() {
        X509Certificate c = ca.issue("node-1", KeyAlgorithm.ED25519, Duration.ofDays(1)).certificate();
        assertEquals("names [node-1], not node-2", trust.check(c, "node-2"));
        assertEquals("names [node-1], not NODE-1", trust.check(c, "NODE-1"));
    }

    @Test
    void noSubjectAlternativeName() throws Exception {
        X509Certificate c = custom(b -> { });
        assertEquals("no DNS name in its subject alternative names", trust.check(c, null));
        assertEquals(Optional.empty(), trust.nodeName(c));
    }

    @Test
    void severalNamesMatchButNameNoSingleNode() throws Exception {
        X509Certificate c = custom(b -> add(b, Extension.subjectAlternativeName, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "a"), new GeneralName(GeneralName.dNSName, "b")})));
        assertNull(trust.check(c, "b"));
        assertEquals(Optional.empty(), trust.nodeName(c));
        assertEquals(List.of("a", "b"), Certificates.dnsNames(c));
    }

    @Test
    void reasonsAreSafeLogText() throws Exception {
        X509Certificate c = custom(b -> add(b, Extension.subjectAlternativeName,
                new GeneralNames(new GeneralName(GeneralName.dNSName, "evil\nINFO forged log line"))));
        assertEquals("names [evil?INFO forged log line], not node-1", trust.check(c, "node-1"));
        assertEquals(203, ClusterTrust.printable("x".repeat(500)).length());
    }

    @Test
    void keyUsageWithoutDigitalSignatureRefused() throws Exception {
        X509Certificate c = custom(b -> {
            add(b, Extension.subjectAlternativeName, new GeneralNames(new GeneralName(GeneralName.dNSName, "n")));
            add(b, Extension.keyUsage, new KeyUsage(KeyUsage.keyEncipherment));
        });
        assertEquals("its key usage does not allow digital signatures", trust.check(c, "n"));
    }

    @Test
    void caCertificateIsNotANode() {
        assertEquals("a CA certificate, not a node's", trust.check(ca.certificate(), null));
        assertEquals("no certificate", trust.check(null, null));
    }

    @Test
    void rolloverTrustsBothCas() {
        ClusterCa next = ClusterCa.create("cluster CA 2", KeyAlgorithm.ECDSA_P256, Duration.ofDays(30), clock);
        ClusterTrust both = ClusterTrust.of(List.of(ca.certificate(), next.certificate()), clock);
        assertNull(both.check(ca.issue("a", KeyAlgorithm.ED25519, Duration.ofDays(1)).certificate(), "a"));
        assertNull(both.check(next.issue("b", KeyAlgorithm.ED25519, Duration.ofDays(1)).certificate(), "b"));
        assertThrows(PkiException.class, () -> ClusterTrust.of(List.of(), clock));
    }

    @Test
    void nodeNamesAreCheckedWhenIssuing() {
        assertThrows(IllegalArgumentException.class, () -> ca.issue("", KeyAlgorithm.ED25519, Duration.ofDays(1)));
        assertThrows(IllegalArgumentException.class, () -> ca.issue("a b", KeyAlgorithm.ED25519, Duration.ofDays(1)));
        assertThrows(IllegalArgumentException.class, () -> ca.issue("nœud", KeyAlgorithm.ED25519, Duration.ofDays(1)));
        // Names the JDK's DNS syntax would refuse still work: read with BouncyCastle's parser.
        X509Certificate c = ca.issue("node_1:7946", KeyAlgorithm.ED25519, Duration.ofDays(1)).certificate();
        assertNull(trust.check(c, "node_1:7946"));
    }

    /** A node certificate from the CA with only the extensions {@code extensions} adds. */
    private X509Certificate custom(Consumer<X509v3CertificateBuilder> extensions) throws Exception {
        ca.write(dir.resolve("ca.pem"), dir.resolve("ca.key"));
        PrivateKey caKey = Pem.readPrivateKey(dir.resolve("ca.key"));
        KeyPair keys = KeyAlgorithm.ED25519.generate();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()), BigInteger.TEN,
                Date.from(T0.minusSeconds(60)), Date.from(T0.plusSeconds(3600)), new X500Name("CN=custom"),
                keys.getPublic());
        extensions.accept(b);
        return Pem.certificate(b.build(new JcaContentSignerBuilder("Ed25519").build(caKey)).getEncoded());
    }

    private static void add(X509v3CertificateBuilder b, org.bouncycastle.asn1.ASN1ObjectIdentifier oid,
                            org.bouncycastle.asn1.ASN1Encodable value) {
        try {
            b.addExtension(oid, false, value);
        } catch (org.bouncycastle.cert.CertIOException e) {
            throw new IllegalStateException(e);
        }
    }
}
