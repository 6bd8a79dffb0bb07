package dev.grapevine.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PemTest {
    @TempDir
    Path dir;

    private static final ClusterCa CA = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void roundTrip(KeyAlgorithm alg) throws Exception {
        ClusterCa ca = ClusterCa.create("test CA", alg, Duration.ofDays(1));
        IssuedCertificate node = ca.issue("node-1", alg, Duration.ofHours(1));
        Path cert = dir.resolve("node.pem");
        Path key = dir.resolve("node.key");
        node.write(cert, key);
        assertEquals(List.of(node.certificate()), Pem.readCertificates(cert));
        PrivateKey read = Pem.readPrivateKey(key);
        assertArrayEquals(node.privateKey().getEncoded(), read.getEncoded());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(cert)));
        assertTrue(Files.readString(key).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertEquals("node-1", IssuedCertificate.load(cert, key).nodeName());
        ca.write(dir.resolve("ca.pem"), dir.resolve("ca.key"));
        ClusterCa loaded = ClusterCa.load(dir.resolve("ca.pem"), dir.resolve("ca.key"));
        assertEquals(ca.certificate(), loaded.certificate());
        assertEquals(null, loaded.trust().check(loaded.issue("node-2", alg, Duration.ofHours(1)).certificate(),
                "node-2"));
    }

    @Test
    void bundleOfCertificates() {
        ClusterCa other = ClusterCa.create("other CA", KeyAlgorithm.ECDSA_P256, Duration.ofDays(1));
        Path bundle = dir.resolve("cas.pem");
        Pem.writeCertificates(bundle, List.of(CA.certificate(), other.certificate()));
        assertEquals(List.of(CA.certificate(), other.certificate()), Pem.readCertificates(bundle));
    }

    @Test
    void textAroundTheBlocksIsIgnored() throws Exception {
        Path cert = dir.resolve("c.pem");
        Pem.writeCertificates(cert, List.of(CA.certificate()));
        Files.writeString(cert, "Certificate:\n    Data: as openssl x509 -text prints it\n" + Files.readString(cert)
                + "trailing words\n");
        assertEquals(List.of(CA.certificate()), Pem.readCertificates(cert));
    }

    @Test
    void windowsLineEndings() throws Exception {
        IssuedCertificate node = CA.issue("node-1", KeyAlgorithm.ED25519, Duration.ofHours(1));
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        node.write(cert, key);
        Files.writeString(cert, Files.readString(cert).replace("\n", "\r\n"));
        Files.writeString(key, Files.readString(key).replace("\n", "\r\n"));
        assertEquals(List.of(node.certificate()), Pem.readCertificates(cert));
        assertArrayEquals(node.privateKey().getEncoded(), Pem.readPrivateKey(key).getEncoded());
    }

    @Test
    void writeReplacesAtomicallyAndTightensPermissions() throws Exception {
        Path key = dir.resolve("k.pem");
        Files.writeString(key, "old");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        IssuedCertificate node = CA.issue("node-1", KeyAlgorithm.ED25519, Duration.ofHours(1));
        Pem.writePrivateKey(key, node.privateKey());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertArrayEquals(node.privateKey().getEncoded(), Pem.readPrivateKey(key).getEncoded());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(key), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void missingFile() {
        PkiException e = assertThrows(PkiException.class, () -> Pem.readCertificates(dir.resolve("nope.pem")));
        assertTrue(e.getMessage().endsWith("nope.pem: no such file"), e.getMessage());
        assertThrows(PkiException.class, () -> Pem.readPrivateKey(dir.resolve("nope.key")));
    }

    @Test
    void truncatedCertificate() throws Exception {
        Path cert = dir.resolve("c.pem");
        Pem.writeCertificates(cert, List.of(CA.certificate()));
        String full = Files.readString(cert);
        Files.writeString(cert, full.substring(0, full.length() / 2));
        PkiException e = assertThrows(PkiException.class, () -> Pem.readCertificates(cert));
        assertTrue(e.getMessage().contains("not a valid PEM certificate file"), e.getMessage());
        // Cut inside the base64 but with the END line kept: the DER is short.
        String[] lines = full.split("\n");
        String shortened = lines[0] + "\n" + lines[1] + "\n" + lines[lines.length - 1] + "\n";
        Files.writeString(cert, shortened);
        assertThrows(PkiException.class, () -> Pem.readCertificates(cert));
    }

    @Test
    void garbage() throws Exception {
        Path f = dir.resolve("g.pem");
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        Files.write(f, noise);
        assertThrows(PkiException.class, () -> Pem.readCertificates(f));
        assertThrows(PkiException.class, () -> Pem.readPrivateKey(f));
        Files.writeString(f, "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
        assertThrows(PkiException.class, () -> Pem.readCertificates(f));
        Files.writeString(f, "just some text\n");
        PkiException e = assertThrows(PkiException.class, () -> Pem.readCertificates(f));
        assertTrue(e.getMessage().contains("no certificate found"), e.getMessage());
        Files.writeString(f, "");
        assertThrows(PkiException.class, () -> Pem.readPrivateKey(f));
    }

    @Test
    void wrongType() {
        IssuedCertificate node = CA.issue("node-1", KeyAlgorithm.ED25519, Duration.ofHours(1));
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        node.write(cert, key);
        PkiException e1 = assertThrows(PkiException.class, () -> Pem.readCertificates(key));
        assertTrue(e1.getMessage().contains("expected certificates, found a private key"), e1.getMessage());
        PkiException e2 = assertThrows(PkiException.class, () -> Pem.readPrivateKey(cert));
        assertTrue(e2.getMessage().contains("expected a private key, found a certificate"), e2.getMessage());
    }

    @Test
    void unsupportedKeys() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        Path f = dir.resolve("rsa.pem");
        writePem(f, "PRIVATE KEY", rsa.generateKeyPair().getPrivate().getEncoded());
        PkiException e = assertThrows(PkiException.class, () -> Pem.readPrivateKey(f));
        assertTrue(e.getMessage().contains("only Ed25519 and ECDSA P-256"), e.getMessage());
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp384r1"));
        writePem(f, "PRIVATE KEY", ec.generateKeyPair().getPrivate().getEncoded());
        e = assertThrows(PkiException.class, () -> Pem.readPrivateKey(f));
        assertTrue(e.getMessage().contains("other than P-256"), e.getMessage());
        writePem(f, "ENCRYPTED PRIVATE KEY", new byte[] {0x30, 0x00});
        assertThrows(PkiException.class, () -> Pem.readPrivateKey(f));
    }

    @Test
    void twoKeysRefused() throws Exception {
        IssuedCertificate a = CA.issue("a", KeyAlgorithm.ED25519, Duration.ofHours(1));
        IssuedCertificate b = CA.issue("b", KeyAlgorithm.ED25519, Duration.ofHours(1));
        Path ka = dir.resolve("a.key");
        Path kb = dir.resolve("b.key");
        Pem.writePrivateKey(ka, a.privateKey());
        Pem.writePrivateKey(kb, b.privateKey());
        Path both = dir.resolve("both.key");
        Files.writeString(both, Files.readString(ka) + Files.readString(kb));
        PkiException e = assertThrows(PkiException.class, () -> Pem.readPrivateKey(both));
        assertTrue(e.getMessage().contains("more than one private key"), e.getMessage());
    }

    @Test
    void oversized() throws Exception {
        Path cert = dir.resolve("big.pem");
        Pem.writeCertificates(cert, List.of(CA.certificate()));
        String one = Files.readString(cert);
        Files.writeString(cert, one.repeat(Pem.MAX_FILE_BYTES / one.length() + 1));
        PkiException e = assertThrows(PkiException.class, () -> Pem.readCertificates(cert));
        assertTrue(e.getMessage().contains("larger than"), e.getMessage());
    }

    @Test
    void keyMaterialNeverInMessagesOrToString() throws Exception {
        IssuedCertificate node = CA.issue("node-1", KeyAlgorithm.ED25519, Duration.ofHours(1));
        byte[] der = node.privateKey().getEncoded();
        // A key block whose body is damaged at the end: the parser sees the key bytes, the message must not.
        String b64 = Base64.getEncoder().encodeToString(der);
        Path f = dir.resolve("bad.key");
        Files.writeString(f, "-----BEGIN PRIVATE KEY-----\n" + b64.substring(0, b64.length() - 4) + "@@@@\n"
                + "-----END PRIVATE KEY-----\n");
        PkiException e = assertThrows(PkiException.class, () -> Pem.readPrivateKey(f));
        assertFalse(e.getMessage().contains(b64.substring(0, 16)), e.getMessage());
        assertTrue(e.getCause() == null, "no cause that could carry parser detail");
        String s = node.toString();
        byte[] raw = Arrays.copyOfRange(der, der.length - 32, der.length);
        assertFalse(s.contains(HexFormat.of().formatHex(raw)), s);
        assertFalse(s.contains(Base64.getEncoder().encodeToString(raw).substring(0, 12)), s);
        assertTrue(s.contains("CN=node-1"), s);
    }

    private static void writePem(Path f, String type, byte[] der) throws Exception {
        StringWriter out = new StringWriter();
        try (PemWriter w = new PemWriter(out)) {
            w.writeObject(new PemObject(type, der));
        }
        Files.write(f, out.toString().getBytes(StandardCharsets.US_ASCII));
    }

    static X509Certificate only(List<X509Certificate> certs) {
        assertEquals(1, certs.size());
        return certs.get(0);
    }
}
