package dev.grapevine.simulator.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.SimNode;
import dev.grapevine.simulator.Simulation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A two-way partition held far longer than the suspicion timeout heals by itself once lifted: the
 * core's reconnect push/pulls bring the halves back together, and every Serf status ends alive.
 */
class SerfPartitionTest {

    @Test
    void aLongTwoWayPartitionHealsByItselfAndEveryStatusEndsAlive() {
        Simulation sim = SerfClusters.converged(SerfClusters.builder(33, SerfConfig.defaults(), NetworkModel.lan()), 40);
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (SimNode n : sim.nodes()) {
            (n.id() % 2 == 0 ? a : b).add(n.name());
        }
        Set<String> leaves = new HashSet<>();
        sim.addSerfListener((t, observer, e) -> {
            if (e instanceof SerfEvent.MemberLeave l) {
                leaves.add(observer + " saw " + l.member().name());
            }
        });
        sim.partition(List.of(a, b));
        // n = 40: suspicion at most 6 x 4 x log10(40) = 38.4 s; three minutes is far past it, and past
        // gossipToTheDeadTime, so each side has reaped the other from its memberlist table.
        sim.runFor(Duration.ofMinutes(3));
        for (String x : a) {
            for (String y : b) {
                assertEquals(SerfMemberStatus.FAILED, sim.serf(x).member(y).status(), x + " about " + y);
            }
        }
        sim.heal();
        long healedAt = sim.now();
        assertTrue(sim.runUntil(() -> sim.converged() && SerfClusters.serfAlive(sim), Duration.ofMinutes(10)),
                "no heal; fraction " + sim.convergedFraction());
        double took = (sim.now() - healedAt) / 1e9;
        assertTrue(took < 300, "healed in " + took + " s");
        for (SimNode n : sim.nodes()) {
            assertEquals(40, n.serf().members().size(), n.name());
            assertEquals(0, n.serf().metrics().failed(), n.name());
        }
        assertEquals(Set.of(), leaves, "a partition is never a leave");
        SerfClusters.assertNoViolations(sim);
    }
}
