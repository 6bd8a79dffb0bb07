package dev.grapevine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterTest {

    @Test
    void twentyNodesJoinAndConvergeWithoutViolations() {
        Simulation sim = Simulation.builder().seed(51).config(MembershipConfig.lan())
                .network(NetworkModel.lan().loss(0.02)).build();
        sim.addNodes(20);
        sim.start("node-0");
        for (int i = 1; i < 20; i++) {
            sim.startAt(Duration.ofMillis(sim.random().nextInt(100)), "node-" + i, List.of("node-0"));
        }
        assertTrue(sim.converged("node-0"), "alone, node-0 has the right view");
        sim.runFor(Duration.ofMillis(50));
        assertFalse(sim.liveCount() == 20 && sim.converged());
        assertTrue(sim.runUntil(() -> sim.liveCount() == 20 && sim.converged(), Duration.ofSeconds(60)));
        for (SimNode n : sim.liveNodes()) {
            assertEquals(20, n.core().count(MemberState.ALIVE), n.name());
            assertTrue(sim.converged(n.name()));
        }
        sim.runFor(Duration.ofSeconds(60));
        assertEquals(0, sim.checkInvariants());
        assertEquals(List.of(), sim.violations());
        assertEquals(1.0, sim.convergedFraction());
        NetworkStats st = sim.stats();
        assertTrue(st.packetsLost() > 0 && st.packetsHandled() > 0, st.toString());
        long sent = 0;
        for (SimNode n : sim.nodes()) {
            sent += n.packetsSent();
        }
        assertEquals(st.packetsSent(), sent);
    }

    @Test
    void aSplitClusterReMergesAfterTheHealThroughTheCoresReconnect() {
        Simulation sim = Simulation.builder().seed(52)
                .config(dev.grapevine.membership.MembershipConfig.lan().toBuilder()
                        .reconnectInterval(Duration.ofSeconds(10)).build())
                .build();
        sim.addNodes(10);
        sim.startAllAndJoin("node-0");
        assertTrue(sim.runUntil(sim::converged, Duration.ofSeconds(30)));
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (SimNode n : sim.nodes()) {
            (n.id() < 5 ? a : b).add(n.name());
        }
        sim.partition(List.of(a, b));
        sim.runFor(Duration.ofSeconds(150));
        for (SimNode n : sim.liveNodes()) {
            assertEquals(5, n.core().count(MemberState.ALIVE), n.name() + " sees only its side");
        }
        assertEquals(0, sim.falsePositives(), "declaring the other side dead is not a false positive");
        sim.heal();
        assertTrue(sim.runUntil(sim::converged, Duration.ofSeconds(300)));
        assertEquals(List.of(), sim.violations());
    }
}
