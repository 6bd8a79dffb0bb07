package dev.grapevine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlowNodeTest {

    @Test
    void aBurstDefersInboundHandlingInFifoOrderWhileTimersFireOnTime() {
        Simulation sim = TestSupport.cluster(41, 4, NetworkModel.lan().latency(Latency.fixed(Duration.ofMillis(1))));
        // Bursts of exactly 3 s after gaps of exactly 5 s: the first burst spans [t0+5 s, t0+8 s).
        long t0 = sim.now();
        long burstStart = t0 + 5_000_000_000L;
        long burstEnd = t0 + 8_000_000_000L;
        sim.slow("node-2", SlowProfile.fixed(Duration.ofSeconds(3), Duration.ofSeconds(5)));
        List<long[]> received = new ArrayList<>(); // time, sequence
        sim.addListener((t, observer, e) -> {
            if (observer.equals("node-2") && e instanceof MembershipEvent.UserMessage m && m.payload().length == 2) {
                received.add(new long[] {t, (m.payload()[0] & 0xff) << 8 | (m.payload()[1] & 0xff)});
            }
        });
        List<long[]> timers = new ArrayList<>();
        sim.addTap(new NetworkTap() {
            @Override
            public void timerFired(String node, Timer timer, long dueNanos, long nowNanos) {
                if (node.equals("node-2")) {
                    timers.add(new long[] {dueNanos, nowNanos});
                }
            }
        });
        NodeAddress to = sim.node("node-2").address();
        // 300 user messages, one every 10 ms from t0+4 s to t0+7 s: 100 before the burst, 200 inside it.
        for (int i = 0; i < 300; i++) {
            byte[] p = TestSupport.userPacket((byte) (i >>> 8), (byte) i);
            sim.scheduleAt(t0 + 4_000_000_000L + i * 10_000_000L, () -> sim.sendPacket("node-0", to, p));
        }
        sim.runFor(Duration.ofMillis(5_500));
        assertTrue(sim.node("node-2").inBurst());
        assertTrue(sim.node("node-2").deferredCount() > 0);
        sim.runFor(Duration.ofMillis(4_000));
        assertFalse(sim.node("node-2").inBurst());
        assertEquals(300, received.size());
        for (int i = 0; i < 300; i++) {
            assertEquals(i, received.get(i)[1], "FIFO order");
            long sentAt = t0 + 4_000_000_000L + i * 10_000_000L;
            if (sentAt + 1_000_000L < burstStart) {
                assertEquals(sentAt + 1_000_000L, received.get(i)[0], "handled on arrival before the burst");
            } else {
                assertEquals(burstEnd, received.get(i)[0], "handled when the burst ends");
            }
        }
        int inBurst = 0;
        for (long[] t : timers) {
            assertEquals(t[0], t[1], "timers are never late");
            if (t[1] >= burstStart && t[1] < burstEnd) {
                inBurst++;
            }
        }
        assertTrue(inBurst > 10, "timers kept firing during the burst: " + inBurst);
        assertEquals(List.of(), sim.violations());
    }

    @Test
    void aPausedNodeDefersEvenItsTimersUntilResumed() {
        Simulation sim = TestSupport.cluster(42, 3, NetworkModel.lan());
        List<long[]> timers = new ArrayList<>();
        sim.addTap(new NetworkTap() {
            @Override
            public void timerFired(String node, Timer timer, long dueNanos, long nowNanos) {
                if (node.equals("node-1")) {
                    timers.add(new long[] {dueNanos, nowNanos});
                }
            }
        });
        sim.pause("node-1");
        long pausedAt = sim.now();
        sim.runFor(Duration.ofSeconds(2));
        assertEquals(0, timers.size());
        sim.resume("node-1");
        // Periodic timers re-arm only when handled, so each chain left exactly one timer waiting.
        assertTrue(timers.size() >= 2, "at least the gossip and probe ticks: " + timers.size());
        for (long[] t : timers) {
            assertTrue(t[0] >= pausedAt && t[0] <= pausedAt + 2_000_000_000L);
            assertEquals(pausedAt + 2_000_000_000L, t[1]);
        }
        for (int i = 1; i < timers.size(); i++) {
            assertTrue(timers.get(i - 1)[0] <= timers.get(i)[0], "in due order");
        }
        assertEquals(List.of(), sim.violations());
    }

    @Test
    void slowNodesCauseSuspicionsButHealthyOnesAreNotDeclaredDead() {
        Simulation sim = TestSupport.cluster(43, 10, NetworkModel.lan());
        sim.slow("node-7", SlowProfile.of(Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(3),
                Duration.ofSeconds(6)));
        sim.runFor(Duration.ofSeconds(120));
        assertTrue(sim.node("node-7").burstsStarted() > 10);
        long suspicions = 0;
        for (SimNode n : sim.liveNodes()) {
            suspicions += n.core().metrics().suspicionsStarted();
        }
        assertTrue(suspicions > 0, "bursts make probes of node-7 fail");
        sim.unslow("node-7");
        assertTrue(sim.runUntil(sim::converged, Duration.ofSeconds(120)));
        assertEquals(List.of(), sim.violations());
    }
}
