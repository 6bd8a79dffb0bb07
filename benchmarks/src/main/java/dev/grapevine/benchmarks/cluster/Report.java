package dev.grapevine.benchmarks.cluster;

import dev.grapevine.benchmarks.cluster.ClusterBenchmark.Options;
import dev.grapevine.benchmarks.cluster.ClusterBenchmark.Result;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The benchmark's output: one Markdown table with its tails and notes, and one JSON line per result. */
final class Report {
    private Report() {
    }

    /** Seconds with two decimals, or "-" when not reached. */
    static String s(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    static String table(List<Result> results, Options o) {
        boolean rounds = o.rounds() > 1;
        StringBuilder b = new StringBuilder();
        b.append("| system | N |").append(rounds ? " round |" : "")
                .append(" join 50% / 99% / all (s) | slowest join | event first / all (s) | detect first / all (s)"
                        + " | graceful leave: left / ever failed, all left (s) | idle CPU s/min/node | memory/node"
                        + " | lo B/s/node |\n");
        b.append("|---|---:|").append(rounds ? "---:|" : "").append("---|---|---|---|---|---:|---|---:|\n");
        List<String> tails = new ArrayList<>();
        for (Result r : results) {
            b.append("| ").append(r.system).append(" | ").append(r.n).append(" | ");
            if (rounds) {
                b.append(r.round).append(" | ");
            }
            if (r.join == null) {
                b.append("failed: ").append(r.error == null ? "?" : r.error.replace("|", "/"))
                        .append(" | | | | | | | |\n");
                tails.add(label(r) + ": run failed: " + r.error);
                continue;
            }
            b.append(s(r.join.p50())).append(" / ").append(s(r.join.p99())).append(" / ")
                    .append(notReached(r.join, ClusterBenchmark.JOIN_BOUND_S)).append(" | ");
            b.append(r.join.slowest()).append(" | ");
            b.append(r.event == null ? "-" : s(r.event.first()) + " / " + notReached(r.event, ClusterBenchmark.EVENT_BOUND_S))
                    .append(" | ");
            b.append(r.detect == null ? "-" : s(r.detect.first()) + " / " + notReached(r.detect, ClusterBenchmark.DETECT_BOUND_S))
                    .append(" | ");
            if (r.leaveObservers > 0) {
                b.append(r.leaveLeft).append('/').append(r.leaveObservers).append(" left, ")
                        .append(r.leaveFailedEver).append(" failed, ")
                        .append(Double.isNaN(r.leaveAll) ? "not all in " + ClusterBenchmark.LEAVE_BOUND_S + " s"
                                : s(r.leaveAll) + " s");
            } else {
                b.append('-');
            }
            b.append(" | ");
            if (Double.isNaN(r.cpuPerNodeSMin)) {
                b.append("- | - | - |\n");
            } else {
                boolean jvm = r.memory != null && r.memory.basis().equals("heap");
                b.append(String.format(Locale.ROOT, "%.3f", r.cpuPerNodeSMin)).append(jvm ? " (JVM/N)" : "")
                        .append(" | ");
                if (r.memory == null) {
                    b.append('-');
                } else if (jvm) {
                    b.append(String.format(Locale.ROOT, "%.2f MiB heap + %.2f MiB direct (JVM RSS %.0f MiB total)",
                            r.memory.perNodeMiB(), r.memory.directMiB() / r.n, r.memory.jvmRssMiB()));
                } else {
                    b.append(String.format(Locale.ROOT, "%.1f MiB RSS", r.memory.perNodeMiB()));
                }
                b.append(" | ").append(String.format(Locale.ROOT, "%.0f", r.loBytesPerNodeS)).append(" |\n");
            }
            List<String> t = new ArrayList<>();
            if (!r.join.tails().isEmpty()) {
                t.add("waited over 10 s to see every join: " + String.join(", ", r.join.tails()));
            }
            if (r.event != null && !r.event.tails().isEmpty()) {
                t.add("waited over 10 s for the user event: " + String.join(", ", r.event.tails()));
            }
            if (!r.leaveFailedAt.isEmpty()) {
                t.add("showed the graceful leave as failed: " + String.join(", ", r.leaveFailedAt));
            }
            if (r.leaveObservers > 0 && r.leaveLeft < r.leaveObservers) {
                t.add((r.leaveObservers - r.leaveLeft) + " observer(s) never showed the graceful leave as left");
            }
            if (r.detect != null && r.detect.reached() < r.detect.nodes()) {
                t.add((r.detect.nodes() - r.detect.reached()) + " observer(s) never detected the crash in "
                        + ClusterBenchmark.DETECT_BOUND_S + " s");
            }
            if (!r.falseFailures.isEmpty()) {
                t.add("healthy nodes reported failed: " + String.join(", ", r.falseFailures));
            }
            if (!r.joinErrors.isEmpty()) {
                t.add("join errors: " + String.join("; ", r.joinErrors));
            }
            if (r.leaveOutcome != null && !r.leaveOutcome.equals("ok")) {
                t.add("the leaving node: " + r.leaveOutcome);
            }
            if (r.error != null) {
                t.add("run failed: " + r.error);
            }
            if (!t.isEmpty()) {
                tails.add(label(r) + ": " + String.join("; ", t));
            }
        }
        b.append('\n');
        if (tails.isEmpty()) {
            b.append("Tails: none (no node over 10 s for a join or the event, no graceful leave seen as failed, "
                    + "no healthy node reported failed).\n");
        } else {
            b.append("Tails and anomalies:\n");
            for (String t : tails) {
                b.append("- ").append(t).append('\n');
            }
        }
        b.append('\n').append(String.format(Locale.ROOT, """
                Times in seconds from the cause (joins fired, event sent, kill -9 / close, leave started) to the
                nodes' own reports: Serf agents' member/user-event log lines, timestamped as they arrive on each
                agent's monitor stream; Grapevine nodes' Serf listener events; for grapevine-agents (one
                bin/grapevine agent JVM per node, CPU and RSS per process as for Serf) the agents' stdout event
                lines, timestamped as they arrive; each agent first joined itself once (a push/pull with its own
                listener, no member added) to load and compile that code before the measured join. join: when
                each node first held all N alive (50%%/99%% nearest rank over the N nodes). event: the N-1 other nodes. detect: the
                N-1 other nodes reporting the killed node failed. leave: the N-2 others (not the killed node).
                "-": not reached within the bound (join, event, detect %d s; leave %d s). Idle (%d s window,
                after convergence): CPU is utime+stime from /proc, per agent for Serf, the whole JVM's divided
                by N for Grapevine (harness included); memory is the mean agent VmRSS for Serf; for Grapevine
                the JVM's used heap after GC above its level before the nodes started, and its direct
                (off-heap, Netty) buffers, each divided by N, with the JVM's total RSS in parentheses; lo B/s
                is the loopback interface's transmitted bytes (/proc/net/dev, any process's loopback traffic,
                IP/UDP/TCP headers included) divided by the window and N. Serf's acks carry its network
                coordinates (about 130 bytes each), which Grapevine does not implement.%s
                """, ClusterBenchmark.JOIN_BOUND_S, ClusterBenchmark.LEAVE_BOUND_S, o.idleSeconds(),
                o.warmup() && o.systems().contains("grapevine")
                        ? "\nGrapevine ran after one throwaway warm-up cycle (N=5) in the same JVM (class loading, JIT)."
                        : ""));
        return b.toString();
    }

    private static String notReached(Spread sp, long bound) {
        if (!Double.isNaN(sp.all())) {
            return s(sp.all());
        }
        return "> " + bound + " (" + (sp.nodes() - sp.reached()) + " never)";
    }

    private static String label(Result r) {
        return r.system + " N=" + r.n + (r.round > 1 ? " round " + r.round : "");
    }

    /** One JSON object on one line. */
    static String json(Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("system", r.system);
        m.put("n", r.n);
        m.put("round", r.round);
        m.put("error", r.error);
        m.put("join_errors", r.joinErrors);
        spread(m, "join", r.join);
        spread(m, "event", r.event);
        spread(m, "detect", r.detect);
        m.put("leave_observers", r.leaveObservers);
        m.put("leave_left", r.leaveLeft);
        m.put("leave_failed_ever", r.leaveFailedEver);
        m.put("leave_failed_at", r.leaveFailedAt);
        m.put("leave_all_left_s", r.leaveAll);
        m.put("leave_outcome", r.leaveOutcome);
        m.put("false_failures", r.falseFailures);
        m.put("idle_window_s", r.idleWindowS);
        m.put("cpu_s_per_min_per_node", r.cpuPerNodeSMin);
        m.put("cpu_basis", r.system.equals("grapevine") ? "JVM process utime+stime / N" : "per agent process utime+stime");
        m.put("cpu_max_process_s_per_min", r.cpuMaxProcSMin);
        m.put("harness_jvm_cpu_s_per_min", r.harnessCpuSMin);
        if (r.memory != null) {
            m.put("memory_mib_per_node", r.memory.perNodeMiB());
            m.put("memory_basis", r.memory.basis().equals("RSS") ? "mean agent VmRSS"
                    : "JVM used heap after GC above the pre-start baseline / N");
            m.put("memory_max_agent_rss_mib", r.memory.maxMiB() < 0 ? null : r.memory.maxMiB());
            m.put("jvm_rss_mib", r.memory.jvmRssMiB() < 0 ? null : r.memory.jvmRssMiB());
            m.put("jvm_direct_buffers_mib", r.memory.directMiB() < 0 ? null : r.memory.directMiB());
        }
        m.put("lo_tx_bytes_per_s_per_node", r.loBytesPerNodeS);
        m.put("own_udp_bytes_sent_per_s_per_node", r.ownBytesPerNodeS);
        m.put("wall_s", r.wallS);
        return toJson(m);
    }

    private static void spread(Map<String, Object> m, String p, Spread sp) {
        if (sp == null) {
            return;
        }
        m.put(p + "_nodes", sp.nodes());
        m.put(p + "_reached", sp.reached());
        m.put(p + "_first_s", sp.first());
        m.put(p + "_p50_s", sp.p50());
        m.put(p + "_p99_s", sp.p99());
        m.put(p + "_all_s", sp.all());
        m.put(p + "_slowest", sp.slowest());
        m.put(p + "_tails", sp.tails());
    }

    static String toJson(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Double d) {
            return d.isNaN() || d.isInfinite() ? "null" : String.format(Locale.ROOT, "%.4f", d);
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof Map<?, ?> map) {
            StringBuilder b = new StringBuilder("{");
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (b.length() > 1) {
                    b.append(',');
                }
                b.append(toJson(e.getKey().toString())).append(':').append(toJson(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (v instanceof List<?> list) {
            StringBuilder b = new StringBuilder("[");
            for (Object x : list) {
                if (b.length() > 1) {
                    b.append(',');
                }
                b.append(toJson(x));
            }
            return b.append(']').toString();
        }
        String s = v.toString();
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
