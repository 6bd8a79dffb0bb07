package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.KeyAlgorithm;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and signing settings the builder refuses before any socket is opened. */
class SecurityBuilderTest {
    @TempDir
    Path dir;

    @Test
    void aCertificateForAnotherNodeIsRefused() {
        TestPki pki = new TestPki(dir, "cluster");
        TestPki.Files f = pki.issue("other", KeyAlgorithm.ED25519);
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> GrapevineNode.builder().name("me")
                .bind("127.0.0.1:0").signing(TestPki.identity(f), pki.trust()).start());
        assertTrue(s.getMessage().contains("'me'") && s.getMessage().contains("'other'"), s.getMessage());
        IllegalStateException t = assertThrows(IllegalStateException.class, () -> GrapevineNode.builder().name("me")
                .bind("127.0.0.1:0").tls(TlsMode.REQUIRED, pki.tls(f)).start());
        assertTrue(t.getMessage().contains("SAN DNS"), t.getMessage());
    }

    @Test
    void requiredTlsNeedsItsMaterial() {
        assertThrows(NullPointerException.class, () -> GrapevineNode.builder().tls(TlsMode.REQUIRED, null));
        GrapevineNode.builder().tls(TlsMode.OFF, null); // off needs nothing
    }
}
