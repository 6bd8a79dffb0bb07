package dev.grapevine.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.SerfCodec;
import dev.grapevine.membership.wire.SerfMessage;
import dev.grapevine.membership.wire.WireEncoder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Members, intents, graceful leave, reaping, tags and hostile input, on a few nodes driven by hand. */
class SerfCoreTest {
    static final NodeAddress STRANGER = NodeAddress.of("10.9.9.9", 7946);

    static SerfTestNet cluster(int n, SerfConfig config) {
        SerfTestNet net = new SerfTestNet();
        for (int i = 0; i < n; i++) {
            net.add("n" + i, config, Map.of("role", i % 2 == 0 ? "web" : "db"), null);
        }
        net.startAll();
        assertTrue(net.converged(), "cluster formed");
        return net;
    }

    static void assertSelfChecks(SerfTestNet net) {
        for (SerfTestNet.Node n : net.nodes) {
            assertNull(n.serf.selfCheck(), n.name);
        }
    }

    // ---- members ----------------------------------------------------------------------------

    @Test
    void membersAreAliveWithTheirTagsVersionsAndJoinIntents() {
        SerfTestNet net = cluster(4, SerfConfig.defaults());
        net.run(Duration.ofSeconds(3)); // let the join intents gossip
        SerfTestNet.Node n0 = net.node("n0");
        SerfMember m = n0.serf.member("n1");
        assertEquals(SerfMemberStatus.ALIVE, m.status());
        assertEquals(Map.of("role", "db"), m.tags());
        assertEquals(5, m.versions().dCur());
        assertEquals(2, m.versions().dMin());
        assertEquals(5, m.versions().dMax());
        assertEquals(4, n0.serf.numNodes());
        assertEquals("n0", n0.serf.localMember().name());
        // Every joiner broadcast a join intent about itself, and everyone applied them.
        for (SerfTestNet.Node n : net.nodes.subList(1, 4)) {
            assertTrue(n.sent(SerfMessage.Join.class).stream().anyMatch(j -> j.node().equals(n.name)), n.name);
            assertTrue(n0.serf.member(n.name).statusLTime() > 0, n.name);
        }
        assertEquals(4, n0.events(SerfEvent.MemberJoin.class).size());
        assertSelfChecks(net);
    }

    @Test
    void gracefulLeaveSendsTheIntentFirstAndIsLeftEverywhere() {
        SerfTestNet net = cluster(4, SerfConfig.defaults());
        SerfTestNet.Node n3 = net.node("n3");
        n3.serf.leave();
        assertEquals(SerfState.LEAVING, n3.serf.state());
        assertThrows(IllegalStateException.class, n3.serf::leave);
        assertEquals(SerfMemberStatus.LEAVING, n3.status("n3"));
        assertTrue(net.runUntil(() -> !n3.events(SerfEvent.LeaveCompleted.class).isEmpty(), Duration.ofSeconds(30)));
        assertEquals(new SerfEvent.LeaveCompleted(true, true), n3.events(SerfEvent.LeaveCompleted.class).get(0));
        assertEquals(SerfState.LEFT, n3.serf.state());
        n3.serf.leave(); // a no-op once left
        // The intent went out before memberlist's leave message.
        assertTrue(n3.leaveIntentsBeforeOwnDead > 0, "leave intents sent before the dead message: "
                + n3.leaveIntentsBeforeOwnDead);
        n3.serf.shutdown();
        n3.crash();
        net.run(Duration.ofSeconds(60));
        for (SerfTestNet.Node n : net.nodes.subList(0, 3)) {
            assertEquals(SerfMemberStatus.LEFT, n.status("n3"), n.name);
            assertEquals(1, n.events(SerfEvent.MemberLeave.class).size(), n.name);
            assertEquals(0, n.events(SerfEvent.MemberFailed.class).size(), n.name);
        }
        assertSelfChecks(net);
    }

    @Test
    void memberlistLeaveWithoutTheIntentIsStillALeave() {
        SerfTestNet net = cluster(3, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        long inc = net.node("n2").core.localMember().incarnation();
        byte[] dead = WireEncoder.encode(new Message.Dead((int) inc, "n2", "n2"));
        n0.core.handlePacket(STRANGER, dead, 0, dead.length);
        assertEquals(SerfMemberStatus.LEFT, n0.status("n2"));
        assertEquals(1, n0.events(SerfEvent.MemberLeave.class).size());
        assertEquals(0, n0.events(SerfEvent.MemberFailed.class).size());
    }

    @Test
    void aCrashIsAFailureAndFailedMembersAreReaped() {
        SerfConfig cfg = SerfConfig.builder().reapInterval(Duration.ofSeconds(5)).reconnectTimeout(Duration.ofSeconds(40))
                .build();
        SerfTestNet net = cluster(4, cfg);
        net.node("n3").crash();
        SerfTestNet.Node n0 = net.node("n0");
        assertTrue(net.runUntil(() -> n0.status("n3") == SerfMemberStatus.FAILED, Duration.ofSeconds(60)));
        assertEquals(1, n0.events(SerfEvent.MemberFailed.class).size());
        assertEquals(1, n0.serf.metrics().failed());
        assertTrue(net.runUntil(() -> n0.serf.member("n3") == null, Duration.ofSeconds(60)));
        assertEquals("n3", n0.events(SerfEvent.MemberReap.class).get(0).member().name());
        assertEquals(3, n0.serf.numNodes());
        assertSelfChecks(net);
    }

    @Test
    void leftMembersAreReapedAfterTheTombstoneTimeout() {
        SerfConfig cfg = SerfConfig.builder().reapInterval(Duration.ofSeconds(5)).tombstoneTimeout(Duration.ofSeconds(30))
                .build();
        SerfTestNet net = cluster(3, cfg);
        SerfTestNet.Node n2 = net.node("n2");
        n2.serf.leave();
        assertTrue(net.runUntil(() -> !n2.events(SerfEvent.LeaveCompleted.class).isEmpty(), Duration.ofSeconds(30)));
        n2.serf.shutdown();
        n2.crash();
        SerfTestNet.Node n0 = net.node("n0");
        assertEquals(SerfMemberStatus.LEFT, n0.status("n2"));
        long leftAt = net.now;
        assertTrue(net.runUntil(() -> n0.serf.member("n2") == null, Duration.ofSeconds(120)));
        long after = net.now - leftAt;
        assertTrue(after > Duration.ofSeconds(30).toNanos() && after <= Duration.ofSeconds(40).toNanos(),
                "reaped after " + after / 1e9 + " s");
        assertEquals(0, n0.events(SerfEvent.MemberFailed.class).size());
    }

    // ---- intents ----------------------------------------------------------------------------

    @Test
    void leaveIntentsApplyOnlyWhenNewerAndAreRegossipedOnce() {
        SerfTestNet net = cluster(3, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        long st = n0.serf.member("n2").statusLTime();
        long clockBefore = n0.serf.memberTime();
        n0.inject(new SerfMessage.Leave(st, "n2", false), STRANGER);
        assertEquals(SerfMemberStatus.ALIVE, n0.status("n2"), "not newer than the status time");
        long rebroadcast = n0.serf.metrics().intentsRebroadcast();
        n0.inject(new SerfMessage.Leave(st + 40, "n2", false), STRANGER);
        assertEquals(SerfMemberStatus.LEAVING, n0.status("n2"));
        assertEquals(st + 40, n0.serf.member("n2").statusLTime());
        assertTrue(n0.serf.memberTime() > st + 40, "the clock witnessed the intent");
        assertTrue(n0.serf.memberTime() > clockBefore);
        assertEquals(rebroadcast + 1, n0.serf.metrics().intentsRebroadcast());
        n0.inject(new SerfMessage.Leave(st + 40, "n2", false), STRANGER);
        assertEquals(rebroadcast + 1, n0.serf.metrics().intentsRebroadcast(), "same intent twice: no re-gossip");
        // A newer join intent takes it back to alive; an older one changes nothing.
        n0.inject(new SerfMessage.Join(st + 10, "n2"), STRANGER);
        assertEquals(SerfMemberStatus.LEAVING, n0.status("n2"));
        n0.inject(new SerfMessage.Join(st + 41, "n2"), STRANGER);
        assertEquals(SerfMemberStatus.ALIVE, n0.status("n2"));
    }

    @Test
    void aLeaveIntentAboutThisNodeIsRefutedWithANewerJoinIntent() {
        SerfTestNet net = cluster(3, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        n0.sent.clear();
        n0.inject(new SerfMessage.Leave(500, "n0", false), STRANGER);
        assertEquals(SerfMemberStatus.ALIVE, n0.status("n0"));
        net.run(Duration.ofSeconds(2));
        assertTrue(n0.sent(SerfMessage.Join.class).stream().anyMatch(j -> j.node().equals("n0") && j.ltime() > 500),
                "refuting join intent sent: " + n0.sent(SerfMessage.Join.class));
        // The others end with n0 alive, at the refuting Lamport time.
        net.run(Duration.ofSeconds(5));
        for (SerfTestNet.Node n : net.nodes) {
            assertEquals(SerfMemberStatus.ALIVE, n.status("n0"), n.name);
            assertTrue(n.serf.member("n0").statusLTime() > 500, n.name);
        }
    }

    @Test
    void intentsAboutUnknownNodesAreBufferedAppliedAndExpire() {
        SerfConfig cfg = SerfConfig.builder().reapInterval(Duration.ofSeconds(5))
                .recentIntentTimeout(Duration.ofSeconds(20)).build();
        SerfTestNet net = cluster(2, cfg);
        SerfTestNet.Node n0 = net.node("n0");
        long rebroadcast = n0.serf.metrics().intentsRebroadcast();
        n0.inject(new SerfMessage.Leave(50, "late", false), STRANGER);
        n0.inject(new SerfMessage.Leave(50, "late", false), STRANGER);
        n0.inject(new SerfMessage.Join(7, "ghost"), STRANGER);
        assertEquals(2, n0.serf.metrics().recentIntents());
        assertEquals(rebroadcast + 2, n0.serf.metrics().intentsRebroadcast(), "new intents only");
        SerfTestNet.Node late = net.add("late", cfg, Map.of(), null);
        late.serf.start();
        late.serf.join(List.of(n0.address), false);
        net.run(Duration.ofSeconds(3));
        SerfEvent.MemberJoin joined = n0.events(SerfEvent.MemberJoin.class).stream()
                .filter(e -> e.member().name().equals("late")).findFirst().orElseThrow();
        assertEquals(SerfMemberStatus.LEAVING, joined.member().status(), "the buffered leave intent applied");
        assertEquals(50, joined.member().statusLTime());
        // Its own join intent is newer (its clock witnessed ours), so it ends alive.
        assertTrue(net.runUntil(() -> n0.status("late") == SerfMemberStatus.ALIVE, Duration.ofSeconds(10)));
        assertTrue(net.runUntil(() -> n0.serf.metrics().recentIntents() == 0, Duration.ofSeconds(60)));
    }

    @Test
    void aLeaveIntentAboutAFailedMemberMakesItLeftAndPruneErasesIt() {
        SerfTestNet net = cluster(4, SerfConfig.defaults());
        net.node("n3").crash();
        net.node("n2").crash();
        SerfTestNet.Node n0 = net.node("n0");
        assertTrue(net.runUntil(() -> n0.status("n3") == SerfMemberStatus.FAILED
                && n0.status("n2") == SerfMemberStatus.FAILED, Duration.ofSeconds(60)));
        n0.inject(new SerfMessage.Leave(1000, "n3", false), STRANGER);
        assertEquals(SerfMemberStatus.LEFT, n0.status("n3"));
        assertEquals("n3", n0.events(SerfEvent.MemberLeave.class).get(0).member().name());
        n0.inject(new SerfMessage.Leave(1001, "n2", true), STRANGER);
        assertNull(n0.serf.member("n2"), "pruned");
        assertEquals("n2", n0.events(SerfEvent.MemberReap.class).get(0).member().name());
        assertSelfChecks(net);
    }

    @Test
    void pushPullStateCarriesStatusesLeftMembersAndTheWholeRing() {
        SerfTestNet net = cluster(3, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        n0.serf.userEvent("e", new byte[] {1}, false);
        n0.inject(new SerfMessage.Leave(900, "n2", false), STRANGER);
        byte[] state = n0.serf.localState(false);
        SerfMessage.PushPull pp = (SerfMessage.PushPull) SerfCodec.decode(state).value();
        assertEquals(512, pp.events().size());
        assertEquals(3, pp.statusLTimes().size());
        assertEquals(900L, pp.statusLTimes().get("n2"));
        assertEquals(List.of(), pp.leftMembers());
        assertEquals(n0.serf.memberTime(), pp.ltime());
        assertEquals(n0.serf.eventTime(), pp.eventLTime());
        assertEquals(n0.serf.queryTime(), pp.queryLTime());
        assertEquals("e", pp.events().get(1).events().get(0).name());
    }

    @Test
    void mergingAPeersStateWitnessesClocksAndAppliesIntents() {
        SerfTestNet net = cluster(3, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        long st2 = n0.serf.member("n2").statusLTime();
        SerfMessage.PushPull pp = new SerfMessage.PushPull(1000, Map.of("n1", 999L, "n2", st2, "x", 5L),
                List.of("n2"), 300, java.util.Collections.nCopies(512, null), 77);
        n0.serf.mergeRemoteState(SerfCodec.encode(pp), false);
        assertTrue(n0.serf.memberTime() >= 1000);
        assertTrue(n0.serf.eventTime() >= 300);
        assertTrue(n0.serf.queryTime() >= 77);
        assertEquals(999, n0.serf.member("n1").statusLTime());
        assertEquals(SerfMemberStatus.LEAVING, n0.status("n2"), "a left member is a leave intent one past its time");
        assertEquals(st2 + 1, n0.serf.member("n2").statusLTime());
        assertEquals(1, n0.serf.metrics().recentIntents(), "the unknown x is buffered");
        // Bad prefix and bad msgpack: counted, nothing else.
        long malformed = n0.serf.metrics().malformed();
        n0.serf.mergeRemoteState(new byte[] {7, (byte) 0x80}, false);
        n0.serf.mergeRemoteState(new byte[] {2, (byte) 0xdd, 0x7f}, true);
        assertEquals(malformed + 2, n0.serf.metrics().malformed());
    }

    // ---- tags, builder, hostile input --------------------------------------------------------

    @Test
    void setTagsReachesThePeers() {
        SerfTestNet net = cluster(3, SerfConfig.defaults());
        SerfTestNet.Node n1 = net.node("n1");
        n1.serf.setTags(Map.of("role", "cache", "dc", "eu"));
        assertEquals(Map.of("role", "cache", "dc", "eu"), n1.serf.tags());
        assertTrue(net.runUntil(() -> net.node("n0").serf.member("n1").tags().equals(Map.of("role", "cache", "dc", "eu")),
                Duration.ofSeconds(10)));
        assertTrue(net.node("n2").events(SerfEvent.MemberUpdate.class).stream()
                .anyMatch(u -> u.member().name().equals("n1")));
        assertThrows(IllegalArgumentException.class, () -> n1.serf.setTags(Map.of("big", "x".repeat(600))));
    }

    @Test
    void theBuilderChecksTheCoreAndTheTags() {
        SerfTestNet net = new SerfTestNet();
        MembershipCore.Builder plain = MembershipCore.builder().config(MembershipConfig.lan()).name("x")
                .advertise(NodeAddress.of("10.0.0.1", 7946)).host(net.add("h")).clock(() -> 0)
                .random(new SplittableRandom(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SerfCore.builder()
                .host(ev -> { }).clock(() -> 0).random(new SplittableRandom(1)).membership(plain).build());
        assertTrue(e.getMessage().contains("delegateProtocol"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SerfCore.builder().host(ev -> { }).clock(() -> 0)
                .random(new SplittableRandom(1)).tags(Map.of("t", "v".repeat(520))).membership(plain).build());
        assertTrue(e.getMessage().contains("tags"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SerfCore.builder().host(ev -> { }).clock(() -> 0)
                .random(new SplittableRandom(1)).build());
        assertTrue(e.getMessage().contains("membership"), e.getMessage());
        // Protocol 2 encodes only the role, as Serf does.
        assertEquals("web", new String(SerfCore.encodeTags(Map.of("role", "web", "x", "y"), 2)));
    }

    @Test
    void malformedAndUnknownMessagesAreCountedAndDropped() {
        SerfTestNet net = cluster(2, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        SerfMetrics before = n0.serf.metrics();
        n0.injectRaw(new byte[] {0, (byte) 0xc1}, STRANGER);
        n0.injectRaw(new byte[] {3, (byte) 0x81, (byte) 0xa4, 'N', 'a', 'm', 'e', (byte) 0xc4, 1, 1}, STRANGER);
        n0.injectRaw(new byte[] {4, (byte) 0xdf, 0x7f, 0, 0, 0}, STRANGER);
        n0.injectRaw(new byte[] {42, 1, 2, 3}, STRANGER);
        n0.injectRaw(new byte[] {2, (byte) 0x80}, STRANGER); // push/pull never travels by UDP
        n0.injectRaw(new byte[] {7, (byte) 0x80}, STRANGER);
        SerfMetrics after = n0.serf.metrics();
        assertEquals(before.malformed() + 3, after.malformed());
        assertEquals(before.unknownType() + 3, after.unknownType());
        assertEquals(3, n0.rejections.size());
        // Relays: only query responses, only to usable addresses.
        n0.inject(new SerfMessage.Relay(new byte[] {10, 0, 0, 2}, 7946, "", "n1",
                SerfCodec.encode(new SerfMessage.UserEvent(1, "x", null, false))), STRANGER);
        n0.inject(new SerfMessage.Relay(new byte[] {10, 0, 0}, 7946, "", "n1",
                SerfCodec.encode(new SerfMessage.QueryResponse(1, 1, "x", 0, null))), STRANGER);
        n0.inject(new SerfMessage.Relay(new byte[] {10, 0, 0, 2}, 0, "", "n1",
                SerfCodec.encode(new SerfMessage.QueryResponse(1, 1, "x", 0, null))), STRANGER);
        assertEquals(3, n0.serf.metrics().relaysRefused());
        n0.inject(new SerfMessage.Relay(new byte[] {10, 0, 0, 2}, 7946, "", "n1",
                SerfCodec.encode(new SerfMessage.QueryResponse(1, 1, "x", 0, null))), STRANGER);
        assertEquals(1, n0.serf.metrics().relaysForwarded());
        assertNotNull(n0.serf.metrics().toString());
    }

    @Test
    void shutdownIsFinal() {
        SerfTestNet net = cluster(2, SerfConfig.defaults());
        SerfTestNet.Node n1 = net.node("n1");
        n1.serf.shutdown();
        n1.serf.shutdown();
        assertEquals(SerfState.SHUTDOWN, n1.serf.state());
        assertTrue(n1.core.isShutdown());
        assertThrows(IllegalStateException.class, n1.serf::leave);
        assertThrows(IllegalStateException.class, () -> n1.serf.userEvent("x", null, false));
        assertThrows(IllegalStateException.class, () -> n1.serf.join(List.of(STRANGER), false));
    }
}
