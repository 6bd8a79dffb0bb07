package dev.grapevine.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PemTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void roundTrip(KeyAlgorithm alg) throws Exception {
        ClusterCa ca = ClusterCa.create("test CA", alg, Duration.ofDays(1));
        IssuedCertificate node = ca.issue("node-1", alg, Duration.ofHours(1));
        Path cert = dir.resolve("node.pem");
        Path key = dir.resolve("node.key");
        node.write(cert, key);
        List<X509Certificate> certs = Pem.readCertificates(cert);
        assertEquals(List.of(node.certificate()), certs);
        PrivateKey read = Pem.readPrivateKey(key);
        assertArrayEquals(node.privateKey().getEncoded(), read.getEncoded());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(cert)));
        IssuedCertificate loaded = IssuedCertificate.load(cert, key);
        assertEquals("node-1", loaded.nodeName());
    }

    @Test
    void missingFile() {
        PkiException e = assertThrows(PkiException.class, () -> Pem.readCertificates(dir.resolve("nope.pem")));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }
}
