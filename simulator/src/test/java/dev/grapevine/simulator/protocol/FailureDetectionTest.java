package dev.grapevine.simulator.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.simulator.SimNode;
import dev.grapevine.simulator.Simulation;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Crashes are detected by everyone; a crashed node that comes back is accepted again. */
class FailureDetectionTest {

    @Test
    void crashIsDetectedByEveryNode() {
        Simulation sim = Clusters.converged(21, 100);
        Map<String, Long> detectedAt = new HashMap<>();
        sim.addListener((t, observer, e) -> {
            if (e instanceof MembershipEvent.MemberDown d && d.member().name().equals("node-42")) {
                assertEquals(MemberState.DEAD, d.member().state(), "a crash is a failure, not a leave");
                detectedAt.putIfAbsent(observer, t);
            }
        });
        long crashAt = sim.now();
        sim.crash("node-42");
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(3)), "fraction " + sim.convergedFraction());
        assertEquals(99, detectedAt.size(), "every live node records the death");
        long first = detectedAt.values().stream().mapToLong(Long::longValue).min().orElseThrow() - crashAt;
        long all = detectedAt.values().stream().mapToLong(Long::longValue).max().orElseThrow() - crashAt;
        // LAN at n = 100: suspicion lasts 8 s with two confirmations and at most 48 s; probes of a given
        // node happen within a few probe periods. Dissemination of the death takes a few seconds more.
        assertTrue(Clusters.seconds(first) < 60, "first detection " + Clusters.seconds(first) + " s");
        assertTrue(Clusters.seconds(all) < Clusters.seconds(first) + 10, "spread " + Clusters.seconds(all) + " s");
        assertEquals(0, sim.falsePositives());
        Clusters.assertNoViolations(sim);
    }

    @Test
    void aCrashedNodeThatRestartsIsAliveAgainEverywhere() {
        Simulation sim = Clusters.converged(22, 30);
        sim.crash("node-9");
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(3)));
        sim.restart("node-9", List.of("node-0"));
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(2)), "fraction " + sim.convergedFraction());
        for (SimNode n : sim.liveNodes()) {
            assertEquals(MemberState.ALIVE, n.core().state("node-9"), n.name());
        }
        assertTrue(sim.core("node-9").localMember().incarnation() > 1,
                "the restarted node refuted its own death with a higher incarnation");
        Clusters.assertNoViolations(sim);
    }

    @Test
    void aPausedNodeIsDeclaredDeadAndRejoinsByRefutingWhenResumed() {
        Simulation sim = Clusters.converged(23, 20);
        sim.pause("node-5");
        assertTrue(sim.runUntil(() -> sim.liveNodes().stream().filter(n -> !n.name().equals("node-5"))
                .allMatch(n -> n.core().state("node-5") != MemberState.ALIVE
                        && n.core().state("node-5") != MemberState.SUSPECT), Duration.ofMinutes(2)));
        sim.resume("node-5");
        assertTrue(sim.runUntil(() -> sim.liveNodes().stream()
                .allMatch(n -> n.core().state("node-5") == MemberState.ALIVE), Duration.ofMinutes(3)),
                "the resumed node learns of its death, refutes, and is taken back");
    }
}
