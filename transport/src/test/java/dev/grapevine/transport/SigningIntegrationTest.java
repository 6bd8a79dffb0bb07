package dev.grapevine.transport;

import static dev.grapevine.transport.TlsIntegrationTest.awaitMembers;
import static dev.grapevine.transport.TlsIntegrationTest.names;
import static dev.grapevine.transport.TlsIntegrationTest.node;
import static dev.grapevine.transport.TlsIntegrationTest.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.membership.Rejection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signing mode over real sockets, alone and together with TLS. */
@Tag("integration")
class SigningIntegrationTest {
    @TempDir
    Path dir;

    private static GrapevineNode.Builder signed(TestPki pki, String name) {
        TestPki.Files f = pki.issue(name, KeyAlgorithm.ED25519);
        return node(name).signing(TestPki.identity(f), pki.trust());
    }

    @Test
    void threeSigningNodesConvergeAndAnImpostorIsRefused() {
        TestPki pki = new TestPki(dir, "cluster");
        try (TestNodes nodes = new TestNodes()) {
            GrapevineNode s0 = nodes.start(signed(pki, "s0"));
            GrapevineNode s1 = nodes.start(signed(pki, "s1"));
            GrapevineNode s2 = nodes.start(signed(pki, "s2"));
            assertEquals(1, s1.join(TestNodes.seed(s0)));
            assertEquals(1, s2.join(TestNodes.seed(s1)));
            List<GrapevineNode> all = List.of(s0, s1, s2);
            awaitMembers(all, List.of("s0", "s1", "s2"));
            for (GrapevineNode n : all) {
                assertEquals(0, n.metrics().core().totalRejections(), n.name() + ": " + n.metrics().core().rejections());
            }

            // A node with a valid certificate for "y" that announces itself as "sx": its claims are
            // signed as "sx" with a certificate that does not name it.
            GrapevineNode.Builder b = node("sx").signing(TestPki.identity(pki.issue("sx-files", "y",
                    KeyAlgorithm.ED25519)), pki.trust());
            b.skipIdentityNameCheck = true;
            GrapevineNode impostor = nodes.start(b);
            impostor.join(TestNodes.seed(s0)); // s0 answers (it serves anyone its signed state) but takes nothing
            Await.until(Duration.ofSeconds(30), "s0 to refuse the impostor's certificate",
                    () -> rejected(s0, Rejection.UNTRUSTED_CERTIFICATE) >= 1);
            for (GrapevineNode n : all) {
                assertEquals(List.of("s0", "s1", "s2"), names(n), n.name());
            }
        }
    }

    @Test
    void signingAndTlsTogetherConverge() {
        TestPki pki = new TestPki(dir, "cluster");
        try (TestNodes nodes = new TestNodes()) {
            GrapevineNode[] n = new GrapevineNode[3];
            for (int i = 0; i < 3; i++) {
                TestPki.Files f = pki.issue("t" + i, KeyAlgorithm.ED25519);
                n[i] = nodes.start(node("t" + i).tls(TlsMode.REQUIRED, pki.tls(f))
                        .signing(TestPki.identity(f), pki.trust()));
            }
            assertEquals(1, n[1].join(TestNodes.seed(n[0])));
            assertEquals(1, n[2].join(TestNodes.seed(n[1])));
            awaitMembers(List.of(n), List.of("t0", "t1", "t2"));
            for (GrapevineNode x : n) {
                assertEquals(0, x.metrics().tlsHandshakeFailures(), x.name());
                assertEquals(0, x.metrics().core().totalRejections(), x.name() + ": " + x.metrics().core().rejections());
            }
        }
    }

    @Test
    void theBuilderRefusesACertificateForAnotherNode() {
        TestPki pki = new TestPki(dir, "cluster");
        TestPki.Files f = pki.issue("other", KeyAlgorithm.ED25519);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> node("me").signing(TestPki.identity(f), pki.trust()).start());
        assertTrue(e.getMessage().contains("'other'"), e.getMessage());
        IllegalStateException t = assertThrows(IllegalStateException.class,
                () -> node("me").tls(TlsMode.REQUIRED, pki.tls(f)).start());
        assertTrue(t.getMessage().contains("SAN DNS"), t.getMessage());
    }
}
