package dev.grapevine.benchmarks.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How long each of a set of nodes took to see something (seconds after the cause), summarised:
 * the first, the 50th and 99th percentiles (nearest rank over all the nodes, so a node that never
 * saw it counts as infinitely slow), the last, the slowest node, and the tails (nodes over the tail
 * threshold, or that never saw it within the bound). A value that was not reached is NaN.
 *
 * @param nodes   how many nodes were expected to see it
 * @param reached how many did
 * @param first   the fastest, or NaN when none did
 * @param p50     50th percentile
 * @param p99     99th percentile
 * @param all     the time by which every node had seen it, or NaN when one never did
 * @param slowest the slowest node's name (one that never saw it, if any), or "" when there are no nodes
 * @param tails   "name 12.3 s" or "name never" for each node past the threshold, slowest first
 */
record Spread(int nodes, int reached, double first, double p50, double p99, double all, String slowest,
              List<String> tails) {

    /**
     * Summarises per-node times.
     *
     * @param seconds       node name to seconds, or to null / NaN when it never saw it
     * @param tailThreshold seconds above which a node is listed as a tail
     */
    static Spread of(Map<String, Double> seconds, double tailThreshold) {
        int n = seconds.size();
        double[] sorted = new double[n];
        int i = 0;
        String slowest = "";
        double worst = Double.NEGATIVE_INFINITY;
        List<Map.Entry<String, Double>> tailEntries = new ArrayList<>();
        for (Map.Entry<String, Double> e : seconds.entrySet()) {
            Double v = e.getValue();
            double t = v == null || v.isNaN() ? Double.POSITIVE_INFINITY : v;
            sorted[i++] = t;
            if (t > worst || slowest.isEmpty()) {
                worst = t;
                slowest = e.getKey();
            }
            if (t > tailThreshold) {
                tailEntries.add(Map.entry(e.getKey(), t));
            }
        }
        Arrays.sort(sorted);
        int reached = 0;
        for (double t : sorted) {
            if (t != Double.POSITIVE_INFINITY) {
                reached++;
            }
        }
        tailEntries.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
        List<String> tails = new ArrayList<>();
        for (Map.Entry<String, Double> e : tailEntries) {
            tails.add(e.getValue() == Double.POSITIVE_INFINITY ? e.getKey() + " never"
                    : e.getKey() + String.format(" %.1f s", e.getValue()));
        }
        return new Spread(n, reached, n == 0 ? Double.NaN : finite(sorted[0]), rank(sorted, 0.50),
                rank(sorted, 0.99), n == 0 ? Double.NaN : finite(sorted[n - 1]), slowest, List.copyOf(tails));
    }

    /** Nearest-rank percentile: the ceil(p * n)-th smallest. */
    private static double rank(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int r = (int) Math.ceil(p * sorted.length);
        return finite(sorted[Math.max(1, r) - 1]);
    }

    private static double finite(double v) {
        return v == Double.POSITIVE_INFINITY ? Double.NaN : v;
    }
}
