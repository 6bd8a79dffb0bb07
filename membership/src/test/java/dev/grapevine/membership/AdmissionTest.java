package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.Message.Alive;
import dev.grapevine.membership.wire.Message.Dead;
import dev.grapevine.membership.wire.Message.Err;
import dev.grapevine.membership.wire.Message.PushNodeState;
import dev.grapevine.membership.wire.Message.PushPull;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireEncoder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admission hook and the authenticated-peer checks on push/pulls, driven by hand. */
class AdmissionTest {
    private static final NodeAddress ME = NodeAddress.of("10.0.0.1", 7946);
    private static final byte[] VSN = {1, 5, 2, 0, 0, 0};

    /** Admits what it was told to, and records every question. */
    private static final class Gate implements Admission {
        final Set<String> allowed = new HashSet<>();
        final List<String> asked = new ArrayList<>();

        @Override
        public boolean admit(String name, NodeAddress address, Evidence evidence) {
            asked.add(name + "@" + address + " " + evidence);
            return evidence == Evidence.STREAM_PEER || allowed.contains(name + "@" + address);
        }
    }

    private TestHost host;
    private MembershipCore core;
    private Gate gate;

    @BeforeEach
    void setUp() {
        host = new TestHost();
        gate = new Gate();
        core = MembershipCore.builder().config(MembershipConfig.lan()).name("me").advertise(ME).host(host)
                .clock(host).random(new SplittableRandom(7)).admission(gate).build();
        host.core = core;
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

    private static PushNodeState record(String name, NodeAddress a, int inc, int state) {
        return new PushNodeState(name, a.ip(), a.port(), null, inc, state, VSN);
    }

    private long vetoed() {
        return core.metrics().rejections().getOrDefault(Rejection.VETOED, 0L);
    }

    private long mismatched() {
        return core.metrics().rejections().getOrDefault(Rejection.PEER_MISMATCH, 0L);
    }

    @Test
    void aGossipedNewMemberIsAskedAboutAndRefusedUntilAdmitted() {
        deliver(alive("n1", 1, addr(1)), addr(5));
        assertNull(core.state("n1"));
        assertEquals(1, vetoed());
        assertEquals(List.of("n1@" + addr(1) + " HEARSAY"), gate.asked);
        assertTrue(host.events(MembershipEvent.MemberJoined.class).stream().allMatch(j -> j.member().name().equals("me")));

        // Refusals are not remembered: once the host admits it, the next claim gets in.
        gate.allowed.add("n1@" + addr(1));
        deliver(alive("n1", 1, addr(1)), addr(5));
        assertEquals(MemberState.ALIVE, core.state("n1"));
        assertEquals(1, vetoed());

        // A known member at the same address is not asked about again, whatever the claim.
        gate.asked.clear();
        deliver(alive("n1", 2, addr(1)), addr(5));
        assertEquals(2, core.member("n1").incarnation());
        assertEquals(List.of(), gate.asked);
    }

    @Test
    void aMoveToAnotherAddressIsAskedAbout() {
        gate.allowed.add("n1@" + addr(1));
        deliver(alive("n1", 1, addr(1)), addr(1));
        deliver(new Dead(1, "n1", "n1"), addr(1)); // left: may come back elsewhere
        assertEquals(MemberState.LEFT, core.state("n1"));

        deliver(alive("n1", 2, addr(9)), addr(9));
        assertEquals(MemberState.LEFT, core.state("n1"), "the move was refused");
        assertEquals(addr(1), core.member("n1").address());
        assertEquals(1, vetoed());

        gate.allowed.add("n1@" + addr(9));
        deliver(alive("n1", 2, addr(9)), addr(9));
        assertEquals(MemberState.ALIVE, core.state("n1"));
        assertEquals(addr(9), core.member("n1").address());
    }

    @Test
    void aPushPullOnAnAuthenticatedStreamAdmitsItsSenderOnly() {
        List<PushNodeState> state = List.of(record("p", addr(2), 1, 0), record("q", addr(3), 4, 0));
        byte[] req = WireEncoder.encode(new PushPull(false, state, null));
        byte[] reply = core.handleStream(addr(2), "p", req, 0, req.length);
        assertInstanceOf(PushPull.class, Streams.read(reply, 0, reply.length).value());
        assertEquals(MemberState.ALIVE, core.state("p"), "the sender's own record, authenticated");
        assertNull(core.state("q"), "a third node's record is hearsay");
        assertTrue(gate.asked.contains("p@" + addr(2) + " STREAM_PEER"), gate.asked.toString());
        assertTrue(gate.asked.contains("q@" + addr(3) + " HEARSAY"), gate.asked.toString());
        assertEquals(1, vetoed());
    }

    @Test
    void aPushPullWithoutTheAuthenticatedPeersOwnStateIsRefusedWhole() {
        // A node holding a certificate for "y" that speaks as "x".
        List<PushNodeState> state = List.of(record("x", addr(2), 1, 0));
        byte[] req = WireEncoder.encode(new PushPull(true, state, null));
        byte[] reply = core.handleStream(addr(2), "y", req, 0, req.length);
        Message m = Streams.read(reply, 0, reply.length).value();
        assertInstanceOf(Err.class, m);
        assertTrue(((Err) m).error().contains("y"), ((Err) m).error());
        assertNull(core.state("x"));
        assertEquals(1, mismatched());
        assertEquals(List.of(), gate.asked, "nothing of it was merged");
        assertEquals(0, core.metrics().pushPullsServed());
    }

    @Test
    void withoutAnAuthenticatedPeerEveryRecordIsHearsay() {
        List<PushNodeState> state = List.of(record("p", addr(2), 1, 0));
        byte[] req = WireEncoder.encode(new PushPull(false, state, null));
        core.handleStream(addr(2), req, 0, req.length);
        assertNull(core.state("p"));
        assertEquals(List.of("p@" + addr(2) + " HEARSAY"), gate.asked);
    }

    @Test
    void aReplyMustComeFromTheNamedNodeAndCarryItsState() {
        core.pushPull(addr(4), "r");
        StreamRequest sr = host.streams.get(host.streams.size() - 1);
        assertEquals("r", sr.targetName());
        assertEquals(StreamRequest.Kind.PUSH_PULL, sr.kind());
        byte[] reply = WireEncoder.encode(new PushPull(false, List.of(record("r", addr(4), 3, 0)), null));
        core.handleStreamReply(sr.id(), "s", reply, 0, reply.length);
        assertNull(core.state("r"));
        assertEquals(1, mismatched());
        assertEquals(1, core.metrics().pushPullFailures());

        core.pushPull(addr(4), "r");
        sr = host.streams.get(host.streams.size() - 1);
        byte[] other = WireEncoder.encode(new PushPull(false, List.of(record("s", addr(4), 3, 0)), null));
        core.handleStreamReply(sr.id(), "r", other, 0, other.length);
        assertNull(core.state("s"));
        assertEquals(2, mismatched());

        core.pushPull(addr(4), "r");
        sr = host.streams.get(host.streams.size() - 1);
        core.handleStreamReply(sr.id(), "r", reply, 0, reply.length);
        assertEquals(MemberState.ALIVE, core.state("r"), "admitted by its own record on a stream authenticated as r");
        assertEquals(2, core.metrics().pushPullFailures());
    }

    @Test
    void aJoinSeedMayBeAnyAuthenticatedNodeThatCarriesItsOwnState() {
        long id = core.join(List.of(addr(6)));
        StreamRequest sr = host.streams.get(host.streams.size() - 1);
        assertEquals("", sr.targetName());
        byte[] reply = WireEncoder.encode(new PushPull(true, List.of(record("seed", addr(6), 2, 0)), null));
        core.handleStreamReply(sr.id(), "seed", reply, 0, reply.length);
        assertEquals(MemberState.ALIVE, core.state("seed"));
        MembershipEvent.JoinCompleted done = host.events(MembershipEvent.JoinCompleted.class).get(0);
        assertEquals(id, done.joinId());
        assertEquals(1, done.contacted());
    }

    @Test
    void theDefaultAdmitsEveryone() {
        TestHost h = new TestHost();
        MembershipCore c = TestHost.core(h, "me", ME, MembershipConfig.lan());
        c.start();
        byte[] b = WireEncoder.encode(alive("n1", 1, addr(1)));
        c.handlePacket(addr(1), b, 0, b.length);
        assertEquals(MemberState.ALIVE, c.state("n1"));
        assertFalse(c.metrics().rejections().containsKey(Rejection.VETOED));
    }
}
