package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.KeyringFile;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.KeyResponse;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMemberStatus;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Nobody gets locked out": with TLS required, a node whose gossip key went stale recovers the
 * cluster's keyring over mutually authenticated TLS, its certificate proving its membership; a
 * node without a valid certificate gets nothing, and no keyring travels on a plaintext stream.
 * Real sockets on 127.0.0.1.
 */
@Tag("integration")
class KeyringRecoveryIntegrationTest {
    private static final int N = 4;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static byte[] key(int seed) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) seed);
        k[0] = 77;
        return k;
    }

    private static String b64(byte[] k) {
        return Base64.getEncoder().encodeToString(k);
    }

    private static List<String> fileKeys(Path file) throws Exception {
        return KeyringFile.of(file).read().stream().map(KeyringRecoveryIntegrationTest::b64).toList();
    }

    private static long aliveSerf(GrapevineNode n) {
        return n.serfMembers().stream().filter(m -> m.status() == SerfMemberStatus.ALIVE).count();
    }

    private static long noKey(GrapevineNode n) {
        return n.metrics().envelopeRejections().getOrDefault(EnvelopeRejection.NO_KEY_DECRYPTS, 0L);
    }

    private static void assertAllOk(KeyResponse r, int nodes, String what) {
        assertTrue(r.ok(), what + ": " + r);
        assertEquals(nodes, r.numResp(), what + ": " + r);
        assertEquals(0, r.numErr(), what + ": " + r.messages());
    }

    private GrapevineNode.Builder member(MembershipConfig config, TestPki pki, TestPki.Files files, String name,
                                         Path keyringFile, String bind, List<SerfEvent> failures,
                                         AtomicBoolean watching, Set<String> events) throws Exception {
        return TlsIntegrationTest.node(name).config(config).bind(bind).tls(TlsMode.REQUIRED, pki.tls(files))
                .keyring(Keyring.load(KeyringFile.of(keyringFile)))
                .serf(SerfConfig.defaults().toBuilder().queryTimeoutMult(80).build()) // 8 s with local timings
                .serfListener(e -> {
                    if (e instanceof SerfEvent.MemberFailed && watching.get()) {
                        failures.add(e);
                    } else if (e instanceof SerfEvent.User u) {
                        events.add(name + ":" + u.name());
                    }
                });
    }

    /**
     * n3 is closed, the other three rotate k1 to k2 completely (install, use, remove), n3 comes
     * back on its port with its old keyring file and joins over TLS. Depending on timing, it is
     * locked out (the others' gossip does not decrypt) or the check a while after its join finds
     * that nothing decrypted; either way it asks a member over TLS and recovers.
     */
    @Test
    void aNodeThatWasDownDuringAFullRotationRejoinsOverTlsAndRecoversTheKeyring() throws Exception {
        // memberlist counts a broadcast's transmissions per target: with local()'s retransmitMult of 2
        // and gossip to the dead n3, a key query can miss a live member; LAN's 4 makes that unlikely.
        downDuringRotationThenRejoin(TlsIntegrationTest.CONFIG.toBuilder().retransmitMult(4).build());
    }

    private void downDuringRotationThenRejoin(MembershipConfig config) throws Exception {
        byte[] k1 = key(1);
        byte[] k2 = key(2);
        TestPki pki = new TestPki(dir, "cluster");
        List<SerfEvent> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean watching = new AtomicBoolean();
        Set<String> events = ConcurrentHashMap.newKeySet();
        try (TestNodes nodes = new TestNodes()) {
            List<GrapevineNode> cluster = new ArrayList<>();
            List<TestPki.Files> certs = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                Path file = dir.resolve("n" + i + ".keyring");
                KeyringFile.of(file).write(List.of(k1));
                certs.add(pki.issue("n" + i, KeyAlgorithm.ED25519));
                cluster.add(nodes.start(member(config, pki, certs.get(i), "n" + i, file, "127.0.0.1:0", failures,
                        watching, events)));
            }
            String seed = TestNodes.seed(cluster.get(0));
            for (int i = 1; i < N; i++) {
                cluster.get(i).join(seed);
            }
            Await.until(WAIT, "every node to see " + N + " alive",
                    () -> cluster.stream().allMatch(n -> aliveSerf(n) == N),
                    () -> cluster.stream().map(n -> n.name() + "=" + aliveSerf(n)).collect(Collectors.joining(" ")));

            // n3 goes down (no leave); the others see it fail, then rotate k1 -> k2 completely.
            GrapevineNode down = cluster.get(N - 1);
            int port = down.boundAddress().getPort();
            down.close();
            List<GrapevineNode> rest = cluster.subList(0, N - 1);
            Await.until(WAIT, "the others to see n3 failed", () -> rest.stream().allMatch(n -> aliveSerf(n) == N - 1));
            GrapevineNode operator = rest.get(1);
            assertAllOk(operator.installKey(k2).get(30, TimeUnit.SECONDS), N - 1, "install");
            assertAllOk(operator.useKey(k2).get(30, TimeUnit.SECONDS), N - 1, "use");
            assertAllOk(operator.removeKey(k1).get(30, TimeUnit.SECONDS), N - 1, "remove");
            for (int i = 0; i < N - 1; i++) {
                assertEquals(List.of(b64(k2)), fileKeys(dir.resolve("n" + i + ".keyring")), "n" + i);
            }
            Path staleFile = dir.resolve("n3.keyring");
            assertEquals(List.of(b64(k1)), fileKeys(staleFile), "n3's file still holds only the retired key");

            // n3 comes back on its port with its old keyring file and joins over TLS.
            watching.set(true);
            GrapevineNode back = nodes.start(member(config, pki, certs.get(N - 1), "n3", staleFile,
                    "127.0.0.1:" + port, failures, watching, events));
            assertEquals(1, back.join(seed), "the join's push/pull runs over TLS, whatever the gossip key");
            Await.until(WAIT, "n3 to recover the keyring", () -> back.metrics().keyringRecoveries() == 1,
                    () -> "recoveries=" + back.metrics().keyringRecoveries() + " failures="
                            + back.metrics().keyringRecoveryFailures());
            assertEquals(List.of(b64(k2)), fileKeys(staleFile), "the recovered keyring was written to n3's file");

            List<GrapevineNode> all = new ArrayList<>(rest);
            all.add(back);
            Await.until(WAIT, "every node to see " + N + " alive", () -> all.stream().allMatch(n -> aliveSerf(n) == N),
                    () -> all.stream().map(n -> n.name() + "=" + aliveSerf(n)).collect(Collectors.joining(" ")));

            // Its packets decrypt everywhere: an event it sends over UDP gossip reaches every node,
            // and one of theirs reaches it; no node refuses a packet for want of a key from now on.
            long[] refusedBefore = all.stream().mapToLong(KeyringRecoveryIntegrationTest::noKey).toArray();
            back.userEvent("from-n3", "recovered".getBytes(StandardCharsets.UTF_8), false);
            rest.get(0).userEvent("from-n0", new byte[0], false);
            Await.until(WAIT, "both events everywhere", () -> all.stream().allMatch(
                    n -> events.contains(n.name() + ":from-n3") && events.contains(n.name() + ":from-n0")),
                    () -> events.toString());
            long[] receivedMark = all.stream().mapToLong(n -> n.metrics().core().packetsReceived()).toArray();
            Await.until(WAIT, "some more gossip everywhere", () -> {
                for (int i = 0; i < all.size(); i++) {
                    if (all.get(i).metrics().core().packetsReceived() < receivedMark[i] + 20) {
                        return false;
                    }
                }
                return true;
            });
            for (int i = 0; i < all.size(); i++) {
                GrapevineNode n = all.get(i);
                assertEquals(refusedBefore[i], noKey(n), n.name() + " refused packets after the recovery");
                assertEquals(N, aliveSerf(n), n.name());
                assertEquals(0, n.metrics().core().suspect(), n.name());
            }
            assertEquals(List.of(), failures, "nobody was marked failed after n3 came back");

            // Only n3 recovered; the others kept the cluster's keyring and handed it over.
            long served = 0;
            for (GrapevineNode n : rest) {
                assertEquals(0, n.metrics().keyringRecoveries(), n.name() + " must not adopt anything");
                served += n.metrics().keyringRequestsServed();
                assertEquals(List.of(b64(k2)), fileKeys(dir.resolve(n.name() + ".keyring")), n.name());
            }
            assertTrue(served >= 1, "a member served the keyring");
            for (GrapevineNode n : all) {
                assertEquals(0, n.metrics().keyringRecoveryFailures(), n.name());
            }
            KeyResponse listed = back.listKeys().get(30, TimeUnit.SECONDS);
            assertEquals(java.util.Map.of(b64(k2), N), listed.keys(), "the cluster lists one key, held by all");
        }
    }

    @Test
    void aNodeWithoutAValidCertificateAndWithAStaleKeyGetsNothing() throws Exception {
        byte[] k1 = key(1);
        byte[] k2 = key(2);
        TestPki pki = new TestPki(dir, "cluster");
        TestPki other = new TestPki(dir, "other");
        try (TestNodes nodes = new TestNodes()) {
            List<GrapevineNode> cluster = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                cluster.add(nodes.start(TlsIntegrationTest.node("m" + i)
                        .tls(TlsMode.REQUIRED, pki.tls(pki.issue("m" + i, KeyAlgorithm.ED25519)))
                        .keyring(Keyring.of(k2))));
            }
            for (int i = 1; i < 3; i++) {
                cluster.get(i).join(TestNodes.seed(cluster.get(0)));
            }
            TlsIntegrationTest.awaitMembers(cluster, List.of("m0", "m1", "m2"));
            GrapevineNode target = cluster.get(0);
            long servedBefore = target.metrics().keyringRequestsServed();

            List<GrapevineNode> strangers = List.of(
                    nodes.start(TlsIntegrationTest.node("x-foreign").keyring(Keyring.of(k1))
                            .tls(TlsMode.REQUIRED, pki.tls(other.issue("x-foreign", KeyAlgorithm.ED25519)))),
                    nodes.start(TlsIntegrationTest.node("x-expired").keyring(Keyring.of(k1))
                            .tls(TlsMode.REQUIRED, pki.tls(pki.expired("x-expired")))));
            for (GrapevineNode x : strangers) {
                long handshakeFailures = target.metrics().tlsHandshakeFailures();
                assertThrows(JoinException.class, () -> x.join(TestNodes.seed(target)));
                KeyringRecovery.Outcome o = x.recoverKeyringFrom(target.advertiseAddress(), "m0")
                        .get(30, TimeUnit.SECONDS);
                assertFalse(o.recovered(), x.name() + ": " + o);
                assertTrue(o.detail().startsWith("TLS handshake failed"), x.name() + ": " + o.detail());
                Await.until(WAIT, "m0 to count the refused handshakes",
                        () -> target.metrics().tlsHandshakeFailures() >= handshakeFailures + 2);
                assertEquals(1, x.metrics().keyringRecoveryFailures(), x.name());
                assertEquals(0, x.metrics().keyringRecoveries(), x.name());
            }
            assertEquals(servedBefore, target.metrics().keyringRequestsServed(), "m0 gave nothing away");
            for (GrapevineNode m : cluster) {
                assertEquals(0, m.metrics().keyringRecoveries(), m.name());
                assertEquals(List.of("m0", "m1", "m2"), TlsIntegrationTest.names(m));
            }
        }
    }

    @Test
    void aKeyringRequestOnAPlaintextStreamIsRefused() throws Exception {
        byte[] k2 = key(2);
        TestPki pki = new TestPki(dir, "cluster");
        try (TestNodes nodes = new TestNodes()) {
            // A TLS node: a plaintext request is not even a handshake; nothing comes back but a TLS alert.
            GrapevineNode tls = nodes.start(TlsIntegrationTest.node("t")
                    .tls(TlsMode.REQUIRED, pki.tls(pki.issue("t", KeyAlgorithm.ED25519))).keyring(Keyring.of(k2)));
            byte[] fromTls = exchange(tls, KeyringMessages.request(key(1)));
            assertFalse(HexFormat.of().formatHex(fromTls).contains(HexFormat.of().formatHex(k2, 1, 17)),
                    "no key bytes");
            Await.until(WAIT, "t to count the failed handshake", () -> tls.metrics().tlsHandshakeFailures() >= 1);
            assertEquals(0, tls.metrics().keyringRequestsServed());

            // A node with the key but without TLS: the request reaches the stream handler and is refused there.
            GrapevineNode plain = nodes.start(TlsIntegrationTest.node("p").keyring(Keyring.of(k2)));
            byte[] fromPlain = exchange(plain, KeyringMessages.request(key(1)));
            assertArrayEquals(new byte[0], fromPlain, "closed without an answer");
            Await.until(WAIT, "p to count the refusal", () -> plain.metrics().keyringRequestsRefused() == 1);
            assertEquals(0, plain.metrics().keyringRequestsServed());
            assertTrue(plain.metrics().core().rejections().isEmpty(), "the core never saw it");
        }
    }

    /** Writes {@code request} on a plain TCP connection to {@code n} and reads until it is closed. */
    private static byte[] exchange(GrapevineNode n, byte[] request) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(n.advertiseAddress().toInetSocketAddress(), 5_000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = s.getInputStream();
            return in.readAllBytes();
        }
    }
}
