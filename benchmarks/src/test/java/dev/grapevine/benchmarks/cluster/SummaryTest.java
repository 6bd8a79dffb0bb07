package dev.grapevine.benchmarks.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.benchmarks.cluster.Observations.Kind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The analysis of what nodes reported: convergence replay, percentiles, tails, and the options. */
class SummaryTest {

    @Test
    void aNodeConvergesWhenItFirstHoldsEveryoneElseAliveAtOnce() {
        Observations obs = new Observations();
        List<String> all = List.of("a", "b", "c");
        obs.add("a", Kind.JOIN, "a", 1);
        obs.add("a", Kind.JOIN, "b", 10);
        obs.add("a", Kind.FAILED, "b", 20);
        obs.add("a", Kind.JOIN, "c", 30); // b is failed here: not yet
        obs.add("a", Kind.UPDATE, "c", 35);
        obs.add("a", Kind.JOIN, "b", 40);
        assertEquals(40, obs.allAliveAt("a", all));
        assertEquals(-1, obs.allAliveAt("b", all));
        obs.add("b", Kind.JOIN, "c", 5);
        obs.add("b", Kind.JOIN, "a", 3); // out of order arrival is sorted
        assertEquals(5, obs.allAliveAt("b", all));
        assertEquals(20, obs.first("a", Kind.FAILED, "b", 0));
        assertEquals(-1, obs.first("a", Kind.FAILED, "b", 21));
    }

    @Test
    void percentilesAreNearestRankAndNodesThatNeverSawItCountAsInfinitelySlow() {
        Map<String, Double> t = new LinkedHashMap<>();
        for (int i = 1; i <= 50; i++) {
            t.put("n" + i, i / 10.0);
        }
        Spread s = Spread.of(t, 10);
        assertEquals(0.1, s.first(), 1e-9);
        assertEquals(2.5, s.p50(), 1e-9);
        assertEquals(5.0, s.p99(), 1e-9);
        assertEquals(5.0, s.all(), 1e-9);
        assertEquals("n50", s.slowest());
        assertTrue(s.tails().isEmpty());

        t.put("n50", 34.2);
        t.put("n7", null);
        s = Spread.of(t, 10);
        assertEquals(49, s.reached());
        assertTrue(Double.isNaN(s.all()));
        assertTrue(Double.isNaN(s.p99())); // 50th of 50 is the one that never saw it
        assertEquals("n7", s.slowest());
        assertEquals(List.of("n7 never", "n50 34.2 s"), s.tails());
    }

    @Test
    void jsonIsOneLineWithNullsForWhatWasNotMeasured() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("system", "serf \"x\"\n");
        m.put("n", 5);
        m.put("t", Double.NaN);
        m.put("u", 1.5);
        m.put("l", List.of("a", "b"));
        assertEquals("{\"system\":\"serf \\\"x\\\"\\n\",\"n\":5,\"t\":null,\"u\":1.5000,\"l\":[\"a\",\"b\"]}",
                Report.toJson(m));
    }

    @Test
    void optionsHaveTheDocumentedDefaultsAndAreChecked() {
        ClusterBenchmark.Options o = ClusterBenchmark.parse(new String[0]);
        assertEquals(List.of(5, 20, 50), o.sizes());
        assertEquals(1, o.rounds());
        assertEquals(60, o.idleSeconds());
        assertEquals(List.of("serf", "grapevine", "grapevine-agents"), o.systems());
        o = ClusterBenchmark.parse(new String[] {"--sizes", "4,8", "--rounds", "2", "--idle-seconds", "5",
                "--systems", "grapevine"});
        assertEquals(List.of(4, 8), o.sizes());
        assertEquals(List.of("grapevine"), o.systems());
        assertNull(ClusterBenchmark.parse(new String[] {"--help"}));
        assertThrows(IllegalArgumentException.class, () -> ClusterBenchmark.parse(new String[] {"--sizes", "2"}));
        assertThrows(IllegalArgumentException.class, () -> ClusterBenchmark.parse(new String[] {"--rounds"}));
        assertThrows(IllegalArgumentException.class, () -> ClusterBenchmark.parse(new String[] {"--bogus"}));
    }
}
