package dev.grapevine.simulator.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.SimNode;
import dev.grapevine.simulator.Simulation;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Joining, convergence, metadata and user broadcasts across a simulated cluster. */
class JoinAndGossipTest {

    @Test
    void hundredNodesJoinThroughOneSeedAndConverge() {
        Simulation sim = Simulation.builder().seed(11).config(MembershipConfig.lan()).network(NetworkModel.lan())
                .build();
        sim.addNodes(100);
        sim.startAllAndJoin("node-0");
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(2)), "fraction " + sim.convergedFraction());
        for (SimNode n : sim.liveNodes()) {
            assertEquals(100, n.core().count(MemberState.ALIVE), n.name());
            assertEquals(0, n.core().count(MemberState.SUSPECT), n.name());
        }
        assertTrue(sim.elapsed().compareTo(Duration.ofSeconds(30)) < 0,
                "join through push/pull and gossip should take seconds, took " + sim.elapsed());
        Clusters.assertNoViolations(sim);
        assertEquals(0, sim.falsePositives());
    }

    @Test
    void staggeredJoinsThroughDifferentSeedsConvergeUnderLoss() {
        Simulation sim = Simulation.builder().seed(12).config(MembershipConfig.lan())
                .network(NetworkModel.lan().loss(0.02).duplication(0.01).reorder(0.05)).build();
        sim.addNodes(60);
        sim.start("node-0");
        for (int i = 1; i < 60; i++) {
            String seed = "node-" + sim.random().nextInt(i);
            sim.startAt(Duration.ofMillis(100L * i), "node-" + i, List.of(seed));
        }
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(3)), "fraction " + sim.convergedFraction());
        Clusters.assertNoViolations(sim);
    }

    @Test
    void metadataUpdateReachesEveryNode() {
        Simulation sim = Clusters.converged(13, 50);
        Set<String> updated = new HashSet<>();
        sim.addListener((t, observer, e) -> {
            if (e instanceof MembershipEvent.MemberUpdated u && u.member().name().equals("node-7")) {
                updated.add(observer);
            }
        });
        sim.call("node-7", c -> c.updateMetadata(new byte[] {1, 2, 3}));
        assertTrue(sim.runUntil(() -> updated.size() == 50, Duration.ofSeconds(30)), updated.size() + " of 50");
        for (SimNode n : sim.liveNodes()) {
            assertArrayEquals(new byte[] {1, 2, 3}, n.core().member("node-7").meta());
        }
    }

    @Test
    void userBroadcastIsSentRetransmitLimitTimesByItsOriginator() {
        // memberlist semantics: the originator's transmit-limited queue sends it; receivers do not
        // re-gossip it (layers above, like Serf's user events, rebroadcast with de-duplication).
        Simulation sim = Clusters.converged(14, 50);
        Set<String> got = new HashSet<>();
        int[] total = new int[1];
        sim.addListener((t, observer, e) -> {
            if (e instanceof MembershipEvent.UserMessage m && m.payload().length == 1 && m.payload()[0] == 99) {
                got.add(observer);
                total[0]++;
            }
        });
        sim.call("node-3", c -> c.broadcast(new byte[] {99}));
        sim.runFor(Duration.ofSeconds(30));
        int limit = 4 * 2; // retransmitMult x ceil(log10(50 + 1))
        assertEquals(limit, total[0], "sent exactly retransmit-limit times on a lossless network");
        assertTrue(got.size() <= limit && got.size() >= 3, "distinct receivers: " + got.size());
        assertTrue(!got.contains("node-3"));
    }

    @Test
    void aNameClaimedFromAnotherAddressIsReportedAsAConflict() {
        Simulation sim = Clusters.converged(15, 10);
        int[] conflicts = new int[1];
        sim.addListener((t, observer, e) -> {
            if (e instanceof MembershipEvent.NameConflict c && c.existing().name().equals("node-2")) {
                conflicts[0]++;
            }
        });
        SimNode impostor = sim.addNode("node-2-impostor");
        sim.start(impostor.name(), List.of());
        // The impostor announces itself under node-2's name, with its own address.
        dev.grapevine.membership.wire.Message.Alive fake = new dev.grapevine.membership.wire.Message.Alive(
                99, "node-2", impostor.address().ip(), impostor.address().port(), null, new byte[] {1, 5, 2, 0, 0, 0});
        byte[] bytes = dev.grapevine.membership.wire.WireEncoder.encode(fake);
        sim.sendPacket(impostor.name(), sim.node("node-0").address(), bytes);
        sim.runFor(Duration.ofSeconds(5));
        assertEquals(1, conflicts[0]);
        assertEquals(sim.node("node-2").address(), sim.core("node-0").member("node-2").address());
    }
}
