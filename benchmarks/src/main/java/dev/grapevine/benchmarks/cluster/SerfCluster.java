package dev.grapevine.benchmarks.cluster;

import dev.grapevine.agent.SerfAgents;
import dev.grapevine.agent.SerfAgents.Agent;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * N HashiCorp Serf agents (Debian's serf 0.9.4), started by the agent module's {@link SerfAgents}
 * fixture on 127.0.0.1 ({@code -profile=lan}, free ports probed there), each driven through its
 * RPC ({@link SerfRpc}) and watched through its {@code monitor} log stream: every member event line
 * is timestamped as it arrives ({@link SerfLogLine}). Agents are stopped by PID (SIGKILL) on close.
 */
final class SerfCluster implements Cluster {
    private static final int START_ATTEMPTS = 3;

    private final List<Agent> agents = new CopyOnWriteArrayList<>();
    private final List<String> names = new CopyOnWriteArrayList<>();
    private final List<SerfRpc> control = new CopyOnWriteArrayList<>();
    private final List<SerfRpc> monitors = new CopyOnWriteArrayList<>();
    private volatile SerfAgents fixture;
    private volatile String leaveOutcome;
    private volatile boolean closed;
    private final boolean keepLogs;

    /** @param keepLogs keep the agents' log files (their directory is printed) instead of deleting them on close */
    SerfCluster(boolean keepLogs) {
        this.keepLogs = keepLogs;
    }

    @Override
    public String system() {
        return "serf";
    }

    @Override
    public void start(int n, Observations obs) throws Exception {
        fixture = new SerfAgents();
        for (int i = 0; i < n; i++) {
            if (closed) {
                throw new IllegalStateException("stopped");
            }
            String name = String.format("serf-%02d", i);
            Agent a = startAgent(name);
            agents.add(a);
            if (closed) {
                a.process.destroyForcibly();
                throw new IllegalStateException("stopped");
            }
            names.add(name);
            control.add(SerfRpc.connect(a.rpcPort));
            SerfRpc mon = SerfRpc.connect(a.rpcPort);
            monitors.add(mon);
            mon.monitor("INFO", "monitor-" + name, line -> {
                long now = System.nanoTime();
                SerfLogLine.Parsed p = SerfLogLine.parse(line);
                if (p != null) {
                    obs.add(name, p.kind(), p.subject(), now);
                }
            });
        }
    }

    private Agent startAgent(String name) throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            try {
                // The fixture passes -log-level=debug to the log file; info is enough here (the last flag wins).
                return fixture.start(name, Map.of(), "-profile=lan", "-log-level=info");
            } catch (IOException e) {
                last = e; // e.g. a probed port taken in between: the fixture keeps the dead process, close() reaps it
            }
        }
        throw last;
    }

    @Override
    public List<String> names() {
        return List.copyOf(names);
    }

    @Override
    public Callable<Integer> joinTask(int i) {
        SerfRpc rpc = control.get(i);
        String seed = agents.get(0).bind();
        return () -> rpc.join(seed);
    }

    @Override
    public void userEvent(int origin, String name, byte[] payload) throws IOException {
        control.get(origin).event(name, payload, false);
    }

    @Override
    public void crash(int i) throws InterruptedException {
        fixture.kill(agents.get(i)); // Process.destroyForcibly: SIGKILL to that PID
    }

    @Override
    public void leave(int i) {
        leaveOutcome = null;
        Agent a = agents.get(i);
        SerfRpc rpc = control.get(i);
        Thread t = new Thread(() -> {
            String outcome;
            try {
                rpc.leave();
                outcome = a.process.waitFor(30, TimeUnit.SECONDS) ? "ok" : "left, but the agent did not exit in 30 s";
            } catch (IOException e) {
                outcome = "leave failed: " + e.getMessage();
            } catch (InterruptedException e) {
                outcome = "interrupted";
            }
            leaveOutcome = outcome;
        }, "leave-" + a.name);
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
        for (Agent a : agents) {
            byName.put(a.name, a.process);
        }
        return Cluster.cpuTicksPerProcess(byName);
    }

    @Override
    public Memory memory() {
        return Cluster.rssPerProcess(agents.stream().map(a -> a.process).toList());
    }

    @Override
    public long ownBytesSent() {
        return -1;
    }

    @Override
    public void close() {
        closed = true;
        for (SerfRpc c : control) {
            c.close();
        }
        for (SerfRpc c : monitors) {
            c.close();
        }
        for (Agent a : agents) {
            a.process.destroyForcibly(); // SIGKILL to that PID
        }
        SerfAgents f = fixture;
        if (f != null) {
            for (int attempt = 0; attempt < 2; attempt++) {
                try {
                    f.close(); // SIGKILL by PID to every agent it started (a failed start too), then waits for each
                    break;
                } catch (RuntimeException e) {
                    // the fixture's list changed under us (close from a shutdown hook during a start): once more
                }
            }
        }
        if (!agents.isEmpty()) {
            // The fixture's own temporary directory: our agents' logs, and that of an agent whose
            // start was cut short (not in our list yet).
            Cluster.keepOrDeleteLogs(agents.get(0).log.getParent(), "serf-*.log", keepLogs, "serf agent");
        }
    }
}
