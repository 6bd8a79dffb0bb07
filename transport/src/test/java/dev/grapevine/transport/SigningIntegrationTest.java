package dev.grapevine.transport;

import static dev.grapevine.transport.TlsIntegrationTest.awaitMembers;
import static dev.grapevine.transport.TlsIntegrationTest.names;
import static dev.grapevine.transport.TlsIntegrationTest.node;
import static dev.grapevine.transport.TlsIntegrationTest.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.membership.Rejection;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signing mode over real sockets, alone and together with TLS. */
@Tag("integration")
class SigningIntegrationTest {
    @TempDir
    Path dir;

    /**
     * No honest claim was refused. (A signed claim that overtakes its signer's first alive is
     * dropped as UNKNOWN_SIGNER and arrives again by gossip or push/pull; that is not a refusal.)
     */
    private static void assertNoRefusals(GrapevineNode n) {
        for (Rejection r : List.of(Rejection.FORGED, Rejection.BAD_SIGNATURE, Rejection.UNTRUSTED_CERTIFICATE,
                Rejection.UNSIGNED, Rejection.PEER_MISMATCH, Rejection.VETOED)) {
            assertEquals(0, rejected(n, r), n.name() + ": " + n.metrics().core().rejections());
        }
    }

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
                assertNoRefusals(n);
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
                assertNoRefusals(x);
            }
        }
    }

    @Test
    void serfModeWithTlsAndSigningConvergesAndCarriesUserEvents() {
        TestPki pki = new TestPki(dir, "cluster");
        try (TestNodes nodes = new TestNodes()) {
            List<SerfEvent> events = new CopyOnWriteArrayList<>();
            GrapevineNode[] n = new GrapevineNode[3];
            for (int i = 0; i < 3; i++) {
                TestPki.Files f = pki.issue("g" + i, KeyAlgorithm.ED25519);
                GrapevineNode.Builder b = node("g" + i).tls(TlsMode.REQUIRED, pki.tls(f))
                        .signing(TestPki.identity(f), pki.trust()).serf(SerfConfig.defaults())
                        .tags(Map.of("role", "r" + i));
                if (i == 2) {
                    b.serfListener(events::add);
                }
                n[i] = nodes.start(b);
            }
            assertEquals(1, n[1].join(TestNodes.seed(n[0])));
            assertEquals(1, n[2].join(TestNodes.seed(n[0])));
            awaitMembers(List.of(n), List.of("g0", "g1", "g2"));
            n[0].userEvent("deploy", "v2".getBytes(StandardCharsets.UTF_8), false);
            Await.until(Duration.ofSeconds(30), "g2 to get the signed user event", () -> events.stream().anyMatch(
                    e -> e instanceof SerfEvent.User u && u.name().equals("deploy")));
            for (GrapevineNode x : n) {
                assertEquals(0, x.metrics().tlsHandshakeFailures(), x.name());
                assertNoRefusals(x);
            }
        }
    }
}
