package dev.grapevine.simulator.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.NodeStatus;
import dev.grapevine.simulator.SimNode;
import dev.grapevine.simulator.Simulation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * No graceful leave is ever reported as a failure, under loss and with many leaves at once (Serf
 * 0.9.4 itself reported some as failed), and left members are reaped after the tombstone timeout.
 */
class SerfLeaveTest {

    @Test
    void manyLeavesUnderLossAreLeftEverywhereNeverFailedAndThenReaped() {
        SerfConfig serf = SerfConfig.builder().tombstoneTimeout(Duration.ofMinutes(2)).build();
        Simulation sim = SerfClusters.converged(SerfClusters.builder(41, serf, NetworkModel.lan().loss(0.05)), 60);
        Set<String> failed = new HashSet<>();
        Map<String, Set<String>> left = new HashMap<>();
        Map<String, Set<String>> reaped = new HashMap<>();
        sim.addSerfListener((t, observer, e) -> {
            if (e instanceof SerfEvent.MemberFailed f) {
                failed.add(observer + " saw " + f.member().name() + " fail");
            } else if (e instanceof SerfEvent.MemberLeave l) {
                left.computeIfAbsent(l.member().name(), k -> new HashSet<>()).add(observer);
            } else if (e instanceof SerfEvent.MemberReap r) {
                reaped.computeIfAbsent(r.member().name(), k -> new HashSet<>()).add(observer);
            }
        });
        // Twelve leaves: six at once, then six more spread over half a minute.
        List<String> leavers = new ArrayList<>();
        for (int i = 48; i < 60; i++) {
            leavers.add("node-" + i);
        }
        for (int i = 0; i < 6; i++) {
            sim.leave(leavers.get(i), Duration.ofSeconds(10));
        }
        for (int i = 6; i < 12; i++) {
            sim.runFor(Duration.ofSeconds(5));
            sim.leave(leavers.get(i), Duration.ofSeconds(10));
        }
        assertTrue(sim.runUntil(() -> leavers.stream().allMatch(l -> sim.node(l).status() == NodeStatus.LEFT),
                Duration.ofMinutes(1)), "every leave completed");
        long lastLeft = sim.now();
        sim.runFor(Duration.ofSeconds(60));
        for (SimNode n : sim.liveNodes()) {
            for (String l : leavers) {
                assertEquals(SerfMemberStatus.LEFT, n.serf().member(l).status(), n.name() + " about " + l);
            }
            assertEquals(0, n.serf().metrics().failed(), n.name());
        }
        for (String l : leavers) {
            Set<String> saw = left.get(l);
            for (SimNode n : sim.liveNodes()) {
                assertTrue(saw.contains(n.name()), n.name() + " never reported " + l + " left");
            }
        }
        assertEquals(Set.of(), failed, "a graceful leave reported as a failure");
        assertTrue(sim.converged());

        // Tombstones go after tombstoneTimeout (2 min), at the next reap (every 15 s).
        sim.runFor(Duration.ofMinutes(2).plusSeconds(20).minusNanos(sim.now() - lastLeft));
        for (SimNode n : sim.liveNodes()) {
            for (String l : leavers) {
                assertNull(n.serf().member(l), n.name() + " still holds " + l);
            }
            assertEquals(48, n.serf().numNodes());
        }
        for (String l : leavers) {
            assertTrue(reaped.get(l).size() >= 48, l + " reaped by " + reaped.get(l).size());
        }
        assertEquals(Set.of(), failed);
        SerfClusters.assertNoViolations(sim);
    }
}
