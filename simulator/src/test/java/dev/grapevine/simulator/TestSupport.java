package dev.grapevine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.grapevine.membership.MembershipConfig;
import java.time.Duration;
import java.util.List;

/** Shared helpers for the engine tests. */
final class TestSupport {
    private TestSupport() {
    }

    /** A user-message packet as memberlist sends it over UDP: type byte 8, then the payload. */
    static byte[] userPacket(byte... payload) {
        byte[] p = new byte[payload.length + 1];
        p[0] = 8;
        System.arraycopy(payload, 0, p, 1, payload.length);
        return p;
    }

    /** An n-node LAN cluster, all started at t=0 joining node-0, run until converged. */
    static Simulation cluster(long seed, int n, NetworkModel network) {
        Simulation sim = Simulation.builder().seed(seed).config(MembershipConfig.lan()).network(network).build();
        sim.addNodes(n);
        sim.startAllAndJoin("node-0");
        boolean ok = sim.runUntil(sim::converged, Duration.ofSeconds(120));
        assertEquals(true, ok, "cluster of " + n + " did not converge");
        assertEquals(List.of(), sim.violations());
        return sim;
    }
}
