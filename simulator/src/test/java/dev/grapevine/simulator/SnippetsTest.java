package dev.grapevine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The examples in the javadoc, compiled and run. */
class SnippetsTest {

    @Test
    void simulationClassExample() {
        Simulation sim = Simulation.builder().seed(42)
                .config(MembershipConfig.lan())
                .network(NetworkModel.lan().loss(0.05))
                .build();
        sim.addNodes(20);
        sim.startAllAndJoin("node-0");
        boolean formed = sim.runUntil(sim::converged, Duration.ofMinutes(5));
        sim.crash("node-7");
        sim.runFor(Duration.ofSeconds(60));
        sim.partition(List.of(List.of("node-0", "node-1", "node-2"), List.of("node-3", "node-4")));
        sim.runFor(Duration.ofSeconds(30));
        sim.heal();
        List<Violation> broken = sim.violations(); // empty when every invariant held

        assertTrue(formed);
        assertEquals(List.of(), broken);
        MemberState seen = sim.core("node-8").state("node-7");
        assertTrue(seen == null || seen == MemberState.DEAD, "dead, or already reaped: " + seen);
    }
}
