package dev.grapevine.transport;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.crypto.GossipEnvelope;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.KeyringFile;
import dev.grapevine.crypto.Opened;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.WireEncoder;
import dev.grapevine.serf.KeyResponse;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMemberStatus;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotating the gossip key of a running 20-node cluster on 127.0.0.1 while its nodes broadcast:
 * install a new key everywhere, make it primary, remove the old one, all through Serf's key
 * queries. No member is ever suspected, every broadcast reaches every node, every keyring file
 * follows, and afterwards the old key opens nothing.
 */
@Tag("integration")
class KeyRotationIntegrationTest {
    private static final int N = 20;
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static byte[] key(int seed) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) seed);
        k[0] = 42;
        return k;
    }

    @Test
    void rotationUnderTrafficKeepsEveryoneAliveAndRetiresTheOldKey() throws Exception {
        byte[] k1 = key(1);
        byte[] k2 = key(2);
        try (TestNodes nodes = new TestNodes()) {
            List<GrapevineNode> cluster = new ArrayList<>();
            List<Keyring> rings = new ArrayList<>();
            List<SerfEvent> trouble = new CopyOnWriteArrayList<>();
            List<Set<String>> received = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                Path file = dir.resolve("n" + i + ".keyring");
                KeyringFile.of(file).write(List.of(k1));
                Keyring ring = Keyring.load(KeyringFile.of(file));
                rings.add(ring);
                Set<String> got = ConcurrentHashMap.newKeySet();
                received.add(got);
                cluster.add(nodes.start(GrapevineNode.builder().name("n" + i).bind("127.0.0.1:0")
                        .config(MembershipConfig.lan()).serf(SerfConfig.defaults()).keyring(ring)
                        .serfListener(e -> {
                            if (e instanceof SerfEvent.User u) {
                                got.add(u.name());
                            } else if (e instanceof SerfEvent.MemberFailed || e instanceof SerfEvent.MemberLeave) {
                                trouble.add(e);
                            }
                        })));
            }
            String seed = TestNodes.seed(cluster.get(0));
            for (int i = 1; i < N; i++) {
                cluster.get(i).join(seed);
            }
            Await.until(WAIT, "every node to see " + N + " alive",
                    () -> cluster.stream().allMatch(n -> n.metrics().core().alive() == N),
                    () -> cluster.stream().map(n -> n.name() + "=" + n.metrics().core().alive())
                            .collect(Collectors.joining(" ")));
            long[] suspicionsBefore = cluster.stream().mapToLong(n -> n.metrics().core().suspicionsStarted()).toArray();

            // Traffic: user events from every node in turn, all through the rotation.
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger sent = new AtomicInteger();
            Thread traffic = new Thread(() -> {
                while (!stop.get()) {
                    int i = sent.getAndIncrement();
                    cluster.get(i % N).userEvent("e" + i, ("payload " + i).getBytes(UTF_8), false);
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "traffic");
            traffic.start();
            try {
                GrapevineNode operator = cluster.get(7);
                assertAllOk(operator.installKey(k2).get(30, TimeUnit.SECONDS), "install");
                for (Keyring r : rings) {
                    assertEquals(2, r.size());
                    assertTrue(r.primaryKey().map(p -> Arrays.equals(p, k1)).orElse(false), "k1 still primary");
                }
                assertAllOk(operator.useKey(k2).get(30, TimeUnit.SECONDS), "use");
                assertAllOk(operator.removeKey(k1).get(30, TimeUnit.SECONDS), "remove");
                for (int i = 0; i < N; i++) {
                    assertEquals(List.of(b64(k2)), rings.get(i).keys().stream().map(KeyRotationIntegrationTest::b64)
                            .toList(), "n" + i + "'s keyring");
                    assertEquals(List.of(b64(k2)), KeyringFile.of(dir.resolve("n" + i + ".keyring")).read().stream()
                            .map(KeyRotationIntegrationTest::b64).toList(), "n" + i + "'s keyring file");
                }
                int markAfterRemoval = sent.get();
                Await.until(WAIT, "a few more broadcasts after the removal", () -> sent.get() > markAfterRemoval + 20);
            } finally {
                stop.set(true);
                traffic.join(5_000);
            }

            int total = sent.get();
            Await.until(WAIT, "every node to receive all " + total + " broadcasts",
                    () -> received.stream().allMatch(r -> r.size() >= total),
                    () -> received.stream().map(r -> String.valueOf(r.size())).collect(Collectors.joining(" ")));
            assertEquals(List.of(), trouble, "no member failed or left");
            for (int i = 0; i < N; i++) {
                GrapevineNode n = cluster.get(i);
                assertEquals(suspicionsBefore[i], n.metrics().core().suspicionsStarted(), n.name() + " suspected someone");
                assertEquals(N, n.serfMembers().stream().filter(m -> m.status() == SerfMemberStatus.ALIVE).count());
                assertEquals(0, n.metrics().core().suspect());
            }

            // The old key opens nothing any more; the new one is what the node answers with.
            GrapevineNode target = cluster.get(3);
            long refusedBefore = target.metrics().envelopeRejections().getOrDefault(EnvelopeRejection.NO_KEY_DECRYPTS, 0L);
            try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                probe.setSoTimeout(2_000);
                byte[] ping = WireEncoder.encode(new Message.Ping(77, target.name(), null, 0, "probe"));
                send(probe, target, GossipEnvelope.builder(Keyring.of(k1)).build().sealPacket(ping));
                Await.until(Duration.ofSeconds(10), "the k1 packet to be refused",
                        () -> target.metrics().envelopeRejections().getOrDefault(EnvelopeRejection.NO_KEY_DECRYPTS, 0L)
                                > refusedBefore);
                assertNull(receive(probe), "no answer to a packet under the removed key");

                send(probe, target, GossipEnvelope.builder(Keyring.of(k2)).build().sealPacket(ping));
                byte[] ack = receive(probe);
                assertTrue(ack != null, "an answer to a packet under the new key");
                Opened withK2 = GossipEnvelope.builder(Keyring.of(k2)).build().openPacket(ack);
                assertTrue(withK2.ok(), "the ack is sealed with k2: " + withK2);
                assertFalse(GossipEnvelope.builder(Keyring.of(k1)).build().openPacket(ack).ok());
            }
        }
    }

    private static void assertAllOk(KeyResponse r, String what) {
        assertTrue(r.ok(), what + ": " + r);
        assertEquals(N, r.numResp(), what + ": " + r);
        assertEquals(0, r.numErr(), what + ": " + r.messages());
    }

    private static String b64(byte[] k) {
        return Base64.getEncoder().encodeToString(k);
    }

    private static void send(DatagramSocket s, GrapevineNode to, byte[] payload) throws Exception {
        s.send(new DatagramPacket(payload, payload.length, to.advertiseAddress().toInetSocketAddress()));
    }

    private static byte[] receive(DatagramSocket s) throws Exception {
        byte[] buf = new byte[65_536];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            s.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return Arrays.copyOf(buf, p.getLength());
    }
}
