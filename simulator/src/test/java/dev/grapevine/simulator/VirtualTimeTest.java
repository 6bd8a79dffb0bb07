package dev.grapevine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VirtualTimeTest {

    @Test
    void actionsRunInTimeOrderAndTiesInInsertionOrder() {
        Simulation sim = Simulation.builder().seed(1).build();
        List<String> ran = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 500; i++) {
            long at = r.nextInt(50) * 1_000_000L;
            String label = at + ":" + i;
            sim.scheduleAt(at, () -> {
                ran.add(label);
                times.add(sim.now());
            });
        }
        sim.runFor(Duration.ofSeconds(1));
        assertEquals(500, ran.size());
        for (int i = 1; i < ran.size(); i++) {
            long t0 = times.get(i - 1);
            long t1 = times.get(i);
            assertTrue(t0 <= t1, "time went backwards");
            if (t0 == t1) {
                int i0 = Integer.parseInt(ran.get(i - 1).split(":")[1]);
                int i1 = Integer.parseInt(ran.get(i).split(":")[1]);
                assertTrue(i0 < i1, "ties must run in insertion order");
            }
            assertEquals(Long.parseLong(ran.get(i).split(":")[0]), t1);
        }
        assertEquals(1_000_000_000L, sim.now(), "runFor ends exactly at its horizon");
    }

    @Test
    void timersFireExactlyWhenDue() {
        Simulation sim = Simulation.builder().seed(3).build();
        List<long[]> fired = new ArrayList<>();
        sim.addTap(new NetworkTap() {
            @Override
            public void timerFired(String node, Timer timer, long dueNanos, long nowNanos) {
                fired.add(new long[] {dueNanos, nowNanos});
            }
        });
        sim.addNodes(3);
        sim.startAllAndJoin("node-0");
        sim.runFor(Duration.ofSeconds(20));
        assertTrue(fired.size() > 100);
        for (long[] f : fired) {
            assertEquals(f[0], f[1]);
        }
    }

    @Test
    void runUntilStopsAtTheFirstPollWhereTheConditionHolds() {
        Simulation sim = Simulation.builder().seed(1).pollInterval(Duration.ofMillis(100)).build();
        boolean ok = sim.runUntil(() -> sim.now() >= 1_234_000_000L, Duration.ofSeconds(5));
        assertTrue(ok);
        assertEquals(1_300_000_000L, sim.now());
        assertFalse(sim.runUntil(() -> false, Duration.ofSeconds(2)));
        assertEquals(3_300_000_000L, sim.now());
    }

    @Test
    void runsAreBoundedByAnEventBudgetAndCannotNest() {
        Simulation sim = Simulation.builder().seed(1).maxEventsPerRun(1000).build();
        sim.addNodes(5);
        sim.startAllAndJoin("node-0");
        assertThrows(IllegalStateException.class, () -> sim.runFor(Duration.ofMinutes(10)));
        Simulation other = Simulation.builder().seed(1).build();
        other.schedule(Duration.ofMillis(1), () -> other.runFor(Duration.ofSeconds(1)));
        assertThrows(IllegalStateException.class, () -> other.runFor(Duration.ofSeconds(1)));
    }

    @Test
    void nodesGetDistinctAddressesOnOnePort() {
        Simulation sim = Simulation.builder().build();
        List<SimNode> nodes = sim.addNodes(300);
        assertEquals(NodeAddress.of("10.0.0.1", 7946), nodes.get(0).address());
        assertEquals(NodeAddress.of("10.0.1.44", 7946), nodes.get(299).address());
        assertEquals("node-299", nodes.get(299).name());
        assertThrows(IllegalArgumentException.class, () -> sim.addNode("node-3"));
    }
}
