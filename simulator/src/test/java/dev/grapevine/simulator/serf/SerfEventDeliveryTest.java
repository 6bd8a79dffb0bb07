package dev.grapevine.simulator.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.SimNode;
import dev.grapevine.simulator.Simulation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * User events at scale: 200 Serf nodes, 5% packet loss, 100 events from random nodes. Every live
 * node's listener gets every event exactly once, including two nodes cut off while the events were
 * gossiped, which get them afterwards from the event ring in push/pull.
 */
class SerfEventDeliveryTest {
    static final int NODES = 200;
    static final int EVENTS = 100;

    @Test
    void everyLiveNodeGetsEveryEventExactlyOnceEvenTheOnesThatMissedTheGossip() {
        Simulation sim = SerfClusters.converged(SerfClusters.builder(7, SerfConfig.defaults(),
                NetworkModel.lan().loss(0.05)), NODES);
        List<String> cutOff = List.of("node-198", "node-199");
        Map<String, Map<String, Integer>> got = new HashMap<>();
        Map<String, Long> lastDelivery = new HashMap<>();
        sim.addSerfListener((t, observer, e) -> {
            if (e instanceof SerfEvent.User u) {
                got.computeIfAbsent(observer, k -> new HashMap<>()).merge(u.name(), 1, Integer::sum);
                lastDelivery.merge(observer, t, Math::max);
            }
        });

        // Cut two nodes off, send 100 events from random other nodes over 3 s, let the gossip run
        // out, and heal 20 s after the cut: long past the events' retransmissions (so the cut-off
        // nodes can only get them by push/pull replay), while they may be suspected or declared
        // failed meanwhile and have to refute after the heal.
        sim.partition(List.of(cutOff));
        long cutAt = sim.now();
        for (int i = 0; i < EVENTS; i++) {
            String from = "node-" + sim.random().nextInt(NODES - cutOff.size());
            String name = "event-" + i;
            sim.serfCall(from, s -> s.userEvent(name, ("payload-" + name).getBytes(StandardCharsets.UTF_8), false));
            sim.runFor(Duration.ofMillis(30));
        }
        sim.runFor(Duration.ofSeconds(20).minusNanos(sim.now() - cutAt));
        for (String c : cutOff) {
            assertEquals(null, got.get(c), c + " got gossip across the partition");
        }
        sim.heal();
        long healedAt = sim.now();

        assertTrue(sim.runUntil(() -> allDelivered(sim, got), Duration.ofMinutes(10)),
                () -> "not every node got every event: " + missing(sim, got));
        sim.runFor(Duration.ofMinutes(3)); // more push/pulls replay the ring: still exactly once
        for (SimNode n : sim.liveNodes()) {
            Map<String, Integer> c = got.get(n.name());
            assertEquals(EVENTS, c.size(), n.name());
            for (Map.Entry<String, Integer> e : c.entrySet()) {
                assertEquals(1, e.getValue(), n.name() + " got " + e.getKey() + " " + e.getValue() + " times");
            }
        }
        for (String c : cutOff) {
            assertTrue(lastDelivery.get(c) > healedAt, c + " got the events after the heal, by push/pull replay");
            assertTrue(sim.node(c).serf().metrics().eventsReceived() < EVENTS / 2,
                    c + " did not get them by gossip: " + sim.node(c).serf().metrics());
        }
        assertEquals(NODES, sim.liveCount());
        SerfClusters.assertNoViolations(sim);
    }

    private static boolean allDelivered(Simulation sim, Map<String, Map<String, Integer>> got) {
        for (SimNode n : sim.liveNodes()) {
            Map<String, Integer> c = got.get(n.name());
            if (c == null || c.size() < EVENTS) {
                return false;
            }
        }
        return true;
    }

    private static String missing(Simulation sim, Map<String, Map<String, Integer>> got) {
        StringBuilder sb = new StringBuilder();
        for (SimNode n : sim.liveNodes()) {
            Map<String, Integer> c = got.get(n.name());
            int have = c == null ? 0 : c.size();
            if (have < EVENTS) {
                sb.append(n.name()).append(':').append(have).append(' ');
            }
        }
        return sb.toString();
    }
}
