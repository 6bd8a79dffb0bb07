package dev.grapevine.simulator.serf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.serf.InMemoryKeyring;
import dev.grapevine.serf.KeyQuery;
import dev.grapevine.serf.KeyResponse;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfCore;
import dev.grapevine.simulator.NetworkModel;
import dev.grapevine.simulator.Simulation;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Serf's key queries across a simulated cluster with in-memory keyrings, aggregated like Serf's KeyManager. */
class SerfKeyQuerySimTest {
    static final int NODES = 30;

    static byte[] key(int seed) {
        byte[] k = new byte[32];
        for (int i = 0; i < 32; i++) {
            k[i] = (byte) (seed * 17 + i);
        }
        return k;
    }

    static String b64(byte[] k) {
        return Base64.getEncoder().encodeToString(k);
    }

    static KeyResponse run(Simulation sim, String from, Function<SerfCore, KeyQuery> op) {
        KeyQuery[] q = new KeyQuery[1];
        sim.serfCall(from, s -> q[0] = op.apply(s));
        assertTrue(sim.runUntil(q[0]::isDone, Duration.ofSeconds(30)));
        return q[0].response();
    }

    @Test
    void installUseListRemoveGiveSerfsAggregateCounts() {
        byte[] k1 = key(1);
        byte[] k2 = key(2);
        Map<String, InMemoryKeyring> rings = new HashMap<>();
        Simulation sim = SerfClusters.converged(SerfClusters.builder(61, SerfConfig.defaults(), NetworkModel.lan())
                .serfKeyrings(name -> rings.computeIfAbsent(name, n -> new InMemoryKeyring(k1))), NODES);

        KeyResponse install = run(sim, "node-4", s -> s.installKey(k2, 0));
        assertTrue(install.ok(), install.toString());
        assertEquals(NODES, install.numNodes());
        assertEquals(NODES, install.numResp());
        assertEquals(0, install.numErr());

        KeyResponse list = run(sim, "node-9", s -> s.listKeys(0));
        assertEquals(Map.of(b64(k1), NODES, b64(k2), NODES), list.keys());
        assertEquals(Map.of(b64(k1), NODES), list.primaryKeys());

        assertTrue(run(sim, "node-4", s -> s.useKey(k2, 0)).ok());
        for (InMemoryKeyring r : rings.values()) {
            assertArrayEquals(k2, r.keys().get(0));
        }
        assertEquals(Map.of(b64(k2), NODES), run(sim, "node-0", s -> s.listKeys(0)).primaryKeys());

        KeyResponse removePrimary = run(sim, "node-4", s -> s.removeKey(k2, 0));
        assertEquals(NODES + "/" + NODES + " nodes reported failure", removePrimary.error());
        assertEquals(NODES, removePrimary.messages().size());

        assertTrue(run(sim, "node-4", s -> s.removeKey(k1, 2)).ok());
        KeyResponse after = run(sim, "node-17", s -> s.listKeys(0));
        assertEquals(Map.of(b64(k2), NODES), after.keys());
        assertEquals(NODES, rings.size());
        for (InMemoryKeyring r : rings.values()) {
            assertEquals(1, r.keys().size());
            assertEquals(3, r.persists(), "install, use and remove each persisted the keyring");
        }
        SerfClusters.assertNoViolations(sim);
    }
}
