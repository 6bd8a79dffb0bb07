package dev.grapevine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifecycleTest {

    @Test
    void aCrashedNodeStopsEverythingAndIsDeclaredDead() {
        Simulation sim = TestSupport.cluster(31, 6, NetworkModel.lan());
        List<String> timersAfterCrash = new ArrayList<>();
        List<String> handledAfterCrash = new ArrayList<>();
        long[] crashAt = {Long.MAX_VALUE};
        sim.addTap(new NetworkTap() {
            @Override
            public void timerFired(String node, Timer timer, long dueNanos, long nowNanos) {
                if (node.equals("node-3") && nowNanos >= crashAt[0]) {
                    timersAfterCrash.add(timer.toString());
                }
            }

            @Override
            public void packetHandled(String from, String to, long sentAtNanos, long nowNanos, byte[] bytes) {
                if (to.equals("node-3") && nowNanos >= crashAt[0]) {
                    handledAfterCrash.add(from);
                }
            }
        });
        crashAt[0] = sim.now();
        sim.crash("node-3");
        assertEquals(NodeStatus.CRASHED, sim.node("node-3").status());
        assertEquals(5, sim.liveCount());
        assertTrue(sim.runUntil(sim::converged, Duration.ofSeconds(60)));
        for (SimNode n : sim.liveNodes()) {
            assertEquals(MemberState.DEAD, n.core().state("node-3"), n.name());
        }
        assertEquals(List.of(), timersAfterCrash);
        assertEquals(0, handledAfterCrash.size(), "a crashed node handles nothing");
        long before = sim.stats().packetsToDown();
        sim.sendPacket("node-0", sim.node("node-3").address(), TestSupport.userPacket((byte) 1));
        sim.runFor(Duration.ofSeconds(1));
        assertTrue(sim.stats().packetsToDown() > before);
        assertEquals(0, handledAfterCrash.size());
        assertEquals(0, sim.falsePositives());
        assertEquals(List.of(), sim.violations());
    }

    @Test
    void aRestartedNodeGetsANewCoreAtTheSameAddressAndRejoins() {
        Simulation sim = TestSupport.cluster(32, 6, NetworkModel.lan());
        MembershipCore old = sim.core("node-2");
        NodeAddress addr = sim.node("node-2").address();
        sim.crash("node-2");
        assertTrue(sim.runUntil(sim::converged, Duration.ofSeconds(60)));
        sim.restart("node-2");
        SimNode n = sim.node("node-2");
        assertNotSame(old, n.core());
        assertEquals(addr, n.address());
        assertEquals(1, n.restarts());
        assertEquals(1, n.core().localMember().incarnation(), "incarnation starts over");
        assertTrue(sim.runUntil(sim::converged, Duration.ofSeconds(120)));
        for (SimNode x : sim.liveNodes()) {
            assertEquals(MemberState.ALIVE, x.core().state("node-2"));
        }
        assertTrue(n.core().localMember().incarnation() > 1, "it had to refute its old death");
        assertEquals(List.of(), sim.violations());
        assertThrows(IllegalStateException.class, () -> sim.restart("node-2"));
        assertThrows(IllegalStateException.class, () -> sim.start("node-2"));
    }

    @Test
    void aLeavingNodeIsShutDownWhenItsLeaveCompletesAndEveryoneRecordsItLeft() {
        Simulation sim = TestSupport.cluster(33, 6, NetworkModel.lan());
        List<String> downs = new ArrayList<>();
        sim.addListener((t, observer, e) -> {
            if (e instanceof MembershipEvent.MemberDown d && d.member().name().equals("node-4")) {
                downs.add(observer + ":" + d.member().state());
            }
        });
        sim.leave("node-4", Duration.ofSeconds(5));
        assertEquals(NodeStatus.RUNNING, sim.node("node-4").status());
        assertTrue(sim.node("node-4").core().isLeaving());
        assertTrue(sim.runUntil(() -> sim.node("node-4").status() == NodeStatus.LEFT, Duration.ofSeconds(10)));
        assertTrue(sim.node("node-4").core().isShutdown());
        assertTrue(sim.runUntil(sim::converged, Duration.ofSeconds(30)));
        for (SimNode x : sim.liveNodes()) {
            assertEquals(MemberState.LEFT, x.core().state("node-4"), x.name());
        }
        for (String d : downs) {
            assertTrue(d.endsWith(":LEFT"), d);
        }
        assertTrue(sim.node("node-4").status().isDown());
        assertEquals(List.of(), sim.violations());
        sim.restart("node-4");
        assertTrue(sim.runUntil(sim::converged, Duration.ofSeconds(60)));
        assertEquals(6, sim.liveCount());
    }

    @Test
    void lifecycleMethodsCheckTheState() {
        Simulation sim = Simulation.builder().build();
        sim.addNodes(2);
        assertNull(sim.core("node-0"));
        assertThrows(IllegalStateException.class, () -> sim.crash("node-0"));
        assertThrows(IllegalStateException.class, () -> sim.leave("node-0", Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> sim.node("nope"));
        sim.start("node-0");
        assertThrows(IllegalStateException.class, () -> sim.start("node-0"));
        assertThrows(IllegalArgumentException.class,
                () -> sim.partition(List.of(List.of("node-0"), List.of("node-0", "node-1"))));
    }
}
