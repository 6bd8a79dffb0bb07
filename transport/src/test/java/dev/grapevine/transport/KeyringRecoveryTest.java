package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.GossipEnvelope;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.KeyringFile;
import dev.grapevine.membership.NodeAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keyring recovery's rules without sockets: when a node asks, whom, what it adopts, and what a
 * node answers. Packets are sealed with the real envelope; the clock is the test's.
 */
class KeyringRecoveryTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    static final byte[] K0 = key(0);
    static final byte[] K1 = key(1);
    static final byte[] K2 = key(2);
    static final byte[] K3 = key(3);
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.1", 7001);
    private static final InetSocketAddress C = new InetSocketAddress("127.0.0.1", 7002);
    private static final InetSocketAddress D = new InetSocketAddress("127.0.0.1", 7003);
    private static final InetSocketAddress STRANGER = new InetSocketAddress("127.0.0.1", 7999);

    @TempDir
    Path dir;

    private final long[] now = {1_000 * SECOND};
    private final TransportCounters counters = new TransportCounters();
    private final FakeNode node = new FakeNode();

    static byte[] key(int seed) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) seed);
        k[31] = 7;
        return k;
    }

    /** A packet sealed under {@code key}, as a member would send it. */
    static byte[] sealed(byte[] key) {
        return GossipEnvelope.builder(Keyring.of(key)).build().sealPacket(new byte[] {2, 3, 4});
    }

    private static String b64(byte[] k) {
        return Base64.getEncoder().encodeToString(k);
    }

    private static List<String> keys(Keyring r) {
        return r.keys().stream().map(KeyringRecoveryTest::b64).toList();
    }

    /** The node seen by the recovery: members by address, the streams it was asked to open. */
    static final class FakeNode implements KeyringRecovery.Node {
        final Map<NodeAddress, String> live = new HashMap<>();
        final List<String> asked = new ArrayList<>();
        final List<Runnable> scheduled = new ArrayList<>();
        final List<String> resynced = new ArrayList<>();
        OutboundStreamHandler.Completion pending;

        @Override
        public void resync(NodeAddress address, String name) {
            resynced.add(name + "@" + address);
        }

        @Override
        public void schedule(Runnable task, long delayNanos) {
            assertEquals(2_000_000_000L, delayNanos);
            scheduled.add(task);
        }

        /** Runs what was scheduled (the test has moved its clock on). */
        void runScheduled() {
            List<Runnable> tasks = new ArrayList<>(scheduled);
            scheduled.clear();
            tasks.forEach(Runnable::run);
        }

        @Override
        public Map<NodeAddress, String> liveMembers() {
            return new HashMap<>(live);
        }

        @Override
        public void openStream(NodeAddress address, String name, byte[] request,
                               OutboundStreamHandler.Completion completion) {
            assertTrue(KeyringMessages.requestDigest(request) != null, "a well-formed request");
            asked.add(name + "@" + address);
            pending = completion;
        }

        @Override
        public boolean opens(byte[] key, byte[] datagram) {
            return GossipEnvelope.builder(Keyring.of(key)).build().openPacket(datagram).ok();
        }

        void member(String name, InetSocketAddress at) {
            live.put(NodeAddress.of(at), name);
        }
    }

    private KeyringRecovery recovery(Keyring ring) {
        return new KeyringRecovery("a", ring, true, node, counters, () -> now[0], new SplittableRandom(1), 2_000_000_000L);
    }

    private void clusterBCD() {
        node.member("b", B);
        node.member("c", C);
        node.member("d", D);
    }

    // ---- what the packet envelope reports ----------------------------------------------------------

    @Test
    void theEnvelopeReportsDecryptedAndKeylessPacketsOnly() {
        List<String> seen = new ArrayList<>();
        EncryptedPacketEnvelope env = new EncryptedPacketEnvelope(GossipEnvelope.builder(Keyring.of(K1)).build(),
                new EnvelopeRefusals("a"), 29);
        env.attach(counters);
        env.observe(new PacketEnvelope.Observer() {
            @Override
            public void opened(InetSocketAddress sender) {
                seen.add("opened " + sender.getPort());
            }

            @Override
            public void noKeyDecrypts(InetSocketAddress sender, byte[] datagram) {
                seen.add("no key " + sender.getPort() + " " + datagram.length);
            }
        });
        env.open(sealed(K1), B);
        byte[] k2 = sealed(K2);
        env.open(k2, C);
        env.open(new byte[] {1, 2}, D); // too short: not a key problem
        env.open(GossipEnvelope.builder(Keyring.of(K1)).label("other").build().sealPacket(new byte[] {1}), D);
        assertEquals(List.of("opened 7001", "no key 7002 " + k2.length), seen);
    }

    // ---- adopting --------------------------------------------------------------------------------

    @Test
    void adoptTakesThePeersKeyringAsItIs() {
        Keyring ring = Keyring.of(K1, K0);
        KeyringRecovery.Merge m = KeyringRecovery.adopt(ring, List.of(K2, K1, K3));
        assertEquals(List.of(b64(K2), b64(K1), b64(K3)), keys(ring), "the peer's primary first; k0 removed");
        assertEquals(new KeyringRecovery.Merge(2, 1, true), m);

        Keyring same = Keyring.of(K2, K1);
        assertEquals(new KeyringRecovery.Merge(0, 0, false), KeyringRecovery.adopt(same, List.of(K2, K1)));
        assertEquals(List.of(b64(K2), b64(K1)), keys(same));
    }

    // ---- when and whom a node asks -----------------------------------------------------------------

    @Test
    void threeUndecryptablePacketsFromMembersMakeItAskTheLastSender() {
        clusterBCD();
        KeyringRecovery r = recovery(Keyring.of(K1));
        r.noKeyDecrypts(B, sealed(K2));
        r.noKeyDecrypts(C, sealed(K2));
        assertEquals(List.of(), node.asked, "two are not enough");
        assertFalse(r.lockedOut());
        r.noKeyDecrypts(D, sealed(K2));
        assertTrue(r.lockedOut());
        assertEquals(List.of("d@127.0.0.1:7003"), node.asked);
        r.noKeyDecrypts(B, sealed(K2));
        assertEquals(1, node.asked.size(), "one request at a time");
    }

    @Test
    void packetsFromStrangersOldPacketsOrADecryptedOneDoNotCount() {
        clusterBCD();
        KeyringRecovery r = recovery(Keyring.of(K1));
        for (int i = 0; i < 5; i++) {
            r.noKeyDecrypts(STRANGER, sealed(K2));
        }
        assertEquals(List.of(), node.asked, "not from members");

        r.noKeyDecrypts(B, sealed(K2));
        r.noKeyDecrypts(C, sealed(K2));
        now[0] += KeyringRecovery.WINDOW_NANOS + 1;
        r.noKeyDecrypts(D, sealed(K2));
        assertEquals(List.of(), node.asked, "the first two are out of the window");

        r.opened(B);
        r.noKeyDecrypts(C, sealed(K2));
        r.noKeyDecrypts(D, sealed(K2));
        assertEquals(List.of(), node.asked, "a packet decrypted within the window: not locked out");
        now[0] += KeyringRecovery.WINDOW_NANOS;
        r.noKeyDecrypts(B, sealed(K2));
        assertEquals(List.of("b@127.0.0.1:7001"), node.asked);
    }

    @Test
    void withoutTlsOrWithoutAKeyringItNeverAsks() {
        clusterBCD();
        KeyringRecovery plain = new KeyringRecovery("a", Keyring.of(K1), false, node, counters, () -> now[0],
                new SplittableRandom(1), 2_000_000_000L);
        KeyringRecovery none = new KeyringRecovery("a", null, true, node, counters, () -> now[0],
                new SplittableRandom(1), 2_000_000_000L);
        for (KeyringRecovery r : List.of(plain, none)) {
            assertFalse(r.enabled());
            for (InetSocketAddress from : List.of(B, C, D, B)) {
                r.noKeyDecrypts(from, sealed(K2));
            }
            r.joined();
            assertFalse(r.requestFrom(NodeAddress.of(B), "b").join().recovered());
        }
        KeyringRecovery empty = recovery(Keyring.empty());
        assertFalse(empty.enabled(), "a node without a key is not part of encryption: it does not ask");
        empty.joined();
        node.runScheduled();
        assertEquals(List.of(), node.asked);
    }

    @Test
    void aJoinFollowedByNoDecryptedGossipMakesItAskTheSenderOfAnUndecryptablePacketOrAnyMember() {
        KeyringRecovery r = recovery(Keyring.of(K1));
        r.noKeyDecrypts(C, sealed(K2)); // before the join: c is not known yet
        clusterBCD();
        r.joined();
        assertEquals(List.of(), node.asked, "not at once");
        now[0] += 2 * SECOND;
        node.runScheduled();
        assertEquals(List.of("c@127.0.0.1:7002"), node.asked);

        // Without any undecryptable packet, a random member.
        FakeNode other = new FakeNode();
        other.member("b", B);
        KeyringRecovery r2 = new KeyringRecovery("a", Keyring.of(K1), true, other, counters, () -> now[0],
                new SplittableRandom(1), 2_000_000_000L);
        r2.joined();
        other.runScheduled();
        assertEquals(List.of("b@127.0.0.1:7001"), other.asked);
    }

    @Test
    void aJoinFollowedByDecryptedGossipNeedsNoCheck() {
        clusterBCD();
        KeyringRecovery r = recovery(Keyring.of(K1));
        r.joined();
        now[0] += SECOND;
        r.opened(B);
        now[0] += SECOND;
        node.runScheduled();
        assertEquals(List.of(), node.asked);

        r.joined(); // gossip decrypted before this join, none since
        now[0] += 2 * SECOND;
        node.runScheduled();
        assertEquals(1, node.asked.size());
    }

    @Test
    void aFailedAttemptIsRetriedAfterFiveSecondsWithAnotherMember() {
        clusterBCD();
        KeyringRecovery r = recovery(Keyring.of(K1));
        for (InetSocketAddress from : List.of(B, C, D)) {
            r.noKeyDecrypts(from, sealed(K2));
        }
        assertEquals(List.of("d@127.0.0.1:7003"), node.asked);
        node.pending.failure(0, "cannot connect: refused");
        assertEquals(1, counters.keyringRecoveryFailures);
        r.noKeyDecrypts(D, sealed(K2));
        assertEquals(1, node.asked.size(), "not again within 5 s");
        now[0] += KeyringRecovery.RETRY_NANOS;
        r.noKeyDecrypts(D, sealed(K2));
        assertEquals(List.of("d@127.0.0.1:7003", "c@127.0.0.1:7002"), node.asked,
                "the newest sender that is not the one that failed");
    }

    // ---- what a node adopts ------------------------------------------------------------------------

    private KeyringRecovery lockedOut(Keyring ring) {
        clusterBCD();
        KeyringRecovery r = recovery(ring);
        for (InetSocketAddress from : List.of(B, C, D)) {
            r.noKeyDecrypts(from, sealed(K2));
        }
        assertEquals(1, node.asked.size());
        return r;
    }

    @Test
    void theRecoveredKeyringIsAdoptedAndWrittenToItsFile() throws Exception {
        KeyringFile file = KeyringFile.of(dir.resolve("a.keyring"));
        file.write(List.of(K1, K0));
        Keyring ring = Keyring.load(file);
        KeyringRecovery r = lockedOut(ring);
        node.pending.reply(0, "d", KeyringMessages.keys(List.of(K2, K3)));
        assertEquals(List.of(b64(K2), b64(K3)), keys(ring));
        assertEquals(List.of(b64(K2), b64(K3)), file.read().stream().map(KeyringRecoveryTest::b64).toList());
        assertEquals(1, counters.keyringRecoveries);
        assertEquals(0, counters.keyringRecoveryFailures);
        assertFalse(r.lockedOut(), "the refused packets are forgotten");
        assertEquals(List.of("d@127.0.0.1:7003"), node.resynced, "a push/pull with the responder follows");
    }

    @Test
    void aPrimaryThatOpensNoneOfTheRefusedPacketsIsNotAdopted() {
        Keyring ring = Keyring.of(K1);
        lockedOut(ring);
        node.pending.reply(0, "d", KeyringMessages.keys(List.of(K3, K2)));
        assertEquals(List.of(b64(K1)), keys(ring), "unchanged");
        assertEquals(1, counters.keyringRecoveryFailures);
        assertEquals(0, counters.keyringRecoveries);
        assertEquals(List.of(), node.resynced);
    }

    @Test
    void thePrimaryMustOpenAPacketOfAnotherMemberThanTheResponderWhenOneWasKept() {
        clusterBCD();
        Keyring ring = Keyring.of(K1);
        KeyringRecovery r = recovery(ring);
        r.noKeyDecrypts(B, sealed(K2));
        r.noKeyDecrypts(C, sealed(K2));
        r.noKeyDecrypts(D, sealed(K3)); // d, the responder, seals with a key nobody else uses
        assertEquals(List.of("d@127.0.0.1:7003"), node.asked);
        node.pending.reply(0, "d", KeyringMessages.keys(List.of(K3, K2)));
        assertEquals(List.of(b64(K1)), keys(ring), "k3 opens only the responder's own packets");

        // Only the responder's packets kept (a two-node cluster): one of those must open.
        node.live.clear();
        node.member("d", D);
        Keyring alone = Keyring.of(K1);
        KeyringRecovery r2 = recovery(alone);
        for (int i = 0; i < 3; i++) {
            r2.noKeyDecrypts(D, sealed(K3));
        }
        node.pending.reply(0, "d", KeyringMessages.keys(List.of(K3)));
        assertEquals(List.of(b64(K3)), keys(alone));
    }

    @Test
    void anAnswerFromAnotherNodeThanTheOneAskedOrARefusalChangesNothing() {
        Keyring ring = Keyring.of(K1);
        KeyringRecovery r = lockedOut(ring);
        node.pending.reply(0, "mallory", KeyringMessages.keys(List.of(K2)));
        assertEquals(List.of(b64(K1)), keys(ring));
        now[0] += KeyringRecovery.RETRY_NANOS;
        r.noKeyDecrypts(B, sealed(K2));
        assertEquals(2, node.asked.size());
        node.pending.reply(0, "b", KeyringMessages.refusal("no keyring"));
        node.pending.reply(0, "b", KeyringMessages.keys(List.of(K2))); // a second answer is ignored
        assertEquals(List.of(b64(K1)), keys(ring));
        assertEquals(2, counters.keyringRecoveryFailures);
        assertEquals(0, counters.keyringRecoveries);
    }

    @Test
    void withNoRefusedPacketAnOfferedPrimaryThatItHoldsIsNotAdopted() {
        node.member("b", B);
        Keyring ring = Keyring.of(K1, K3);
        KeyringRecovery r = recovery(ring);
        CompletableFuture<KeyringRecovery.Outcome> f = r.requestFrom(NodeAddress.of(B), "b");
        assertEquals(List.of("b@127.0.0.1:7001"), node.asked);
        assertFalse(r.requestFrom(NodeAddress.of(B), "b").join().recovered(), "one at a time");
        node.pending.reply(0, "b", KeyringMessages.keys(List.of(K3, K2)));
        KeyringRecovery.Outcome o = f.join();
        assertFalse(o.recovered());
        assertTrue(o.current(), o.toString());
        assertEquals(List.of(b64(K1), b64(K3)), keys(ring), "it can read b's gossip already: unchanged");
        assertEquals(0, counters.keyringRecoveryFailures + counters.keyringRecoveries);

        now[0] += KeyringRecovery.RETRY_NANOS;
        CompletableFuture<KeyringRecovery.Outcome> g = r.requestFrom(NodeAddress.of(B), "b");
        node.pending.reply(0, "b", KeyringMessages.current());
        assertTrue(g.join().current());

        CompletableFuture<KeyringRecovery.Outcome> h = r.requestFrom(NodeAddress.of(B), "b");
        node.pending.reply(0, "b", KeyringMessages.keys(List.of(K2)));
        assertTrue(h.join().recovered(), "a primary it does not hold: its key is stale");
        assertEquals(List.of(b64(K2)), keys(ring));
        assertEquals(1, counters.keyringRecoveries);
    }

    // ---- what a node answers -----------------------------------------------------------------------

    @Test
    void aNodeInSyncAnswersWithItsWholeKeyringPrimaryFirstOnlyOverTls() {
        Keyring ring = Keyring.of(K2, K1);
        KeyringRecovery r = recovery(ring);
        r.opened(C);
        byte[] answer = r.answer(KeyringMessages.request(K1), "x", B);
        KeyringMessages.Answer a = KeyringMessages.decodeAnswer(answer);
        assertTrue(a.ok());
        assertArrayEquals(K2, a.keys().get(0));
        assertArrayEquals(K1, a.keys().get(1));
        assertEquals(1, counters.keyringRequestsServed);

        assertTrue(KeyringMessages.decodeAnswer(r.answer(KeyringMessages.request(K2), "x", B)).current(),
                "same primary: no key sent");
        assertEquals(2, counters.keyringRequestsServed);

        assertNull(r.answer(KeyringMessages.request(K1), null, B), "a plaintext stream gets nothing");
        assertNull(r.answer(KeyringMessages.keys(List.of(K3)), "x", B), "not a request");
        assertEquals(2, counters.keyringRequestsRefused);
        assertEquals(2, counters.keyringRequestsServed);
    }

    @Test
    void aNodeWithoutKeysOrThatDecryptedNoGossipLatelyRefuses() {
        KeyringRecovery none = new KeyringRecovery("a", null, true, node, counters, () -> now[0],
                new SplittableRandom(1), 2_000_000_000L);
        none.opened(C);
        assertEquals("refused: no keyring", KeyringMessages.decodeAnswer(
                none.answer(KeyringMessages.request(K1), "x", B)).refusal());
        KeyringRecovery empty = recovery(Keyring.empty());
        empty.opened(C);
        assertEquals("refused: no keyring", KeyringMessages.decodeAnswer(
                empty.answer(KeyringMessages.request(K1), "x", B)).refusal());

        KeyringRecovery isolated = recovery(Keyring.of(K1));
        KeyringMessages.Answer a = KeyringMessages.decodeAnswer(isolated.answer(KeyringMessages.request(K2), "x", B));
        assertFalse(a.ok());
        assertTrue(a.refusal().contains("decrypted no gossip"), a.refusal());

        isolated.opened(C);
        now[0] += KeyringRecovery.WINDOW_NANOS;
        assertFalse(KeyringMessages.decodeAnswer(isolated.answer(KeyringMessages.request(K2), "x", B)).ok(),
                "10 s after the last decrypted packet");
        KeyringRecovery stale = lockedOut(Keyring.of(K1));
        assertFalse(KeyringMessages.decodeAnswer(stale.answer(KeyringMessages.request(K2), "x", B)).ok());
        assertEquals(5, counters.keyringRequestsRefused);
        assertEquals(0, counters.keyringRequestsServed);
    }
}
