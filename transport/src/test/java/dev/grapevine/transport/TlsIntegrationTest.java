package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.membership.Member;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Rejection;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.WireEncoder;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS-required clusters over real sockets on 127.0.0.1: mutual TLS on every stream, and a node in
 * the member list only once a certificate from the cluster CA naming it has been seen.
 */
@Tag("integration")
class TlsIntegrationTest {
    /** Local timings, with room for a cold JVM's first TLS handshakes. */
    static final MembershipConfig CONFIG = MembershipConfig.local().toBuilder()
            .streamTimeout(Duration.ofSeconds(5)).build();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final byte[] VSN = {1, 5, 2, 0, 0, 0};

    @TempDir
    Path dir;

    static GrapevineNode.Builder node(String name) {
        return GrapevineNode.builder().name(name).bind("127.0.0.1:0").config(CONFIG);
    }

    private GrapevineNode.Builder tlsNode(TestPki pki, String name, KeyAlgorithm alg) {
        return node(name).tls(TlsMode.REQUIRED, pki.tls(pki.issue(name, alg)));
    }

    static List<String> names(GrapevineNode n) {
        return n.members().stream().map(Member::name).sorted().toList();
    }

    static long rejected(GrapevineNode n, Rejection r) {
        return n.metrics().core().rejections().getOrDefault(r, 0L);
    }

    static void awaitMembers(List<GrapevineNode> cluster, List<String> expected) {
        Await.until(WAIT, "every node to see " + expected,
                () -> cluster.stream().allMatch(n -> names(n).equals(expected)),
                () -> cluster.stream().map(n -> n.name() + "=" + names(n)).collect(Collectors.joining(" ")));
    }

    /** Sends an alive about {@code name} at {@code at} to {@code to}, as gossip from a third node would. */
    static void gossipAlive(GrapevineNode to, String name, NodeAddress at, long incarnation) throws IOException {
        byte[] packet = WireEncoder.encode(new Message.Alive((int) incarnation, name, at.ip(), at.port(), null, VSN));
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.send(new DatagramPacket(packet, packet.length, to.advertiseAddress().toInetSocketAddress()));
        }
    }

    @Test
    void threeTlsNodesConvergeWithEd25519AndEcdsaCertificates() {
        TestPki pki = new TestPki(dir, "cluster");
        try (TestNodes nodes = new TestNodes()) {
            GrapevineNode a = nodes.start(tlsNode(pki, "a", KeyAlgorithm.ED25519));
            GrapevineNode b = nodes.start(tlsNode(pki, "b", KeyAlgorithm.ECDSA_P256));
            GrapevineNode c = nodes.start(tlsNode(pki, "c", KeyAlgorithm.ED25519));
            assertEquals(1, b.join(TestNodes.seed(a)));
            assertEquals(1, c.join(TestNodes.seed(b)));
            List<GrapevineNode> all = List.of(a, b, c);
            awaitMembers(all, List.of("a", "b", "c"));
            for (GrapevineNode n : all) {
                assertEquals(0, n.metrics().tlsHandshakeFailures(), n.name());
                assertEquals(0, rejected(n, Rejection.PEER_MISMATCH), n.name());
            }
        }
    }

    @Test
    void aNodeHeardOfOnlyByGossipIsVerifiedByTlsThenAdmitted() throws IOException {
        TestPki pki = new TestPki(dir, "cluster");
        try (TestNodes nodes = new TestNodes()) {
            GrapevineNode a = nodes.start(tlsNode(pki, "a", KeyAlgorithm.ED25519));
            GrapevineNode c = nodes.start(tlsNode(pki, "c", KeyAlgorithm.ED25519));
            long pushPullsBefore = a.metrics().core().pushPullsStarted();
            // a hears of c by an unauthenticated alive only: refused, then verified by a TLS push/pull to c.
            gossipAlive(a, "c", c.advertiseAddress(), c.localMember().incarnation());
            awaitMembers(List.of(a, c), List.of("a", "c"));
            assertEquals(1, rejected(a, Rejection.VETOED), "the gossiped alive itself was refused");
            assertTrue(a.metrics().core().pushPullsStarted() > pushPullsBefore, "a verified c by a push/pull");
        }
    }

    @Test
    void certificatesFromAnotherCaExpiredOrNamingAnotherNodeCannotJoin() {
        TestPki pki = new TestPki(dir, "cluster");
        TestPki other = new TestPki(dir, "other");
        try (TestNodes nodes = new TestNodes()) {
            GrapevineNode a = nodes.start(tlsNode(pki, "a", KeyAlgorithm.ED25519));
            GrapevineNode b = nodes.start(tlsNode(pki, "b", KeyAlgorithm.ECDSA_P256));
            assertEquals(1, b.join(TestNodes.seed(a)));
            awaitMembers(List.of(a, b), List.of("a", "b"));

            // A certificate from another CA (this node trusts the cluster CA, but its own is not from it).
            TestPki.Files foreign = other.issue("x-foreign", KeyAlgorithm.ED25519);
            GrapevineNode x1 = nodes.start(node("x-foreign").tls(TlsMode.REQUIRED, pki.tls(foreign)));
            long failures = a.metrics().tlsHandshakeFailures();
            JoinException e1 = assertThrows(JoinException.class, () -> x1.join(TestNodes.seed(a)));
            assertTrue(e1.getMessage().contains("TLS handshake failed"), e1.getMessage());
            Await.until(WAIT, "a to count the refused handshake", () -> a.metrics().tlsHandshakeFailures() > failures);

            // An expired certificate from the cluster CA.
            GrapevineNode x2 = nodes.start(node("x-expired").tls(TlsMode.REQUIRED, pki.tls(pki.expired("x-expired"))));
            long failures2 = a.metrics().tlsHandshakeFailures();
            assertThrows(JoinException.class, () -> x2.join(TestNodes.seed(a)));
            Await.until(WAIT, "a to count the refused handshake", () -> a.metrics().tlsHandshakeFailures() > failures2);

            // A valid certificate for "y", on a node that calls itself "x-impostor".
            GrapevineNode.Builder impostor = node("x-impostor").tls(TlsMode.REQUIRED,
                    pki.tls(pki.issue("x-impostor-files", "y", KeyAlgorithm.ED25519)));
            impostor.skipIdentityNameCheck = true;
            GrapevineNode x3 = nodes.start(impostor);
            JoinException e3 = assertThrows(JoinException.class, () -> x3.join(TestNodes.seed(a)));
            assertTrue(e3.getMessage().contains("does not carry the state of y"), e3.getMessage());
            assertEquals(1, rejected(a, Rejection.PEER_MISMATCH));

            for (GrapevineNode n : List.of(a, b)) {
                assertEquals(List.of("a", "b"), names(n), n.name());
            }
            assertEquals(List.of("x-impostor"), names(x3), "the impostor learned nothing either");
        }
    }

    @Test
    void aCertificateSwappedOnDiskIsUsedForTheNextHandshake() {
        TestPki pki = new TestPki(dir, "cluster");
        try (TestNodes nodes = new TestNodes()) {
            TestPki.Files aFiles = pki.expired("a");
            GrapevineNode a = nodes.start(node("a").tls(TlsMode.REQUIRED, pki.tls(aFiles)));
            GrapevineNode b = nodes.start(tlsNode(pki, "b", KeyAlgorithm.ED25519));
            JoinException refused = assertThrows(JoinException.class, () -> b.join(TestNodes.seed(a)));
            assertTrue(refused.getMessage().contains("expired"), refused.getMessage());

            // Renewed in place (key, then certificate, each written atomically); a keeps running.
            pki.write("a", pki.ca().issue("a", KeyAlgorithm.ECDSA_P256, Duration.ofDays(1)));
            Await.until(WAIT, "b to join a with a's new certificate", () -> {
                try {
                    return b.join(TestNodes.seed(a)) == 1;
                } catch (JoinException e) {
                    return false;
                }
            });
            awaitMembers(List.of(a, b), List.of("a", "b"));
            assertTrue(a.isRunning());
        }
    }

    @Test
    void aPlaintextNodeCannotJoinNorBeAdmittedByGossip() throws IOException {
        TestPki pki = new TestPki(dir, "cluster");
        try (TestNodes nodes = new TestNodes()) {
            GrapevineNode a = nodes.start(tlsNode(pki, "a", KeyAlgorithm.ED25519));
            GrapevineNode p = nodes.start(node("p")); // TLS off

            assertThrows(JoinException.class, () -> p.join(TestNodes.seed(a)));
            Await.until(WAIT, "a to count the plaintext connection", () -> a.metrics().tlsHandshakeFailures() >= 1);
            assertThrows(JoinException.class, () -> a.join(TestNodes.seed(p)));

            // Gossip about p does not let it in: a tries to verify it by TLS, which p cannot speak.
            long failures = a.metrics().tlsHandshakeFailures();
            gossipAlive(a, "p", p.advertiseAddress(), p.localMember().incarnation());
            Await.until(WAIT, "a to refuse p and fail to verify it",
                    () -> rejected(a, Rejection.VETOED) >= 1 && a.metrics().tlsHandshakeFailures() > failures);
            assertEquals(List.of("a"), names(a));
            assertEquals(List.of("p"), names(p));
        }
    }
}
