package dev.grapevine.simulator.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.ClaimAuthority;
import dev.grapevine.membership.CoreMetrics;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Rejection;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.SignedCodec;
import dev.grapevine.membership.wire.WireEncoder;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.SimNode;
import dev.grapevine.simulator.Simulation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Signing mode: every member speaks only for itself. "mallory" below is a member with a valid
 * identity of its own (it holds the shared gossip key too, in a real cluster) that tries to speak
 * for others.
 */
class SigningTest {
    private static final byte[] VSN = {1, 5, 2, 0, 0, 0};

    private static Simulation signedCluster(long seed, int n) {
        Simulation sim = Simulation.builder().seed(seed).config(MembershipConfig.lan()).network(NetworkModel.lan())
                .signing(true).build();
        sim.addNodes(n);
        return sim;
    }

    private static void converge(Simulation sim) {
        sim.startAllAndJoin("node-0");
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(2)), "fraction " + sim.convergedFraction());
        Clusters.assertNoViolations(sim);
    }

    private static byte[] signed(ClaimAuthority as, String signer, Message m, boolean withCert) {
        byte[] payload = WireEncoder.encode(m);
        return SignedCodec.envelope(signer, as.sign(SignedCodec.signedBytes(signer, payload)),
                withCert ? as.certificate() : null, payload);
    }

    private static long rejected(Simulation sim, Rejection r) {
        long total = 0;
        for (SimNode n : sim.liveNodes()) {
            total += n.core().metrics().rejections().getOrDefault(r, 0L);
        }
        return total;
    }

    /** Sends {@code bytes} from {@code from} to every other live node. */
    private static void toAll(Simulation sim, String from, byte[] bytes) {
        for (SimNode n : sim.liveNodes()) {
            if (!n.name().equals(from)) {
                sim.sendPacket(from, n.address(), bytes);
            }
        }
    }

    @Test
    void aSignedClusterJoinsDetectsACrashAndSeesALeave() {
        Simulation sim = signedCluster(61, 30);
        converge(sim);
        sim.crash("node-7");
        sim.leave("node-9", Duration.ofSeconds(10));
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(2)), "fraction " + sim.convergedFraction());
        for (SimNode n : sim.liveNodes()) {
            assertEquals(MemberState.DEAD, n.core().state("node-7"), n.name());
            assertEquals(MemberState.LEFT, n.core().state("node-9"), n.name());
            CoreMetrics m = n.core().metrics();
            assertEquals(0, m.totalRejections(), n.name() + " rejected honest claims: " + m.rejections());
        }
        assertEquals(0, sim.falsePositives());
        Clusters.assertNoViolations(sim);
    }

    @Test
    void unsignedClaimsAreDropped() {
        Simulation sim = signedCluster(62, 10);
        converge(sim);
        NodeAddress fake = NodeAddress.of("10.9.9.9", 7946);
        toAll(sim, "node-1", WireEncoder.encode(new Message.Alive(1, "ghost", fake.ip(), 7946, null, VSN)));
        toAll(sim, "node-1", WireEncoder.encode(new Message.Dead(100, "node-2", "node-2")));
        sim.runFor(Duration.ofSeconds(5));
        assertEquals(18, rejected(sim, Rejection.UNSIGNED));
        for (SimNode n : sim.liveNodes()) {
            assertNull(n.core().state("ghost"));
            assertEquals(MemberState.ALIVE, n.core().state("node-2"));
        }
    }

    @Test
    void aMemberCannotClaimAnotherNodesAliveAddressOrLeave() {
        Simulation sim = signedCluster(63, 12);
        ClaimAuthority mallory = sim.ca().issue("node-11");
        sim.identity("node-11", mallory);
        converge(sim);
        NodeAddress malloryAddr = sim.node("node-11").address();
        long victimInc = sim.core("node-0").member("node-3").incarnation();
        NodeAddress victimAddr = sim.node("node-3").address();

        // 1. an alive about node-3 (pointing at mallory's address), signed by mallory as mallory
        Message.Alive hijack = new Message.Alive((int) victimInc + 10, "node-3", malloryAddr.ip(), malloryAddr.port(),
                null, VSN);
        toAll(sim, "node-11", signed(mallory, "node-11", hijack, true));
        // 2. the same, claiming to be signed by node-3 (mallory cannot make node-3's signature)
        toAll(sim, "node-11", signed(mallory, "node-3", hijack, false));
        // 3. a leave for node-3: signed by mallory, then pretending to be node-3
        Message.Dead leave = new Message.Dead((int) victimInc + 10, "node-3", "node-3");
        toAll(sim, "node-11", signed(mallory, "node-11", leave, false));
        toAll(sim, "node-11", signed(mallory, "node-3", leave, false));
        // 4. a suspicion of node-3 in node-5's name
        toAll(sim, "node-11", signed(mallory, "node-11", new Message.Suspect((int) victimInc, "node-3", "node-5"), false));
        sim.runFor(Duration.ofSeconds(30));

        assertEquals(3 * 11, rejected(sim, Rejection.FORGED), "alive, leave and suspicion in another's name");
        assertEquals(2 * 11, rejected(sim, Rejection.BAD_SIGNATURE), "mallory's key is not node-3's");
        for (SimNode n : sim.liveNodes()) {
            if (n.name().equals("node-3")) {
                continue;
            }
            assertEquals(MemberState.ALIVE, n.core().state("node-3"), n.name());
            assertEquals(victimAddr, n.core().member("node-3").address(), n.name());
        }
        Clusters.assertNoViolations(sim);
    }

    @Test
    void aReplayedOlderAliveIsDroppedBeforeAnySignatureWork() {
        Simulation sim = signedCluster(64, 8);
        ClaimAuthority three = sim.ca().issue("node-3");
        sim.identity("node-3", three);
        converge(sim);
        NodeAddress a3 = sim.node("node-3").address();
        // What node-3 said at incarnation 1 (as an eavesdropper would have captured it).
        byte[] old = signed(three, "node-3", new Message.Alive(1, "node-3", a3.ip(), a3.port(), null, VSN), true);
        sim.call("node-3", c -> c.updateMetadata(new byte[] {1})); // node-3 moves on to incarnation 2
        sim.runFor(Duration.ofSeconds(5));
        long staleBefore = sim.liveNodes().stream().mapToLong(n -> n.core().metrics().staleClaims()).sum();
        toAll(sim, "node-5", old);
        sim.runFor(Duration.ofSeconds(5));
        long staleAfter = sim.liveNodes().stream().mapToLong(n -> n.core().metrics().staleClaims()).sum();
        assertEquals(6, staleAfter - staleBefore, "every other node but node-3 counts the replay as stale");
        for (SimNode n : sim.liveNodes()) {
            assertEquals(1, n.core().member("node-3").metaLength(), n.name() + " kept the newer metadata");
        }
    }

    @Test
    void aNodeKeepsItsIdentityWhenItsAddressChanges() {
        Simulation sim = signedCluster(65, 8);
        ClaimAuthority three = sim.ca().issue("node-3");
        sim.identity("node-3", three);
        converge(sim);
        List<MembershipEvent.NameConflict> conflicts = new ArrayList<>();
        sim.addListener((t, o, e) -> {
            if (e instanceof MembershipEvent.NameConflict c) {
                conflicts.add(c);
            }
        });
        long inc = sim.core("node-0").member("node-3").incarnation();
        NodeAddress moved = NodeAddress.of("10.200.0.3", 7946);
        // node-3 "restarts" at a new address: the old process is gone, so nothing refutes the move.
        sim.crash("node-3");
        toAll(sim, "node-3", signed(three, "node-3",
                new Message.Alive((int) inc + 1, "node-3", moved.ip(), moved.port(), null, VSN), true));
        sim.runFor(Duration.ofSeconds(2));
        assertTrue(conflicts.isEmpty(), "not a conflict: " + conflicts);
        for (SimNode n : sim.liveNodes()) {
            if (!n.name().equals("node-3")) {
                assertEquals(moved, n.core().member("node-3").address(), n.name());
            }
        }
    }

    @Test
    void withoutSigningTheSameMoveIsAConflict() {
        Simulation sim = Simulation.builder().seed(66).config(MembershipConfig.lan()).build();
        sim.addNodes(8);
        converge(sim);
        List<MembershipEvent.NameConflict> conflicts = new ArrayList<>();
        sim.addListener((t, o, e) -> {
            if (e instanceof MembershipEvent.NameConflict c) {
                conflicts.add(c);
            }
        });
        long inc = sim.core("node-0").member("node-3").incarnation();
        NodeAddress moved = NodeAddress.of("10.200.0.3", 7946);
        toAll(sim, "node-5", WireEncoder.encode(new Message.Alive((int) inc + 1, "node-3", moved.ip(), moved.port(),
                null, VSN)));
        sim.runFor(Duration.ofSeconds(2));
        assertEquals(7, conflicts.size());
        assertEquals(sim.node("node-3").address(), sim.core("node-0").member("node-3").address());
    }

    @Test
    void certificatesFromAnotherCaOrExpiredAreRefused() {
        Simulation sim = signedCluster(67, 10);
        sim.identity("node-8", sim.ca().issueFromAnotherCa("node-8"));
        sim.identity("node-9", sim.ca().issue("node-9", -1)); // already expired
        sim.addListener((t, o, e) -> {
            if (e instanceof MembershipEvent.MemberJoined j && !o.equals(j.member().name())
                    && (j.member().name().equals("node-8") || j.member().name().equals("node-9"))) {
                throw new AssertionError(o + " admitted " + j.member().name());
            }
        });
        sim.startAllAndJoin("node-0");
        sim.runFor(Duration.ofSeconds(60));
        for (SimNode n : sim.liveNodes()) {
            if (n.name().equals("node-8") || n.name().equals("node-9")) {
                continue;
            }
            assertNull(n.core().state("node-8"), n.name());
            assertNull(n.core().state("node-9"), n.name());
            assertEquals(8, n.core().count(MemberState.ALIVE), n.name());
        }
        assertTrue(rejected(sim, Rejection.UNTRUSTED_CERTIFICATE) > 0);
    }

    @Test
    void serfEventsCarryTheirSigner() {
        Simulation sim = Simulation.builder().seed(68).config(MembershipConfig.lan().toBuilder()
                .delegateProtocol(2, 5, 5).build()).serf(SerfConfig.defaults()).signing(true).build();
        sim.addNodes(10);
        converge(sim);
        List<String> signers = new ArrayList<>();
        sim.addSerfListener((t, o, e) -> {
            if (e instanceof SerfEvent.User u && u.name().equals("deploy")) {
                signers.add(u.signer());
            }
        });
        sim.serfCall("node-4", s -> s.userEvent("deploy", "v1".getBytes(StandardCharsets.UTF_8), false));
        sim.runFor(Duration.ofSeconds(10));
        assertEquals(10, signers.size(), "every node, the sender included, delivers it once");
        assertEquals(9, signers.stream().filter("node-4"::equals).count(),
                "relays forward the sender's signature: " + signers);
    }

    @Test
    void aPushPullFullOfBadProofsCostsABoundedNumberOfChecks() {
        Simulation sim = signedCluster(68, 5);
        ClaimAuthority mallory = sim.ca().issue("node-4");
        sim.identity("node-4", mallory);
        converge(sim);
        NodeAddress addr = sim.node("node-4").address();
        // 200 alives for made-up nodes, each "signed by" that node but carrying mallory's
        // certificate: every one would cost a certificate check
        List<Message.Signed> proofs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String ghost = "ghost-" + i;
            byte[] env = signed(mallory, ghost, new Message.Alive(1, ghost, addr.ip(), 9000 + i, null, VSN), true);
            proofs.add(SignedCodec.decode(env, 0, env.length).value());
        }
        byte[] stream = WireEncoder.encode(new Message.SignedPushPull(false, proofs, List.of(), new byte[0]));
        MembershipCore target = sim.core("node-0");
        long before = target.metrics().rejections().getOrDefault(Rejection.UNTRUSTED_CERTIFICATE, 0L);
        target.handleStream(addr, stream, 0, stream.length);

        long checked = target.metrics().rejections().getOrDefault(Rejection.UNTRUSTED_CERTIFICATE, 0L) - before;
        assertEquals(MembershipCore.MAX_FAILED_PROOFS, checked, "the rest of the push/pull is dropped unchecked");
        assertNull(target.selfCheck(true));
        assertEquals(5, target.numMembers());
    }
}
