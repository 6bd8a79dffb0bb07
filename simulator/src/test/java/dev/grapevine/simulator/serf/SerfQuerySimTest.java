package dev.grapevine.simulator.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.serf.QueryHandle;
import dev.grapevine.serf.QueryOptions;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.SimNode;
import dev.grapevine.simulator.Simulation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Queries over a 50-node Serf cluster: tag filters select exactly the matching nodes; relays beat loss. */
class SerfQuerySimTest {
    static final int NODES = 50;

    /** Even nodes are role=web, odd ones role=db; every node answers every query with its name. */
    static Simulation cluster(long seed, NetworkModel network) {
        Simulation sim = SerfClusters.converged(SerfClusters.builder(seed, SerfConfig.defaults(), network)
                .serfTags(name -> Map.of("role", Integer.parseInt(name.substring(5)) % 2 == 0 ? "web" : "db")), NODES);
        sim.addSerfListener((t, observer, e) -> {
            if (e instanceof SerfEvent.Query q) {
                sim.serf(observer).respond(q.query(), observer.getBytes(StandardCharsets.UTF_8));
            }
        });
        return sim;
    }

    static QueryHandle query(Simulation sim, String from, QueryOptions options) {
        QueryHandle[] h = new QueryHandle[1];
        sim.serfCall(from, s -> h[0] = s.query("who", null, options));
        return h[0];
    }

    @Test
    void aTagFilteredQueryGetsExactlyTheMatchingNodesBeforeItsDeadline() {
        Simulation sim = cluster(51, NetworkModel.lan());
        Map<String, Long> answeredAt = new HashMap<>();
        sim.addSerfListener((t, observer, e) -> {
            if (e instanceof SerfEvent.QueryResponse r) {
                answeredAt.put(r.from(), t);
            }
        });
        QueryHandle q = query(sim, "node-3", QueryOptions.builder().requestAck(true).filterTag("role", "^web$").build());
        // Default timeout: 200 ms x 16 x ceil(log10(51)) = 6.4 s.
        assertEquals(sim.now() + Duration.ofMillis(6400).toNanos(), q.deadlineNanos());
        sim.runFor(Duration.ofSeconds(8));
        Set<String> web = new HashSet<>();
        for (SimNode n : sim.nodes()) {
            if (n.id() % 2 == 0) {
                web.add(n.name());
            }
        }
        assertTrue(q.isFinished());
        assertEquals(web, q.acks());
        assertEquals(web, q.responses().keySet());
        for (Map.Entry<String, byte[]> r : q.responses().entrySet()) {
            assertEquals(r.getKey(), new String(r.getValue(), StandardCharsets.UTF_8));
        }
        for (long t : answeredAt.values()) {
            assertTrue(t <= q.deadlineNanos());
        }
        SerfClusters.assertNoViolations(sim);
    }

    @Test
    void relayedResponsesMakeUpForLoss() {
        NetworkModel lossy = NetworkModel.lan().loss(0.10);
        Simulation direct = cluster(52, lossy);
        QueryHandle plain = query(direct, "node-0", QueryOptions.builder().build());
        direct.runFor(Duration.ofSeconds(8));

        Simulation relayed = cluster(52, lossy);
        QueryHandle withRelays = query(relayed, "node-0", QueryOptions.builder().relayFactor(3).build());
        relayed.runFor(Duration.ofSeconds(8));

        assertTrue(plain.responses().size() < NODES, "10% loss loses some direct responses: " + plain.responses().size());
        assertEquals(NODES, withRelays.responses().size(), "relay factor 3: every response arrives");
        long forwarded = 0;
        for (SimNode n : relayed.nodes()) {
            forwarded += n.serf().metrics().relaysForwarded();
        }
        assertTrue(forwarded > 2 * NODES, "relays forwarded: " + forwarded);
        SerfClusters.assertNoViolations(relayed);
    }
}
