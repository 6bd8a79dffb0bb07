package dev.grapevine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NetworkTest {
    private static final int PACKETS = 20_000;

    /** Two started nodes that do not know each other, and a recorder of a→b deliveries. */
    private static final class Pair implements NetworkTap {
        final Simulation sim;
        final List<long[]> handled = new ArrayList<>(); // sentAt, handledAt, sequence number
        final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);

        Pair(long seed, NetworkModel model) {
            sim = Simulation.builder().seed(seed).network(model).build();
            sim.addNode("a");
            sim.addNode("b");
            sim.start("a");
            sim.start("b");
            sim.addTap(this);
        }

        void inject(int count, Duration spacing) {
            NodeAddress b = sim.node("b").address();
            for (int i = 0; i < count; i++) {
                byte[] p = TestSupport.userPacket((byte) (i >>> 24), (byte) (i >>> 16), (byte) (i >>> 8), (byte) i);
                sim.scheduleAt(i * spacing.toNanos(), () -> sim.sendPacket("a", b, p));
            }
        }

        @Override
        public void packetHandled(String from, String to, long sentAtNanos, long nowNanos, byte[] bytes) {
            if (from.equals("a") && to.equals("b")) {
                int seq = (bytes[1] & 0xff) << 24 | (bytes[2] & 0xff) << 16 | (bytes[3] & 0xff) << 8 | (bytes[4] & 0xff);
                handled.add(new long[] {sentAtNanos, nowNanos, seq});
            }
        }

        @Override
        public void packetDropped(String from, NodeAddress to, DropReason reason, long nowNanos) {
            if (from.equals("a")) {
                drops.merge(reason, 1, Integer::sum);
            }
        }
    }

    @Test
    void shiftedExponentialLatencyLossAndDuplicationMatchTheirParameters() {
        Pair p = new Pair(11, NetworkModel.lan().latency(Duration.ofMillis(10)).loss(0.1).duplication(0.05));
        p.inject(PACKETS, Duration.ofMillis(1));
        p.sim.runFor(Duration.ofSeconds(30));
        double lossRate = p.drops.getOrDefault(NetworkTap.DropReason.LOSS, 0) / (double) PACKETS;
        assertEquals(0.10, lossRate, 0.01);
        double expectedHandled = PACKETS * 0.9 * 1.05;
        assertEquals(expectedHandled, p.handled.size(), expectedHandled * 0.015);
        long min = Long.MAX_VALUE;
        double sum = 0;
        for (long[] h : p.handled) {
            long d = h[1] - h[0];
            min = Math.min(min, d);
            sum += d;
        }
        assertTrue(min >= 5_000_000L, "never faster than half the mean");
        assertEquals(10e6, sum / p.handled.size(), 10e6 * 0.03);
        assertEquals(PACKETS * 0.9 * 0.05, p.sim.stats().packetsDuplicated(), PACKETS * 0.9 * 0.05 * 0.15);
        assertEquals(List.of(), p.sim.violations());
    }

    @Test
    void fixedAndUniformLatencies() {
        Pair fixed = new Pair(1, NetworkModel.lan().latency(Latency.fixed(Duration.ofMillis(3))));
        fixed.inject(1000, Duration.ofMillis(1));
        fixed.sim.runFor(Duration.ofSeconds(2));
        assertEquals(1000, fixed.handled.size());
        for (long[] h : fixed.handled) {
            assertEquals(3_000_000L, h[1] - h[0]);
        }
        Pair uniform = new Pair(2, NetworkModel.lan().latency(Latency.uniform(Duration.ofMillis(2),
                Duration.ofMillis(6))));
        uniform.inject(PACKETS, Duration.ofMillis(1));
        uniform.sim.runFor(Duration.ofSeconds(30));
        double sum = 0;
        for (long[] h : uniform.handled) {
            long d = h[1] - h[0];
            assertTrue(d >= 2_000_000L && d <= 6_000_000L);
            sum += d;
        }
        assertEquals(4e6, sum / uniform.handled.size(), 4e6 * 0.02);
    }

    @Test
    void reorderingLetsLaterPacketsOvertake() {
        Pair none = new Pair(3, NetworkModel.lan().latency(Latency.fixed(Duration.ofMillis(1))));
        none.inject(2000, Duration.ofMillis(1));
        none.sim.runFor(Duration.ofSeconds(5));
        assertEquals(0, inversions(none.handled));
        Pair some = new Pair(3, NetworkModel.lan().latency(Latency.fixed(Duration.ofMillis(1))).reorder(0.2)
                .reorderDelay(Duration.ofMillis(10)));
        some.inject(2000, Duration.ofMillis(1));
        some.sim.runFor(Duration.ofSeconds(5));
        assertEquals(2000, some.handled.size());
        int inv = inversions(some.handled);
        assertTrue(inv > 200 && inv < 1000, "about a fifth of the packets arrive late: " + inv);
    }

    private static int inversions(List<long[]> handled) {
        int inv = 0;
        for (int i = 1; i < handled.size(); i++) {
            if (handled.get(i)[2] < handled.get(i - 1)[2]) {
                inv++;
            }
        }
        return inv;
    }

    @Test
    void partitionsDropPacketsBothWaysUntilHealed() {
        Pair p = new Pair(4, NetworkModel.lan());
        p.sim.partition(List.of(List.of("a")));
        assertEquals(1, p.sim.partitionOf("a"));
        assertEquals(0, p.sim.partitionOf("b"));
        p.inject(100, Duration.ofMillis(10));
        p.sim.runFor(Duration.ofSeconds(2));
        assertEquals(0, p.handled.size());
        assertEquals(100, p.drops.get(NetworkTap.DropReason.PARTITION));
        p.sim.heal();
        p.handled.clear();
        p.inject(100, Duration.ofMillis(10));
        p.sim.runFor(Duration.ofSeconds(2));
        assertEquals(100, p.handled.size());
    }

    @Test
    void packetsInFlightAcrossANewPartitionAreDroppedOnArrival() {
        Pair p = new Pair(5, NetworkModel.lan().latency(Latency.fixed(Duration.ofMillis(50))));
        p.inject(10, Duration.ZERO);
        p.sim.runFor(Duration.ofMillis(10));
        p.sim.partition(List.of(List.of("a"), List.of("b")));
        p.sim.runFor(Duration.ofSeconds(1));
        assertEquals(0, p.handled.size());
        assertEquals(10, p.drops.get(NetworkTap.DropReason.PARTITION));
    }

    @Test
    void streamsAcrossAPartitionFailAtTheirTimeoutAndToACrashedNodeAfterOneRoundTrip() {
        Simulation sim = TestSupport.cluster(6, 4, NetworkModel.lan().latency(Latency.fixed(Duration.ofMillis(5))));
        List<long[]> joins = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        sim.addListener((t, observer, e) -> {
            if (observer.equals("node-1") && e instanceof MembershipEvent.JoinCompleted jc) {
                joins.add(new long[] {t, jc.contacted()});
                failures.addAll(jc.failures());
            }
        });
        sim.partition(List.of(List.of("node-1")));
        long start = sim.now();
        sim.join("node-1", List.of("node-2"));
        sim.runFor(Duration.ofSeconds(15));
        assertEquals(1, joins.size());
        assertEquals(0, joins.get(0)[1]);
        assertEquals(sim.node("node-1").config().streamTimeout().toNanos(), joins.get(0)[0] - start);
        assertTrue(failures.get(0).contains("timeout"), failures.toString());

        sim.heal();
        sim.crash("node-3");
        joins.clear();
        failures.clear();
        start = sim.now();
        sim.join("node-1", List.of("node-3"));
        sim.runFor(Duration.ofSeconds(1));
        assertEquals(1, joins.size());
        assertEquals(10_000_000L, joins.get(0)[0] - start, "refused after one round trip of 2 x 5 ms");
        assertTrue(failures.get(0).contains("refused"), failures.toString());
        assertEquals(List.of(), sim.violations());
    }

    @Test
    void streamLegsPayForLossWithRetransmissionTimeouts() {
        Simulation sim = TestSupport.cluster(8, 2, NetworkModel.lan().latency(Latency.fixed(Duration.ofMillis(1))));
        sim.network(sim.network().loss(0.3));
        long[] startedAt = new long[1];
        List<Long> took = new ArrayList<>();
        sim.addListener((t, observer, e) -> {
            if (e instanceof MembershipEvent.JoinCompleted jc && jc.contacted() == 1) {
                took.add(t - startedAt[0]);
            }
        });
        int joins = 400;
        for (int i = 0; i < joins; i++) {
            sim.schedule(Duration.ofSeconds(30L * i), () -> {
                startedAt[0] = sim.now();
                sim.join("node-1", List.of("node-0"));
            });
        }
        sim.runFor(Duration.ofSeconds(30L * joins));
        assertTrue(took.size() >= joins - 5, "streams are reliable; only a rare 12.6 s leg times out: " + took.size());
        double mean = 0;
        for (long d : took) {
            assertTrue(d >= 2_000_000L && (d - 2_000_000L) % 200_000_000L == 0,
                    "two 1 ms legs plus sums of 200 ms x 2^k: " + d);
            mean += d;
        }
        // Per leg, E[penalty] = sum_k P(k lost) x 200 ms x (2^k - 1) = 143 ms at p = 0.3 (6 retries at most).
        mean /= took.size();
        assertEquals(0.288e9, mean, 0.11e9, "mean round trip " + mean / 1e9 + " s");
        assertEquals(List.of(), sim.violations());
    }
}
