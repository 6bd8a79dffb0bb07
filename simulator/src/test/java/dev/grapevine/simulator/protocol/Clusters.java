package dev.grapevine.simulator.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.Simulation;
import java.time.Duration;

/** Shared set-up for the protocol behaviour tests: a converged cluster in a seeded simulation. */
final class Clusters {
    private Clusters() {
    }

    /** {@code n} nodes named node-0..node-(n-1), all joined through node-0, converged. */
    static Simulation converged(long seed, int n, MembershipConfig config, NetworkModel network) {
        Simulation sim = Simulation.builder().seed(seed).config(config).network(network).build();
        sim.addNodes(n);
        sim.startAllAndJoin("node-0");
        assertTrue(sim.runUntil(sim::converged, Duration.ofMinutes(5)),
                "cluster of " + n + " did not converge; fraction " + sim.convergedFraction());
        assertNoViolations(sim);
        return sim;
    }

    static Simulation converged(long seed, int n) {
        return converged(seed, n, MembershipConfig.lan(), NetworkModel.lan());
    }

    static void assertNoViolations(Simulation sim) {
        sim.checkInvariants();
        assertEquals(0, sim.violationCount(), () -> "invariant violations: " + sim.violations());
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
