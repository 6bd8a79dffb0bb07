package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipEvent.JoinCompleted;
import dev.grapevine.membership.MembershipEvent.LeaveCompleted;
import dev.grapevine.membership.MembershipEvent.MemberDown;
import dev.grapevine.membership.MembershipEvent.MemberJoined;
import dev.grapevine.membership.MembershipEvent.MemberUpdated;
import dev.grapevine.membership.MembershipEvent.NameConflict;
import dev.grapevine.membership.MembershipEvent.UserMessage;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.Message.Ack;
import dev.grapevine.membership.wire.Message.Alive;
import dev.grapevine.membership.wire.Message.Dead;
import dev.grapevine.membership.wire.Message.Err;
import dev.grapevine.membership.wire.Message.IndirectPing;
import dev.grapevine.membership.wire.Message.Nack;
import dev.grapevine.membership.wire.Message.Ping;
import dev.grapevine.membership.wire.Message.PushNodeState;
import dev.grapevine.membership.wire.Message.PushPull;
import dev.grapevine.membership.wire.Message.Suspect;
import dev.grapevine.membership.wire.Message.User;
import dev.grapevine.membership.wire.Packets;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireEncoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One core driven by hand: each protocol rule of memberlist, message by message. */
class MembershipCoreTest {

    private static final long MS = 1_000_000L;
    private static final NodeAddress ME = NodeAddress.of("10.0.0.1", 7946);
    private static final byte[] VSN = {1, 5, 2, 0, 0, 0};

    private TestHost host;
    private MembershipCore core;

    @BeforeEach
    void setUp() {
        host = new TestHost();
        core = TestHost.core(host, "me", ME, MembershipConfig.lan());
        core.start();
    }

    private static NodeAddress addr(int i) {
        return NodeAddress.of("10.0.0." + (i + 1), 7946);
    }

    private void deliver(Message m, NodeAddress from) {
        byte[] b = WireEncoder.encode(m);
        core.handlePacket(from, b, 0, b.length);
    }

    private static Alive alive(String name, int inc, NodeAddress a) {
        return new Alive(inc, name, a.ip(), a.port(), null, VSN);
    }

    /** Adds members "n1".."nk" at 10.0.0.2.. by alive messages. */
    private void addMembers(int k) {
        for (int i = 1; i <= k; i++) {
            deliver(alive("n" + i, 1, addr(i)), addr(i));
        }
    }

    private PushPull decodeStream(byte[] bytes) {
        return (PushPull) Streams.read(bytes, 0, bytes.length).value();
    }

    @Test
    void startAnnouncesTheLocalNodeAndSchedulesTheTickers() {
        assertEquals(MemberState.ALIVE, core.state("me"));
        assertEquals(1, core.localMember().incarnation());
        assertEquals(List.of("me"), host.events(MemberJoined.class).stream().map(e -> e.member().name()).toList());
        for (Timer.Kind k : List.of(Timer.Kind.PROBE_TICK, Timer.Kind.GOSSIP_TICK, Timer.Kind.PUSH_PULL_TICK,
                Timer.Kind.RECONNECT_TICK)) {
            assertEquals(1, host.pending(k).size(), k.toString());
        }
        assertTrue(host.pending(Timer.Kind.PROBE_TICK).get(0) < Duration.ofSeconds(1).toNanos());
        assertThrows(IllegalStateException.class, core::start);
        assertNull(core.selfCheck(true));
    }

    @Test
    void pingForUsIsAckedToTheSourceAddressWithItsSeqNo() {
        NodeAddress src = addr(5);
        NodeAddress packetFrom = NodeAddress.of("192.0.2.9", 1234);
        deliver(new Ping(77, "me", src.ip(), src.port(), "n5"), packetFrom);
        List<Ack> acks = host.messages(src, Ack.class);
        assertEquals(1, acks.size());
        assertEquals(77, acks.get(0).seqNo());
        // The alive about ourselves queued at start rides along with the ack.
        assertTrue(host.messages(src, Alive.class).stream().anyMatch(a -> a.node().equals("me")));
    }

    @Test
    void pingWithoutSourceIsAckedToThePacketSource() {
        NodeAddress packetFrom = NodeAddress.of("192.0.2.9", 1234);
        deliver(new Ping(5, "", null, 0, ""), packetFrom);
        assertEquals(1, host.messages(packetFrom, Ack.class).size());
    }

    @Test
    void pingForAnotherNodeIsDroppedAndCounted() {
        deliver(new Ping(5, "someone-else", addr(3).ip(), 7946, "n3"), addr(3));
        assertTrue(host.sent.isEmpty());
        assertEquals(Rejection.WRONG_NODE, host.rejections.get(0).reason());
        assertEquals(1L, core.metrics().rejections().get(Rejection.WRONG_NODE));
    }

    @Test
    void aliveAddsAMemberOnceAndRegossipsIt() {
        host.clear();
        deliver(alive("n1", 3, addr(1)), addr(1));
        assertEquals(MemberState.ALIVE, core.state("n1"));
        assertEquals(1, host.events(MemberJoined.class).size());
        deliver(alive("n1", 3, addr(1)), addr(1));
        deliver(alive("n1", 2, addr(1)), addr(1));
        assertEquals(1, host.events(MemberJoined.class).size(), "same or older incarnation is ignored");
        assertEquals(3, core.member("n1").incarnation());
        // It is queued for gossip: the next gossip round carries it.
        host.fire(Timer.Kind.GOSSIP_TICK);
        assertTrue(host.messages(addr(1), Alive.class).stream().anyMatch(a -> a.node().equals("n1")));
    }

    @Test
    void newerAliveWithNewMetadataIsAnUpdate() {
        deliver(alive("n1", 1, addr(1)), addr(1));
        host.clear();
        deliver(new Alive(2, "n1", addr(1).ip(), 7946, new byte[] {1, 2, 3}, VSN), addr(1));
        List<MemberUpdated> ups = host.events(MemberUpdated.class);
        assertEquals(1, ups.size());
        assertArrayEquals(new byte[] {1, 2, 3}, ups.get(0).member().meta());
        deliver(alive("n1", 3, addr(1)), addr(1));
        assertEquals(2, host.events(MemberUpdated.class).size(), "metadata removed is an update too");
    }

    @Test
    void sameNameFromAnotherAddressIsAConflictAndIgnored() {
        deliver(alive("n1", 1, addr(1)), addr(1));
        deliver(alive("n1", 9, addr(7)), addr(7));
        List<NameConflict> c = host.events(NameConflict.class);
        assertEquals(1, c.size());
        assertEquals(addr(1), c.get(0).existing().address());
        assertEquals(addr(7), c.get(0).claimant().address());
        assertEquals(addr(1), core.member("n1").address());
        assertEquals(1, core.member("n1").incarnation());
        assertEquals(1, core.metrics().conflicts());
    }

    @Test
    void leftNodeMayComeBackWithANewAddress() {
        deliver(alive("n1", 5, addr(1)), addr(1));
        deliver(new Dead(5, "n1", "n1"), addr(1));
        assertEquals(MemberState.LEFT, core.state("n1"));
        deliver(alive("n1", 1, addr(7)), addr(7));
        assertEquals(MemberState.ALIVE, core.state("n1"));
        assertEquals(addr(7), core.member("n1").address());
        assertTrue(host.events(NameConflict.class).isEmpty());
        assertNull(core.selfCheck(true), "an address reclaim may lower the incarnation");
    }

    @Test
    void malformedAlivesAreRejected() {
        deliver(new Alive(1, "x", new byte[] {1, 2, 3}, 7946, null, VSN), addr(1));
        deliver(new Alive(1, "y", addr(2).ip(), 7946, null, new byte[] {1, 5, 2}), addr(2));
        deliver(new Alive(1, "z", addr(3).ip(), 7946, null, new byte[] {0, 0, 2, 0, 0, 0}), addr(3));
        deliver(new Alive(1, "w", addr(4).ip(), 7946, new byte[600], VSN), addr(4));
        assertEquals(List.of(Rejection.BAD_ADDRESS, Rejection.BAD_VERSION, Rejection.BAD_VERSION,
                Rejection.META_TOO_LARGE), host.rejections.stream().map(TestHost.Rejected::reason).toList());
        assertEquals(1, core.members().size());
    }

    @Test
    void suspicionAboutUsIsRefutedWithAHigherIncarnation() {
        host.clear();
        deliver(new Suspect(4, "me", "n1"), addr(1));
        Member self = core.localMember();
        assertEquals(5, self.incarnation(), "max(own + 1, accused + 1)");
        assertEquals(MemberState.ALIVE, self.state());
        assertEquals(1, core.healthScore(), "having to refute costs health");
        assertEquals(1, core.metrics().refutations());
        deliver(new Dead(5, "me", "n1"), addr(1));
        assertEquals(6, core.localMember().incarnation());
        addMembers(1);
        host.fire(Timer.Kind.GOSSIP_TICK);
        List<Alive> alives = host.messages(addr(1), Alive.class);
        assertTrue(alives.stream().anyMatch(a -> a.node().equals("me") && a.incarnation() == 6), alives.toString());
        assertNull(core.selfCheck(true));
    }

    @Test
    void aliveAboutUsWithDifferentMetadataIsRefuted() {
        deliver(new Alive(1, "me", ME.ip(), ME.port(), new byte[] {9}, VSN), addr(1));
        assertEquals(2, core.localMember().incarnation());
        deliver(new Alive(2, "me", ME.ip(), ME.port(), null, VSN), addr(1));
        assertEquals(2, core.localMember().incarnation(), "a faithful alive about us is fine");
    }

    @Test
    void suspicionTimesOutIntoDeathWithTheMinimumTimeoutInASmallCluster() {
        addMembers(2); // n = 3: too few for confirmations, k = 0, timeout = min = 4 s
        host.clear();
        deliver(new Suspect(1, "n1", "n2"), addr(2));
        assertEquals(MemberState.SUSPECT, core.state("n1"));
        assertEquals(List.of(4_000 * MS), host.pending(Timer.Kind.SUSPICION));
        host.advanceMillis(3_999);
        assertEquals(MemberState.SUSPECT, core.state("n1"));
        host.advanceMillis(1);
        assertEquals(MemberState.DEAD, core.state("n1"));
        MemberDown down = host.events(MemberDown.class).get(0);
        assertEquals("n1", down.member().name());
        assertEquals("me", down.declaredBy());
        assertEquals(1, core.metrics().deathsDeclared());
    }

    @Test
    void confirmationsShortenTheSuspicionTimeout() {
        addMembers(5); // n = 6, k = 2, min = 4 s, max = 24 s
        deliver(new Suspect(1, "n1", "n2"), addr(2));
        assertEquals(List.of(24_000 * MS), host.pending(Timer.Kind.SUSPICION));
        host.advanceMillis(1_000);
        deliver(new Suspect(1, "n1", "n3"), addr(3));
        // 24 - ln2/ln3 * 20 = 11.381 s from the start, 10.381 s from now
        assertTrue(host.pending(Timer.Kind.SUSPICION).contains(10_381 * MS), host.pending(Timer.Kind.SUSPICION).toString());
        deliver(new Suspect(1, "n1", "n3"), addr(3));
        assertEquals(1, core.metrics().confirmations(), "duplicate accuser not counted");
        deliver(new Suspect(1, "n1", "n4"), addr(4));
        host.advanceMillis(3_000);
        assertEquals(MemberState.DEAD, core.state("n1"), "two confirmations bring it down to min = 4 s");
    }

    @Test
    void refutationCancelsTheSuspicion() {
        addMembers(2);
        deliver(new Suspect(1, "n1", "n2"), addr(2));
        deliver(alive("n1", 2, addr(1)), addr(1));
        assertEquals(MemberState.ALIVE, core.state("n1"));
        host.fire(Timer.Kind.SUSPICION);
        assertEquals(MemberState.ALIVE, core.state("n1"), "the stale timer is ignored");
        assertTrue(host.events(MemberDown.class).isEmpty());
    }

    @Test
    void deadFromItselfIsLeftAndFromOthersIsFailed() {
        addMembers(2);
        deliver(new Dead(1, "n1", "n1"), addr(1));
        deliver(new Dead(1, "n2", "n1"), addr(1));
        assertEquals(MemberState.LEFT, core.state("n1"));
        assertEquals(MemberState.DEAD, core.state("n2"));
        List<MemberDown> downs = host.events(MemberDown.class);
        assertEquals(2, downs.size());
        deliver(new Dead(0, "n2", "n1"), addr(1));
        assertEquals(2, host.events(MemberDown.class).size(), "older incarnation ignored");
        deliver(alive("n2", 1, addr(2)), addr(2));
        assertEquals(MemberState.DEAD, core.state("n2"), "resurrection needs a higher incarnation");
        deliver(alive("n2", 2, addr(2)), addr(2));
        assertEquals(MemberState.ALIVE, core.state("n2"));
        assertEquals("n2", host.events(MemberJoined.class).get(host.events(MemberJoined.class).size() - 1)
                .member().name());
    }

    @Test
    void failedProbeGoesIndirectThenSuspectsAndCostsHealth() {
        addMembers(3);
        host.clear();
        host.fire(Timer.Kind.PROBE_TICK);
        List<Ping> pings = host.messages(null, Ping.class);
        assertEquals(1, pings.size());
        Ping ping = pings.get(0);
        String target = ping.node();
        host.clear();
        host.fire(Timer.Kind.PROBE_TIMEOUT);
        List<IndirectPing> ind = host.messages(null, IndirectPing.class);
        assertEquals(2, ind.size(), "the two other members are asked");
        assertTrue(ind.stream().allMatch(i -> i.nack() && i.seqNo() == ping.seqNo() && i.node().equals(target)));
        assertEquals(1, host.streams.size(), "a stream ping fallback is requested");
        assertEquals(StreamRequest.Kind.PING, host.streams.get(0).kind());
        // one helper nacks: expected 2, got 1 -> +1
        deliver(new Nack(ping.seqNo()), addr(2));
        host.core.handleStreamFailure(host.streams.get(0).id(), "refused");
        host.fire(Timer.Kind.PROBE_DEADLINE);
        assertEquals(MemberState.SUSPECT, core.state(target));
        assertEquals(1, core.healthScore());
        assertEquals(1, core.metrics().probeFailures());
    }

    @Test
    void ackEndsTheProbeAndImprovesHealth() {
        addMembers(2);
        deliver(new Suspect(1, "me", "n1"), addr(1)); // health 1
        host.clear();
        host.fire(Timer.Kind.PROBE_TICK);
        Ping ping = host.messages(null, Ping.class).get(0);
        host.advanceMillis(3);
        deliver(new Ack(ping.seqNo(), null), addr(1));
        assertEquals(0, core.healthScore());
        assertEquals(1, core.metrics().probeRttCount());
        assertEquals(3 * MS, core.metrics().probeRttSumNanos());
        host.clear();
        host.fire(Timer.Kind.PROBE_TIMEOUT); // stale: the probe is over
        assertTrue(host.messages(null, IndirectPing.class).isEmpty());
        assertEquals(MemberState.ALIVE, core.state(ping.node()));
    }

    @Test
    void streamPingSuccessSavesTheProbe() {
        addMembers(1);
        host.clear();
        host.fire(Timer.Kind.PROBE_TICK);
        host.fire(Timer.Kind.PROBE_TIMEOUT);
        StreamRequest sr = host.streams.get(0);
        Ping p = (Ping) Streams.read(sr.payload(), 0, sr.payload().length).value();
        byte[] ack = WireEncoder.encode(new Ack(p.seqNo(), null));
        core.handleStreamReply(sr.id(), ack, 0, ack.length);
        host.fire(Timer.Kind.PROBE_DEADLINE);
        assertEquals(MemberState.ALIVE, core.state("n1"));
        assertEquals(0, core.metrics().probeFailures());
    }

    @Test
    void suspectTargetGetsThePingAndTheSuspicionTogether() {
        addMembers(1);
        deliver(new Suspect(1, "n1", "someone"), addr(1));
        host.clear();
        host.fire(Timer.Kind.PROBE_TICK);
        List<Message> msgs = host.messagesTo(addr(1));
        assertTrue(msgs.get(0) instanceof Ping);
        assertEquals(new Suspect(1, "n1", "me"), msgs.get(1));
        byte[] raw = host.sent.get(0).bytes();
        assertEquals(12, raw[0], "a known protocol-5 member gets a CRC header");
    }

    @Test
    void relaysAnIndirectPingAndForwardsTheAck() {
        NodeAddress requester = addr(1);
        NodeAddress target = addr(2);
        deliver(new IndirectPing(900, target.ip(), target.port(), "n2", true, requester.ip(), requester.port(), "n1"),
                requester);
        Ping relayed = host.messages(target, Ping.class).get(0);
        assertEquals("n2", relayed.node());
        assertEquals("me", relayed.sourceNode());
        host.clear();
        deliver(new Ack(relayed.seqNo(), null), target);
        assertEquals(List.of(new Ack(900, null)), host.messages(requester, Ack.class));
        host.advanceMillis(1_000);
        assertTrue(host.messages(requester, Nack.class).isEmpty(), "no nack once acked");
    }

    @Test
    void relayNacksAtEightyPercentOfTheProbeTimeout() {
        NodeAddress requester = addr(1);
        NodeAddress target = addr(2);
        deliver(new IndirectPing(900, target.ip(), target.port(), "n2", true, requester.ip(), requester.port(), "n1"),
                requester);
        Ping relayed = host.messages(target, Ping.class).get(0);
        host.clear();
        host.advanceMillis(399);
        assertTrue(host.messages(requester, Nack.class).isEmpty());
        host.advanceMillis(1);
        assertEquals(List.of(new Nack(900)), host.messages(requester, Nack.class));
        host.advanceMillis(100);
        host.clear();
        deliver(new Ack(relayed.seqNo(), null), target);
        assertTrue(host.messages(requester, Ack.class).isEmpty(), "expired relay forwards nothing");
    }

    @Test
    void pushPullRequestIsAnsweredWithOurStateThenMerged() {
        addMembers(1);
        List<PushNodeState> remote = List.of(
                new PushNodeState("r1", addr(10).ip(), 7946, null, 3, 0, VSN),
                new PushNodeState("n1", addr(1).ip(), 7946, null, 1, 2, VSN), // remote says dead: we only suspect
                new PushNodeState("r2", addr(11).ip(), 7946, null, 1, 3, VSN)); // unknown left node: ignored
        byte[] req = WireEncoder.encode(new PushPull(true, remote, null));
        byte[] reply = core.handleStream(addr(10), req, 0, req.length);
        PushPull ours = decodeStream(reply);
        assertTrue(ours.join(), "join flag copied from the request");
        assertEquals(List.of("me", "n1"), ours.nodes().stream().map(PushNodeState::name).sorted().toList(),
                "the reply is our state before the merge");
        assertEquals(MemberState.ALIVE, core.state("r1"));
        assertEquals(MemberState.SUSPECT, core.state("n1"));
        assertNull(core.state("r2"));
        assertEquals(1, core.metrics().pushPullsServed());
    }

    @Test
    void pushPullWithIncompatibleVersionsIsAnsweredButNotMerged() {
        List<PushNodeState> remote = List.of(
                new PushNodeState("r1", addr(10).ip(), 7946, null, 3, 0, new byte[] {1, 5, 2, 2, 5, 5}));
        byte[] req = WireEncoder.encode(new PushPull(false, remote, null));
        byte[] reply = core.handleStream(addr(10), req, 0, req.length);
        assertNotNull(reply);
        assertNull(core.state("r1"), "delegate version 5 is outside our [0, 0]");
        assertEquals(Rejection.INCOMPATIBLE_VERSION, host.rejections.get(0).reason());
    }

    @Test
    void undecodableStreamGetsAnErrorReply() {
        byte[] junk = {6, (byte) 0x81, (byte) 0xa1, 'x'};
        byte[] reply = core.handleStream(addr(3), junk, 0, junk.length);
        Message m = Streams.read(reply, 0, reply.length).value();
        assertTrue(m instanceof Err, m.toString());
    }

    @Test
    void streamPingAndUserMessage() {
        byte[] ping = WireEncoder.encode(new Ping(31, "me", null, 0, ""));
        byte[] reply = core.handleStream(addr(1), ping, 0, ping.length);
        assertEquals(new Ack(31, null), Streams.read(reply, 0, reply.length).value());
        byte[] user = WireEncoder.encodeStreamUser(new byte[] {4, 5});
        assertNull(core.handleStream(addr(1), user, 0, user.length));
        assertArrayEquals(new byte[] {4, 5}, host.events(UserMessage.class).get(0).payload());
    }

    @Test
    void joinReportsContactedSeedsAndFailures() {
        long id = core.join(List.of(addr(1), addr(2)));
        assertEquals(2, host.streams.size());
        StreamRequest first = host.streams.get(0);
        assertTrue(decodeStream(first.payload()).join());
        List<PushNodeState> remote = List.of(new PushNodeState("n1", addr(1).ip(), 7946, null, 1, 0, VSN));
        byte[] reply = WireEncoder.encode(new PushPull(true, remote, null));
        core.handleStreamReply(first.id(), reply, 0, reply.length);
        assertTrue(host.events(JoinCompleted.class).isEmpty());
        core.handleStreamFailure(host.streams.get(1).id(), "connection refused");
        JoinCompleted done = host.events(JoinCompleted.class).get(0);
        assertEquals(id, done.joinId());
        assertEquals(1, done.contacted());
        assertEquals(1, done.failures().size());
        assertTrue(done.failures().get(0).contains("connection refused"));
        assertEquals(MemberState.ALIVE, core.state("n1"));
    }

    @Test
    void streamsTheHostNeverAnswersFailAfterTheGuard() {
        core.join(List.of(addr(1)));
        host.advance(Duration.ofSeconds(13).toNanos());
        assertEquals(0, host.events(JoinCompleted.class).get(0).contacted());
    }

    @Test
    void gracefulLeaveGossipsLeftAndCompletesAfterTheRetransmitLimit() {
        addMembers(2);
        host.clear();
        core.leave(Duration.ofSeconds(30));
        assertEquals(MemberState.LEFT, core.state("me"));
        assertTrue(host.events(LeaveCompleted.class).isEmpty());
        for (int i = 0; i < 10 && host.events(LeaveCompleted.class).isEmpty(); i++) {
            host.fire(Timer.Kind.GOSSIP_TICK);
        }
        assertEquals(List.of(new LeaveCompleted(true)), host.events(LeaveCompleted.class));
        List<Dead> deads = host.messages(null, Dead.class);
        assertEquals(4, deads.size(), "sent exactly retransmitLimit(4, 3) = 4 times");
        assertTrue(deads.stream().allMatch(d -> d.node().equals("me") && d.from().equals("me")));
        deliver(new Suspect(1, "me", "n1"), addr(1));
        assertEquals(MemberState.LEFT, core.state("me"), "no refutation once left");
        assertNull(core.selfCheck(true));
    }

    @Test
    void leaveAloneCompletesAtOnceAndLeaveTimesOut() {
        core.leave(Duration.ofSeconds(1));
        assertEquals(List.of(new LeaveCompleted(true)), host.events(LeaveCompleted.class));

        TestHost h2 = new TestHost();
        MembershipCore c2 = TestHost.core(h2, "me2", ME, MembershipConfig.lan().toBuilder()
                .gossipInterval(Duration.ZERO).build());
        c2.start();
        byte[] a = WireEncoder.encode(alive("n1", 1, addr(1)));
        c2.handlePacket(addr(1), a, 0, a.length);
        c2.leave(Duration.ofSeconds(1));
        h2.advanceMillis(1_000);
        assertEquals(List.of(new LeaveCompleted(false)), h2.events(LeaveCompleted.class));
    }

    @Test
    void metadataUpdateRaisesTheIncarnation() {
        core.updateMetadata(new byte[] {7});
        assertEquals(2, core.localMember().incarnation());
        assertArrayEquals(new byte[] {7}, host.events(MemberUpdated.class).get(0).member().meta());
        assertThrows(IllegalArgumentException.class, () -> core.updateMetadata(new byte[513]));
    }

    @Test
    void userBroadcastsArePiggybacked() {
        addMembers(1);
        core.broadcast(new byte[] {42});
        host.clear();
        host.fire(Timer.Kind.GOSSIP_TICK);
        assertTrue(host.messages(addr(1), User.class).stream().anyMatch(u -> u.payload()[0] == 42));
        assertThrows(IllegalArgumentException.class, () -> core.broadcast(new byte[1400]));
    }

    @Test
    void userMessagesInPacketsBecomeEvents() {
        byte[] pkt = Packets.compound(List.of(WireEncoder.encode(new User(new byte[] {1})),
                WireEncoder.encode(new User(new byte[] {2}))));
        core.handlePacket(addr(1), pkt, 0, pkt.length);
        assertEquals(2, host.events(UserMessage.class).size());
        assertEquals(addr(1), host.events(UserMessage.class).get(0).from());
    }

    @Test
    void deadMembersAreReapedAfterGossipToTheDeadTime() {
        addMembers(3);
        deliver(new Dead(1, "n1", "n2"), addr(2));
        deliver(new Dead(1, "n3", "n3"), addr(3));
        host.advance(Duration.ofSeconds(31).toNanos());
        assertNull(core.state("n1"));
        assertNull(core.state("n3"));
        assertEquals(MemberState.ALIVE, core.state("me"));
        assertNull(core.selfCheck(true));
    }

    @Test
    void reconnectTriesFailedMembersByPushPull() {
        addMembers(1);
        deliver(new Dead(1, "n1", "someone"), addr(1));
        host.advance(Duration.ofSeconds(120).toNanos());
        List<StreamRequest> attempts = host.streams.stream()
                .filter(s -> s.kind() == StreamRequest.Kind.PUSH_PULL && s.target().equals(addr(1))).toList();
        assertFalse(attempts.isEmpty(), "a failed member is retried even after it was reaped");
        assertEquals("n1", attempts.get(0).targetName());
    }

    @Test
    void shutdownIgnoresEverything() {
        core.shutdown();
        host.clear();
        host.advance(Duration.ofSeconds(100).toNanos());
        deliver(new Ping(1, "me", null, 0, ""), addr(1));
        assertTrue(host.sent.isEmpty());
        assertEquals(Rejection.SHUT_DOWN, host.rejections.get(0).reason());
    }

    @Test
    void hostileBytesNeverThrowAndNeverCorruptState() {
        addMembers(3);
        SplittableRandom rnd = new SplittableRandom(3);
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(WireEncoder.encode(alive("n9", 4, addr(9))));
        seeds.add(WireEncoder.encode(new Suspect(1, "n1", "x")));
        seeds.add(WireEncoder.encode(new PushPull(false, List.of(
                new PushNodeState("q", addr(20).ip(), 7946, null, 2, 0, VSN)), new byte[] {1})));
        seeds.add(Packets.compound(List.of(seeds.get(0), seeds.get(1))));
        for (int i = 0; i < 20_000; i++) {
            byte[] b = seeds.get(rnd.nextInt(seeds.size())).clone();
            int flips = 1 + rnd.nextInt(4);
            for (int f = 0; f < flips; f++) {
                b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            }
            int len = rnd.nextInt(b.length + 1);
            core.handlePacket(addr(4), b, 0, len);
            core.handleStream(addr(4), b, 0, len);
            core.handleStreamReply(rnd.nextInt(5), b, 0, len);
        }
        assertNull(core.selfCheck(true));
        assertEquals(MemberState.ALIVE, core.state("me"));
    }

    @Test
    void deadNodeMayReturnWithANewAddressOnlyAfterTheReclaimTime() {
        TestHost h = new TestHost();
        MembershipCore c = TestHost.core(h, "me", ME, MembershipConfig.lan().toBuilder()
                .deadNodeReclaimTime(Duration.ofSeconds(10)).probeInterval(Duration.ofSeconds(60))
                .probeTimeout(Duration.ofSeconds(1)).build());
        c.start();
        byte[] a1 = WireEncoder.encode(alive("n1", 1, addr(1)));
        c.handlePacket(addr(1), a1, 0, a1.length);
        byte[] dead = WireEncoder.encode(new Dead(1, "n1", "n2"));
        c.handlePacket(addr(2), dead, 0, dead.length);
        byte[] moved = WireEncoder.encode(alive("n1", 2, addr(7)));
        h.advanceMillis(5_000);
        c.handlePacket(addr(7), moved, 0, moved.length);
        assertEquals(1, h.events(NameConflict.class).size(), "too early: still a conflict");
        assertEquals(MemberState.DEAD, c.state("n1"));
        h.advanceMillis(6_000);
        c.handlePacket(addr(7), moved, 0, moved.length);
        assertEquals(MemberState.ALIVE, c.state("n1"));
        assertEquals(addr(7), c.member("n1").address());
    }

    @Test
    void gossipReachesTheDeadOnlyForGossipToTheDeadTime() {
        addMembers(2);
        deliver(new Dead(1, "n2", "n1"), addr(1));
        int toDead = 0;
        for (int i = 0; i < 20; i++) {
            core.broadcast(new byte[] {(byte) i});
            host.clear();
            host.fire(Timer.Kind.GOSSIP_TICK);
            toDead += host.messagesTo(addr(2)).size();
        }
        assertTrue(toDead > 0, "a recently dead member still gets gossip");
        host.advance(Duration.ofSeconds(31).toNanos());
        int late = 0;
        for (int i = 0; i < 20; i++) {
            core.broadcast(new byte[] {(byte) i});
            host.clear();
            host.fire(Timer.Kind.GOSSIP_TICK);
            late += host.messagesTo(addr(2)).size();
        }
        assertEquals(0, late, "no gossip to a member dead for longer than gossipToTheDeadTime");
    }

    @Test
    void delegateSeesEventsConsumesUserMessagesAndGetsItsTimers() {
        TestHost h = new TestHost();
        List<MembershipEvent> seen = new ArrayList<>();
        List<Long> timers = new ArrayList<>();
        Delegate d = new Delegate() {
            @Override
            public boolean userMessage(byte[] payload, NodeAddress from) {
                return payload[0] == 1;
            }

            @Override
            public void event(MembershipEvent event) {
                seen.add(event);
            }

            @Override
            public void timer(long token) {
                timers.add(token);
            }
        };
        MembershipCore c = MembershipCore.builder().name("me").advertise(ME).host(h).clock(h)
                .random(new SplittableRandom(1)).delegate(d).build();
        h.core = c;
        c.start();
        assertEquals(List.of(MemberJoined.class), seen.stream().map(Object::getClass).toList());
        byte[] consumed = WireEncoder.encode(new User(new byte[] {1}));
        byte[] passed = WireEncoder.encode(new User(new byte[] {2}));
        c.handlePacket(addr(1), consumed, 0, consumed.length);
        c.handlePacket(addr(1), passed, 0, passed.length);
        assertEquals(1, h.events(UserMessage.class).size());
        assertEquals(2, h.events(UserMessage.class).get(0).payload()[0]);
        c.scheduleDelegateTimer(42, 5 * MS);
        assertTrue(timers.isEmpty(), "never synchronously");
        h.advanceMillis(5);
        assertEquals(List.of(42L), timers);
    }
}
