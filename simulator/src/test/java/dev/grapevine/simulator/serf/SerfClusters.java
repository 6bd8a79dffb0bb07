package dev.grapevine.simulator.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.serf.SerfMember;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.SimNode;
import dev.grapevine.simulator.Simulation;
import java.time.Duration;

/** Shared set-up of the Serf simulations: a converged cluster of Serf nodes in a seeded simulation. */
final class SerfClusters {
    private SerfClusters() {
    }

    /** {@code n} Serf nodes node-0..node-(n-1), all joined through node-0, converged at both layers. */
    static Simulation converged(Simulation.Builder b, int n) {
        Simulation sim = b.build();
        sim.addNodes(n);
        sim.startAllAndJoin("node-0");
        assertTrue(sim.runUntil(() -> sim.converged() && serfAlive(sim), Duration.ofMinutes(5)),
                "cluster of " + n + " did not converge; fraction " + sim.convergedFraction());
        assertNoViolations(sim);
        return sim;
    }

    static Simulation.Builder builder(long seed, SerfConfig serf, NetworkModel network) {
        return Simulation.builder().seed(seed).config(MembershipConfig.lan()).network(network).serf(serf);
    }

    /** True when every live node holds every live node alive at the Serf layer. */
    static boolean serfAlive(Simulation sim) {
        for (SimNode a : sim.liveNodes()) {
            for (SimNode b : sim.liveNodes()) {
                SerfMember m = a.serf().member(b.name());
                if (m == null || m.status() != SerfMemberStatus.ALIVE) {
                    return false;
                }
            }
        }
        return true;
    }

    static void assertNoViolations(Simulation sim) {
        sim.checkInvariants();
        assertEquals(0, sim.violationCount(), () -> "invariant violations: " + sim.violations());
    }
}
