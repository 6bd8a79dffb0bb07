package dev.grapevine.simulator.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.simulator.SimNode;
import dev.grapevine.simulator.Simulation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Graceful leaves show as left everywhere; partitions longer than the suspicion timeout heal. */
class LeaveAndPartitionTest {

    @Test
    void gracefulLeaveIsLeftEverywhereAndNeverFailed() {
        Simulation sim = Clusters.converged(31, 100);
        Set<String> sawLeft = new HashSet<>();
        Set<String> sawFailed = new HashSet<>();
        sim.addListener((t, observer, e) -> {
            if (e instanceof MembershipEvent.MemberDown d && d.member().name().equals("node-17")) {
                (d.member().state() == MemberState.LEFT ? sawLeft : sawFailed).add(observer);
            }
        });
        sim.leave("node-17", Duration.ofSeconds(10));
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(2)), "fraction " + sim.convergedFraction());
        sim.runFor(Duration.ofSeconds(60));
        sawLeft.remove("node-17");
        assertEquals(99, sawLeft.size(), "every other node records the leave");
        assertEquals(Set.of(), sawFailed, "nobody records a graceful leave as a failure");
        assertEquals(0, sim.falsePositives());
        Clusters.assertNoViolations(sim);
    }

    @Test
    void manySimultaneousLeavesUnderLossAreStillLeaves() {
        Simulation sim = Clusters.converged(32, 60, dev.grapevine.membership.MembershipConfig.lan(),
                dev.grapevine.simulator.NetworkModel.lan().loss(0.05));
        Set<String> failed = new HashSet<>();
        sim.addListener((t, observer, e) -> {
            if (e instanceof MembershipEvent.MemberDown d && d.member().state() == MemberState.DEAD) {
                failed.add(observer + " saw " + d.member().name());
            }
        });
        for (int i = 50; i < 60; i++) {
            sim.leave("node-" + i, Duration.ofSeconds(10));
        }
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(3)), "fraction " + sim.convergedFraction());
        assertEquals(Set.of(), failed);
    }

    @Test
    void partitionLongerThanTheSuspicionTimeoutHealsAfterItIsLifted() {
        Simulation sim = Clusters.converged(33, 40);
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (SimNode n : sim.nodes()) {
            (n.id() % 2 == 0 ? a : b).add(n.name());
        }
        sim.partition(List.of(a, b));
        // n = 40: suspicion at most 6 x 4 x log10(40) = 38.4 s; hold the split for 3 minutes, long past
        // suspicion and past gossipToTheDeadTime, so dead members are reaped on both sides.
        sim.runFor(Duration.ofMinutes(3));
        for (String x : a) {
            for (String y : b) {
                MemberState s = sim.core(x).state(y);
                assertTrue(s == null || s == MemberState.DEAD, x + " still sees " + y + " as " + s);
            }
        }
        sim.heal();
        long healedAt = sim.now();
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(10)),
                "no heal; fraction " + sim.convergedFraction());
        double took = Clusters.seconds(sim.now() - healedAt);
        assertTrue(took < 300, "healed in " + took + " s");
        Clusters.assertNoViolations(sim);
    }

    @Test
    void withoutReconnectALongPartitionNeverHealsAsInMemberlist() {
        // memberlist issue #222: once each side has reaped the other, nothing ever crosses again.
        Simulation sim = Clusters.converged(34, 20, dev.grapevine.membership.MembershipConfig.lan().toBuilder()
                .reconnectInterval(Duration.ZERO).build(), dev.grapevine.simulator.NetworkModel.lan());
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (SimNode n : sim.nodes()) {
            (n.id() < 10 ? a : b).add(n.name());
        }
        sim.partition(List.of(a, b));
        sim.runFor(Duration.ofMinutes(3));
        sim.heal();
        sim.runFor(Duration.ofMinutes(10));
        assertEquals(10, sim.core("node-0").count(MemberState.ALIVE), "still split ten minutes after the heal");
        assertEquals(false, sim.converged());
    }
}
