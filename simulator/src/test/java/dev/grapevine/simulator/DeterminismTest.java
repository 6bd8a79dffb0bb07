package dev.grapevine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.grapevine.membership.MembershipConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeterminismTest {

    /** Join, loss, duplication, reordering, a crash, a partition and a slow node: everything random. */
    private static long run(long seed) {
        Simulation sim = Simulation.builder().seed(seed).config(MembershipConfig.lan())
                .network(NetworkModel.lan().loss(0.05).duplication(0.02).reorder(0.1)).build();
        sim.addNodes(12);
        sim.start("node-0");
        for (int i = 1; i < 12; i++) {
            sim.startAt(Duration.ofMillis(sim.random().nextInt(500)), "node-" + i, List.of("node-0"));
        }
        sim.runFor(Duration.ofSeconds(10));
        sim.slow("node-3", SlowProfile.fixed(Duration.ofSeconds(2), Duration.ofSeconds(3)));
        sim.crash("node-5");
        sim.runFor(Duration.ofSeconds(20));
        sim.partition(List.of(List.of("node-0", "node-1", "node-2")));
        sim.runFor(Duration.ofSeconds(15));
        sim.heal();
        sim.restart("node-5");
        sim.runFor(Duration.ofSeconds(30));
        assertEquals(List.of(), sim.violations());
        return sim.traceHash() ^ sim.eventsProcessed() * 31 ^ sim.stats().hashCode();
    }

    @Test
    void sameSeedGivesTheSameTrace() {
        assertEquals(run(42), run(42));
    }

    @Test
    void differentSeedsGiveDifferentTraces() {
        assertNotEquals(run(42), run(43));
    }

    @Test
    void callerActionsDoNotChangeTheTrace() {
        Simulation a = TestSupport.cluster(7, 8, NetworkModel.lan());
        Simulation b = TestSupport.cluster(7, 8, NetworkModel.lan());
        for (int i = 1; i <= 20; i++) {
            b.schedule(Duration.ofMillis(500 * i), () -> b.convergedFraction());
        }
        a.runFor(Duration.ofSeconds(10));
        b.runFor(Duration.ofSeconds(10));
        assertEquals(a.traceHash(), b.traceHash());
    }
}
