package dev.grapevine.simulator.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.grapevine.serf.QueryOptions;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.Simulation;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A Serf simulation is as deterministic as a plain one: same seed and calls, same trace. */
class SerfDeterminismTest {

    static long run(long seed) {
        Simulation sim = SerfClusters.converged(SerfClusters.builder(seed, SerfConfig.defaults(),
                NetworkModel.lan().loss(0.03)), 20);
        sim.addSerfListener((t, observer, e) -> {
            if (e instanceof SerfEvent.Query q) {
                sim.serf(observer).respond(q.query(), new byte[] {1});
            }
        });
        for (int i = 0; i < 10; i++) {
            String name = "e" + i;
            sim.serfCall("node-" + sim.random().nextInt(20), s -> s.userEvent(name, null, false));
            sim.runFor(Duration.ofMillis(100));
        }
        sim.serfCall("node-3", s -> s.query("q", null, QueryOptions.builder().requestAck(true).relayFactor(1).build()));
        sim.leave("node-7", Duration.ofSeconds(5));
        sim.runFor(Duration.ofSeconds(30));
        return sim.traceHash();
    }

    @Test
    void sameSeedSameTrace() {
        assertEquals(run(5), run(5));
        assertNotEquals(run(5), run(6));
    }

    @Test
    void serfCallsNeedSerf() {
        Simulation plain = Simulation.builder().build();
        plain.addNodes(1);
        assertThrows(IllegalStateException.class, () -> plain.serfCall("node-0", s -> { }));
        assertThrows(IllegalStateException.class, () -> plain.addSerfListener((t, o, e) -> { }));
        assertEquals(false, plain.serfEnabled());
    }
}
