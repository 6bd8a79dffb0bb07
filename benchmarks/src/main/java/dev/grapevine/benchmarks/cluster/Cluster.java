package dev.grapevine.benchmarks.cluster;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * N nodes of one system on 127.0.0.1, driven by {@link ClusterBenchmark}: N Serf agent processes, or
 * N Grapevine nodes in this JVM. Every node reports what it sees into the {@link Observations} given
 * to {@link #start}. {@link #close()} stops everything it started, also after a failure, and may be
 * called from a shutdown hook.
 */
interface Cluster extends AutoCloseable {

    /** "serf" or "grapevine". */
    String system();

    /** Starts {@code n} idle nodes (each alone) that report into {@code obs}. */
    void start(int n, Observations obs) throws Exception;

    /** The nodes' names, index 0 first. */
    List<String> names();

    /** A task that makes node {@code i} join node 0 and returns how many nodes it contacted. */
    Callable<Integer> joinTask(int i);

    /** Node {@code origin} sends a user event (not coalesced). */
    void userEvent(int origin, String name, byte[] payload) throws Exception;

    /** Stops node {@code i} abruptly: kill -9 of a Serf agent, close() of a Grapevine node. */
    void crash(int i) throws Exception;

    /**
     * Starts a graceful leave of node {@code i} and returns at once; the node stops after leaving.
     * Returns a description of how it went when asked through {@link #leaveOutcome()}.
     */
    void leave(int i);

    /** How the last {@link #leave} went ("ok", or the error), or null while it runs. */
    String leaveOutcome();

    /** CPU clock ticks used so far by each process that runs the nodes (Serf: per agent; Grapevine: the JVM). */
    Map<String, Long> cpuTicks();

    /** Memory per node now (Grapevine: collects garbage first). */
    Memory memory();

    /** Bytes the nodes themselves counted as sent (Grapevine's UDP counters), or -1 when they do not count. */
    long ownBytesSent();

    /** Stops every node and process this cluster started; idempotent. */
    @Override
    void close();

    /** CPU ticks of each live process, by node name (for clusters of one process per node). */
    static Map<String, Long> cpuTicksPerProcess(Map<String, Process> processes) {
        Map<String, Long> out = new LinkedHashMap<>();
        processes.forEach((name, p) -> {
            if (p.isAlive()) {
                long t = ProcStats.cpuTicks(p.pid());
                if (t >= 0) {
                    out.put(name, t);
                }
            }
        });
        return out;
    }

    /** Mean and largest VmRSS over the live processes (for clusters of one process per node). */
    static Memory rssPerProcess(Collection<Process> processes) {
        long sum = 0;
        long max = 0;
        int count = 0;
        for (Process p : processes) {
            if (p.isAlive()) {
                long kb = ProcStats.vmRssKb(p.pid());
                if (kb >= 0) {
                    sum += kb;
                    max = Math.max(max, kb);
                    count++;
                }
            }
        }
        return new Memory(count == 0 ? -1 : sum / 1024.0 / count, "RSS", max / 1024.0, -1, -1);
    }

    /**
     * At close: prints where the agents' logs are when {@code keep}, else deletes the files matching
     * {@code glob} in {@code dir} and then {@code dir} (left as it is when anything else is in it).
     */
    static void keepOrDeleteLogs(Path dir, String glob, boolean keep, String what) {
        if (keep) {
            System.err.println(what + " logs kept in " + dir);
            return;
        }
        try (DirectoryStream<Path> logs = Files.newDirectoryStream(dir, glob)) {
            for (Path log : logs) {
                Files.deleteIfExists(log);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // leave what is left
        }
    }

    /**
     * Memory per node.
     *
     * @param perNodeMiB what the table shows per node
     * @param basis      what that is: "RSS" (mean agent VmRSS) or "heap" (JVM used heap after GC, above
     *                   the baseline before the nodes started, / N)
     * @param maxMiB     the largest agent's RSS (Serf), or -1
     * @param jvmRssMiB  the whole JVM's VmRSS (Grapevine), or -1
     * @param directMiB  the JVM's direct (off-heap) buffers, Netty's included, all nodes together (Grapevine), or -1
     */
    record Memory(double perNodeMiB, String basis, double maxMiB, double jvmRssMiB, double directMiB) {
    }
}
