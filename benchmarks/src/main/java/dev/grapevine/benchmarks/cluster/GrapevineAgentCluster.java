package dev.grapevine.benchmarks.cluster;

import dev.grapevine.agent.SerfAgents;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * N Grapevine agents, one {@code bin/grapevine agent} JVM process each, on 127.0.0.1 at
 * {@code --preset lan}: the same shape as the Serf side (one OS process per node, driven through
 * its API, watched through its event output). Each agent's stdout event lines ({@link AgentLogLine})
 * are timestamped as they arrive; joins, user events go through its HTTP API; a crash is SIGKILL
 * and a graceful leave SIGTERM (the agent leaves, then exits). Processes are stopped by PID. Each
 * agent is warmed up once before the measured join ({@link #warmUp}).
 *
 * <p>The agent jar is {@code -Dgrapevine.agent.jar} (set by {@code bin/grapevine-cluster-bench}),
 * else {@code agent/target/grapevine.jar} next to this benchmark's jar. {@code -Dgrapevine.agent.javaOpts}
 * sets the agents' JVM options.
 */
final class GrapevineAgentCluster implements Cluster {
    /** Small-footprint JVM settings for a process that holds one light node. */
    static final String DEFAULT_JAVA_OPTS = "-Xms16m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "
            + "-XX:CICompilerCount=1 -Xss512k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=32m";
    private static final int START_BATCH = 6;
    private static final long READY_BOUND_S = 60;
    private static final int START_ATTEMPTS = 3;

    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final List<String> names = new CopyOnWriteArrayList<>();
    private final List<Integer> gossipPorts = new CopyOnWriteArrayList<>();
    private final List<Integer> httpPorts = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile Path logDir;
    private volatile String leaveOutcome;
    private volatile boolean closed;
    private final boolean keepLogs;

    GrapevineAgentCluster(boolean keepLogs) {
        this.keepLogs = keepLogs;
    }

    @Override
    public String system() {
        return "grapevine-agents";
    }

    static Path agentJar() {
        String p = System.getProperty("grapevine.agent.jar");
        if (p != null) {
            return Path.of(p);
        }
        try {
            Path self = Path.of(GrapevineAgentCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // <root>/benchmarks/target/benchmarks.jar -> <root>/agent/target/grapevine.jar
            return self.getParent().getParent().getParent().resolve("agent/target/grapevine.jar");
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("agent/target/grapevine.jar");
        }
    }

    static boolean available() {
        return Files.isRegularFile(agentJar());
    }

    @Override
    public void start(int n, Observations obs) throws Exception {
        logDir = Files.createTempDirectory("grapevine-agents-");
        for (int i = 0; i < n; i++) {
            if (closed) {
                throw new IllegalStateException("stopped");
            }
            names.add(String.format("gva-%02d", i));
            processes.add(launch(i, obs));
            if ((i + 1) % START_BATCH == 0 || i == n - 1) {
                // Let each batch come up before the next: JVM start-up is CPU-bound.
                for (int j = i - i % START_BATCH; j <= i; j++) {
                    awaitReady(j, obs);
                    warmUp(j);
                }
            }
        }
    }

    /**
     * Starts agent {@code i} on two ports probed free, replacing an earlier attempt's ports. A
     * probed port can be taken before the agent binds it (by the ephemeral ports of the many TCP
     * connections around), so {@link #awaitReady} starts it again on fresh ports.
     */
    private Process launch(int i, Observations obs) throws IOException {
        String name = names.get(i);
        int gossip = SerfAgents.freePort();
        int api = SerfAgents.freePort();
        if (i < gossipPorts.size()) {
            gossipPorts.set(i, gossip);
            httpPorts.set(i, api);
        } else {
            gossipPorts.add(gossip);
            httpPorts.add(api);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String o : System.getProperty("grapevine.agent.javaOpts", DEFAULT_JAVA_OPTS).trim().split("\\s+")) {
            if (!o.isEmpty()) {
                cmd.add(o);
            }
        }
        cmd.addAll(List.of("-jar", agentJar().toString(), "agent", "--name", name, "--bind", "127.0.0.1:" + gossip,
                "--http", "127.0.0.1:" + api, "--preset", "lan"));
        Process p = new ProcessBuilder(cmd).redirectError(logDir.resolve(name + ".log").toFile()).start();
        Thread reader = new Thread(() -> follow(p, name, obs), "stdout-" + name);
        reader.setDaemon(true);
        reader.start();
        return p;
    }

    /**
     * Makes agent {@code i} join itself: a push/pull between its own TCP client and listener that
     * adds no member but loads and compiles the stream, codec and HTTP paths. Without it each JVM
     * pays that once in the measured join (about 0.27 s of CPU per agent here), 49 agents at once
     * on 2 cores; a Serf agent is compiled ahead of time. The table notes this warm-up.
     */
    private void warmUp(int i) throws IOException, InterruptedException {
        HttpResponse<String> r = send(i, "POST", "/v1/join?addr=" + URLEncoder.encode("127.0.0.1:" + gossipPorts.get(i),
                StandardCharsets.UTF_8));
        if (r.statusCode() != 200) {
            throw new IOException(names.get(i) + " warm-up join with itself: HTTP " + r.statusCode() + " " + r.body());
        }
    }

    private static void follow(Process p, String name, Observations obs) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                long now = System.nanoTime();
                SerfLogLine.Parsed e = AgentLogLine.parse(line);
                if (e != null) {
                    obs.add(name, e.kind(), e.subject(), now);
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    private void awaitReady(int i, Observations obs) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_BOUND_S);
            Process p = processes.get(i);
            while (!closed && p.isAlive()) {
                try {
                    if (send(i, "GET", "/v1/health").statusCode() == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException(names.get(i) + " did not serve its HTTP API within " + READY_BOUND_S + " s");
                }
                Thread.sleep(50);
            }
            if (closed) {
                throw new IllegalStateException("stopped");
            }
            p.waitFor(5, TimeUnit.SECONDS);
            String why = names.get(i) + " exited (" + (p.isAlive() ? "still running" : "status " + p.exitValue())
                    + "): " + logTail(names.get(i));
            if (attempt == START_ATTEMPTS) {
                throw new IOException(why);
            }
            ClusterBenchmark.progress("  " + why + "; starting it again on other ports");
            processes.set(i, launch(i, obs));
        }
    }

    /** The last lines of an agent's stderr log, on one line. */
    private String logTail(String name) {
        try {
            List<String> lines = Files.readAllLines(logDir.resolve(name + ".log"), StandardCharsets.UTF_8);
            return String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private HttpResponse<String> send(int i, String method, String pathAndQuery) throws IOException, InterruptedException {
        return send(i, method, pathAndQuery, new byte[0]);
    }

    private HttpResponse<String> send(int i, String method, String pathAndQuery, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts.get(i) + pathAndQuery))
                .timeout(Duration.ofSeconds(30));
        b = method.equals("GET") ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public List<String> names() {
        return List.copyOf(names);
    }

    @Override
    public Callable<Integer> joinTask(int i) {
        String seed = "127.0.0.1:" + gossipPorts.get(0);
        return () -> {
            HttpResponse<String> r = send(i, "POST", "/v1/join?addr=" + URLEncoder.encode(seed, StandardCharsets.UTF_8));
            if (r.statusCode() != 200) {
                throw new IOException("join: HTTP " + r.statusCode() + " " + r.body());
            }
            return 1;
        };
    }

    @Override
    public void userEvent(int origin, String name, byte[] payload) throws Exception {
        HttpResponse<String> r = send(origin, "POST", "/v1/event?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8),
                payload);
        if (r.statusCode() != 200) {
            throw new IOException("event: HTTP " + r.statusCode() + " " + r.body());
        }
    }

    @Override
    public void crash(int i) {
        processes.get(i).destroyForcibly(); // SIGKILL to that PID
    }

    @Override
    public void leave(int i) {
        leaveOutcome = null;
        Process p = processes.get(i);
        Thread t = new Thread(() -> {
            String outcome;
            p.destroy(); // SIGTERM: the agent leaves gracefully, then exits
            try {
                outcome = p.waitFor(30, TimeUnit.SECONDS) ? "ok" : "the agent did not exit within 30 s of SIGTERM";
            } catch (InterruptedException e) {
                outcome = "interrupted";
            }
            leaveOutcome = outcome;
        }, "leave-" + names.get(i));
        t.setDaemon(true);
        t.start();
    }

    @Override
    public String leaveOutcome() {
        return leaveOutcome;
    }

    @Override
    public Map<String, Long> cpuTicks() {
        Map<String, Process> byName = new LinkedHashMap<>();
        for (int i = 0; i < processes.size(); i++) {
            byName.put(names.get(i), processes.get(i));
        }
        return Cluster.cpuTicksPerProcess(byName);
    }

    @Override
    public Memory memory() {
        return Cluster.rssPerProcess(processes);
    }

    @Override
    public long ownBytesSent() {
        return -1;
    }

    @Override
    public void close() {
        closed = true;
        for (Process p : processes) {
            p.destroyForcibly(); // SIGKILL to that PID
        }
        for (Process p : processes) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Path dir = logDir;
        if (dir != null) {
            Cluster.keepOrDeleteLogs(dir, "gva-*.log", keepLogs, "grapevine agent");
        }
    }
}
