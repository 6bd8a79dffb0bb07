package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.membership.MembershipConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Encrypted memberlist nodes (no Serf layer) on 127.0.0.1: a shared key admits, another key, no
 * key or another label does not (and the refusals are counted), and memberlist's verify switches
 * let encrypted and plaintext nodes share a cluster during a migration.
 */
@Tag("integration")
class EncryptionIntegrationTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] K1 = key(1);
    private static final byte[] K2 = key(2);

    private final TestNodes nodes = new TestNodes();

    @AfterEach
    void closeAll() {
        nodes.close();
    }

    private static byte[] key(int seed) {
        byte[] k = new byte[16];
        Arrays.fill(k, (byte) seed);
        return k;
    }

    private static GrapevineNode.Builder builder(String name) {
        return GrapevineNode.builder().name(name).bind("127.0.0.1:0").config(MembershipConfig.local());
    }

    private static long refused(GrapevineNode n, EnvelopeRejection r) {
        return n.metrics().envelopeRejections().getOrDefault(r, 0L);
    }

    @Test
    void nodesSharingAKeyFormAClusterAndSecondaryKeysDecrypt() {
        Keyring ringC = Keyring.of(K1, K2);
        GrapevineNode a = nodes.start(builder("a").keyring(Keyring.of(K1)));
        GrapevineNode b = nodes.start(builder("b").keyring(Keyring.of(K1, K2)));
        GrapevineNode c = nodes.start(builder("c").keyring(ringC));
        assertEquals(1, b.join(TestNodes.seed(a)));
        assertEquals(1, c.join(TestNodes.seed(b)));
        Await.until(WAIT, "three alive everywhere", () -> List.of(a, b, c).stream().allMatch(n -> n.numMembers() == 3));
        for (GrapevineNode n : List.of(a, b, c)) {
            assertEquals(0, n.metrics().totalEnvelopeRejections(), n.name() + ": " + n.metrics().envelopeRejections());
            assertEquals(0, n.metrics().core().totalRejections(), n.name() + ": " + n.metrics().core().rejections());
        }
        Await.until(WAIT, "b to gossip", () -> b.metrics().core().packetsSent() > 10);
        NodeMetrics m = b.metrics();
        long overhead = m.packetBytesSent() - m.core().bytesSent();
        assertTrue(overhead > 0 && overhead % 29 == 0 && overhead / 29 <= m.core().packetsSent(),
                "packets carry the 29-byte envelope: " + m.packetBytesSent() + " vs " + m.core().bytesSent());

        // c switches to K2 (a local change, as a premature `serf keys -use` would make): b decrypts
        // it with its secondary key, a has no K2 and refuses c's packets.
        ringC.use(K2);
        Await.until(WAIT, "a to refuse c's packets", () -> refused(a, EnvelopeRejection.NO_KEY_DECRYPTS) > 0);
        long bRefusals = b.metrics().totalEnvelopeRejections();
        assertEquals(0, bRefusals, "b decrypts K2 as a secondary key: " + b.metrics().envelopeRejections());
    }

    @Test
    void aNodeWithAnotherKeyIsNeverAdmittedAndItsTrafficIsCounted() {
        GrapevineNode a = nodes.start(builder("a").keyring(Keyring.of(K1)));
        GrapevineNode intruder = nodes.start(builder("intruder").keyring(Keyring.of(K2)));
        JoinException e = assertThrows(JoinException.class, () -> intruder.join(TestNodes.seed(a)));
        assertTrue(e.getMessage().contains(TestNodes.seed(a)), e.getMessage());
        assertEquals(1, a.numMembers());
        assertEquals(1, intruder.numMembers());
        Await.until(WAIT, "a to count the refused push/pull", () -> refused(a, EnvelopeRejection.NO_KEY_DECRYPTS) >= 1);
        assertEquals(0, a.metrics().core().pushPullsServed());
    }

    @Test
    void plaintextIsRefusedByAnEncryptedNodeAndTheOtherWayRound() {
        GrapevineNode a = nodes.start(builder("a").keyring(Keyring.of(K1)));
        GrapevineNode plain = nodes.start(builder("plain"));
        assertThrows(JoinException.class, () -> plain.join(TestNodes.seed(a)));
        Await.until(WAIT, "a to refuse the plaintext stream", () -> refused(a, EnvelopeRejection.NOT_ENCRYPTED) == 1);
        assertThrows(JoinException.class, () -> a.join(TestNodes.seed(plain)));
        assertEquals(1, a.numMembers());
        assertEquals(1, plain.numMembers());
    }

    @Test
    void verifySwitchesLetACLusterMoveToEncryptionInSteps() {
        // Step 1: a plaintext cluster restarted with a keyring but both checks off.
        GrapevineNode a = nodes.start(builder("a").keyring(Keyring.of(K1))
                .gossipVerifyIncoming(false).gossipVerifyOutgoing(false));
        GrapevineNode b = nodes.start(builder("b").keyring(Keyring.of(K1))
                .gossipVerifyIncoming(false).gossipVerifyOutgoing(false));
        GrapevineNode plain = nodes.start(builder("plain")); // not yet restarted
        b.join(TestNodes.seed(a));
        plain.join(TestNodes.seed(a));
        // Step 2 has begun: c encrypts what it sends, still accepts plaintext.
        GrapevineNode c = nodes.start(builder("c").keyring(Keyring.of(K1)).gossipVerifyIncoming(false));
        c.join(TestNodes.seed(b));
        Await.until(WAIT, "a, b and c to see four alive",
                () -> List.of(a, b, c).stream().allMatch(n -> n.metrics().core().alive() == 4));
        Await.until(WAIT, "c to accept plaintext from the others", () -> c.metrics().unverifiedAccepted() > 0);
        assertEquals(0, c.metrics().totalEnvelopeRejections());
        assertEquals(0, a.metrics().totalEnvelopeRejections());
        // A fully verifying node refuses the plaintext stream of a node still sending plaintext.
        GrapevineNode d = nodes.start(builder("d").keyring(Keyring.of(K1)));
        assertThrows(JoinException.class, () -> a.join(TestNodes.seed(d)));
        assertEquals(1, refused(d, EnvelopeRejection.NOT_ENCRYPTED));
        assertEquals(1, d.join(TestNodes.seed(c)), "but it joins through an encrypting node");
        assertThrows(IllegalStateException.class, () -> builder("x").gossipVerifyIncoming(false).start(),
                "the switches need a keyring");
    }

    @Test
    void labelsKeepClustersApart() {
        GrapevineNode a = nodes.start(builder("a").keyring(Keyring.of(K1)).label("prod"));
        GrapevineNode b = nodes.start(builder("b").keyring(Keyring.of(K1)).label("prod"));
        GrapevineNode other = nodes.start(builder("other").keyring(Keyring.of(K1)).label("staging"));
        GrapevineNode unlabelled = nodes.start(builder("unlabelled").keyring(Keyring.of(K1)));
        GrapevineNode labelOnly = nodes.start(builder("label-only").label("plain-prod"));
        GrapevineNode labelOnly2 = nodes.start(builder("label-only-2").label("plain-prod"));
        assertEquals(1, b.join(TestNodes.seed(a)));
        Await.until(WAIT, "a and b to see each other", () -> a.numMembers() == 2 && b.numMembers() == 2);
        assertThrows(JoinException.class, () -> other.join(TestNodes.seed(a)));
        assertThrows(JoinException.class, () -> unlabelled.join(TestNodes.seed(a)));
        Await.until(WAIT, "a to count two label mismatches", () -> refused(a, EnvelopeRejection.LABEL_MISMATCH) == 2);
        assertEquals(2, a.numMembers());
        assertEquals(1, labelOnly2.join(TestNodes.seed(labelOnly)), "a label works without encryption too");
        Await.until(WAIT, "the unencrypted labelled pair", () -> labelOnly.numMembers() == 2);
    }
}
