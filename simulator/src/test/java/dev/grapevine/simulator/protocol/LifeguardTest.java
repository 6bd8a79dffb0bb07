package dev.grapevine.simulator.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.SimNode;
import dev.grapevine.simulator.Simulation;
import dev.grapevine.simulator.SlowProfile;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Lifeguard: slow nodes refute instead of dying, lossy links give no false positives. */
class LifeguardTest {

    @Test
    void aSlowNodeRefutesTheSuspicionAgainstIt() {
        Simulation sim = Clusters.converged(41, 30);
        long[] suspectedSlow = new long[1];
        sim.addListener((t, observer, e) -> {
            if (e instanceof MembershipEvent.MemberDown d && d.member().name().equals("node-4")) {
                throw new AssertionError(observer + " declared the slow node " + d.member().state());
            }
        });
        // Stalls of 3 s (shorter than the 4 s minimum suspicion timeout at n = 30) every 10 s.
        sim.slow("node-4", SlowProfile.fixed(Duration.ofSeconds(3), Duration.ofSeconds(10)));
        long before = sim.core("node-4").localMember().incarnation();
        for (int i = 0; i < 120; i++) {
            sim.runFor(Duration.ofSeconds(1));
            for (SimNode n : sim.liveNodes()) {
                if (n.core().state("node-4") == MemberState.SUSPECT) {
                    suspectedSlow[0]++;
                }
            }
        }
        assertTrue(suspectedSlow[0] > 0, "the stalls made other nodes suspect it");
        assertTrue(sim.core("node-4").localMember().incarnation() > before, "it refuted");
        assertTrue(sim.core("node-4").metrics().refutations() > 0);
        assertEquals(0, sim.falsePositives());
    }

    @Test
    void hundredNodesWithFivePercentLossForTenMinutesGiveNoFalsePositives() {
        Simulation sim = Clusters.converged(42, 100, MembershipConfig.lan(), NetworkModel.lan().loss(0.05));
        sim.runFor(Duration.ofMinutes(10));
        assertEquals(0, sim.falsePositives());
        assertTrue(sim.converged());
        Clusters.assertNoViolations(sim);
    }

    @Test
    void lifeguardCutsFalsePositivesCausedBySlowNodes() {
        long on = slowRun(true);
        long off = slowRun(false);
        assertTrue(off >= 20, "without Lifeguard, slow nodes declare healthy ones dead: " + off);
        assertTrue(on * 10 <= off, "Lifeguard on: " + on + " false positives, off: " + off);
    }

    /** False positives about healthy nodes caused by five slow ones over ten minutes. */
    private static long slowRun(boolean lifeguard) {
        MembershipConfig config = MembershipConfig.lan().toBuilder().lifeguard(lifeguard).build();
        Simulation sim = Clusters.converged(43, 50, config, NetworkModel.lan().loss(0.01));
        for (int i = 0; i < 5; i++) {
            sim.slow("node-" + (10 * i + 3), SlowProfile.of(Duration.ofSeconds(4), Duration.ofSeconds(15),
                    Duration.ofSeconds(5), Duration.ofSeconds(20)));
        }
        sim.runFor(Duration.ofMinutes(10));
        return sim.falsePositives();
    }
}
