package dev.grapevine.benchmarks.cluster;

import dev.grapevine.agent.SerfAgents;
import dev.grapevine.benchmarks.cluster.Observations.Kind;
import java.nio.charset.StandardCharsets;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The side-by-side cluster benchmark: the same scenarios on N HashiCorp Serf agents and on N
 * Grapevine nodes (Serf mode, in this JVM or as one agent process each) on 127.0.0.1, alternating, at memberlist's {@code lan} settings, and
 * one table. For each N: join convergence (N idle nodes, then nodes 1..N-1 join node 0 at once;
 * until every node sees all N alive), a user event from node 0 reaching the others, an idle window
 * (CPU, memory, loopback bytes), a crash (kill -9 / close) and its detection, and a graceful leave
 * (seen as left, and how many observers ever showed it failed). Run by {@code bin/grapevine-cluster-bench};
 * see {@code --help}. Progress goes to stderr; stdout gets the Markdown table, then one JSON line per
 * (system, N, round).
 */
public final class ClusterBenchmark {
    static final double TAIL_S = 10;
    static final long JOIN_BOUND_S = 90;
    static final long EVENT_BOUND_S = 90;
    static final long DETECT_BOUND_S = 90;
    static final long LEAVE_BOUND_S = 60;
    private static final long SETTLE_BEFORE_EVENT_MS = 2_000;
    private static final long SETTLE_BEFORE_IDLE_MS = 5_000;
    private static final long LEAVE_GRACE_MS = 2_000;
    private static final long POLL_MS = 20;

    /** The systems --systems accepts. */
    static final List<String> SYSTEMS = List.of("serf", "grapevine", "grapevine-agents");

    private static volatile Cluster current;
    private static volatile boolean stopping;

    private ClusterBenchmark() {
    }

    /** The settings of one run. */
    record Options(List<Integer> sizes, int rounds, int idleSeconds, List<String> systems, boolean keepLogs,
                   boolean warmup) {
    }

    /** Everything measured for one (system, N, round). NaN: not measured or not reached. */
    static final class Result {
        String system;
        int n;
        int round;
        String error;
        List<String> joinErrors = new ArrayList<>();
        Spread join;
        Spread event;
        Spread detect;
        int leaveObservers;
        int leaveLeft;
        int leaveFailedEver;
        double leaveAll = Double.NaN;
        String leaveOutcome;
        List<String> leaveFailedAt = new ArrayList<>();
        List<String> falseFailures = new ArrayList<>();
        double idleWindowS = Double.NaN;
        double cpuPerNodeSMin = Double.NaN;
        double cpuMaxProcSMin = Double.NaN;
        double harnessCpuSMin = Double.NaN;
        Cluster.Memory memory;
        double loBytesPerNodeS = Double.NaN;
        double ownBytesPerNodeS = Double.NaN;
        double wallS;
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("grapevine-cluster-bench: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        if (o == null) {
            System.out.println(usage());
            return;
        }
        if (o.systems().contains("serf") && !SerfAgents.available()) {
            System.err.println("grapevine-cluster-bench: the serf binary (HashiCorp Serf 0.9.4) is not on the PATH; "
                    + "install it (apt-get install serf) or run only Grapevine with --systems grapevine");
            System.exit(2);
            return;
        }
        if (o.systems().contains("grapevine-agents") && !GrapevineAgentCluster.available()) {
            System.err.println("grapevine-cluster-bench: the agent jar " + GrapevineAgentCluster.agentJar()
                    + " is not there; build it first (mvn -q -DskipTests package)");
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            Cluster c = current;
            if (c != null) {
                c.close();
            }
        }, "cluster-bench-stop"));

        long ticksPerSecond = ProcStats.clockTicksPerSecond();
        progress("cluster benchmark: sizes " + o.sizes() + ", " + o.rounds() + " round(s), idle window "
                + o.idleSeconds() + " s, systems " + o.systems() + ", " + Runtime.getRuntime().availableProcessors()
                + " CPUs");
        if (o.warmup() && o.systems().contains("grapevine")) {
            // Class loading and JIT compilation would otherwise land in the first Grapevine run's join
            // (about 0.6 s at N=5 on a 2-core machine); Serf agents are compiled ahead of time.
            progress("warm-up: one throwaway Grapevine cycle at N=5 (not reported)");
            Result w = run(new GrapevineCluster(), 5, 0, new Options(List.of(5), 1, 1, List.of("grapevine"), false, false),
                    ticksPerSecond);
            if (w.error != null) {
                progress("warm-up failed: " + w.error);
            }
        }
        List<Result> results = new ArrayList<>();
        for (int n : o.sizes()) {
            for (int r = 1; r <= o.rounds(); r++) {
                for (String system : o.systems()) {
                    if (stopping) {
                        return;
                    }
                    Cluster c = switch (system) {
                        case "serf" -> new SerfCluster(o.keepLogs());
                        case "grapevine-agents" -> new GrapevineAgentCluster(o.keepLogs());
                        default -> new GrapevineCluster();
                    };
                    results.add(run(c, n, r, o, ticksPerSecond));
                }
            }
        }
        System.out.println(Report.table(results, o));
        for (Result res : results) {
            System.out.println(Report.json(res));
        }
    }

    static Options parse(String[] args) {
        List<Integer> sizes = List.of(5, 20, 50);
        int rounds = 1;
        int idle = 60;
        List<String> systems = SYSTEMS;
        boolean keepLogs = false;
        boolean warmup = true;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    return null;
                }
                case "--keep-logs" -> keepLogs = true;
                case "--no-warmup" -> warmup = false;
                case "--sizes", "--rounds", "--idle-seconds", "--systems" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(a + " needs a value");
                    }
                    String v = args[++i];
                    try {
                        switch (a) {
                            case "--sizes" -> {
                                List<Integer> s = new ArrayList<>();
                                for (String p : v.split(",")) {
                                    int x = Integer.parseInt(p.trim());
                                    if (x < 3 || x > 200) {
                                        throw new IllegalArgumentException("each size must be 3..200, got " + x);
                                    }
                                    s.add(x);
                                }
                                sizes = List.copyOf(s);
                            }
                            case "--rounds" -> {
                                rounds = Integer.parseInt(v);
                                if (rounds < 1 || rounds > 20) {
                                    throw new IllegalArgumentException("--rounds must be 1..20");
                                }
                            }
                            case "--idle-seconds" -> {
                                idle = Integer.parseInt(v);
                                if (idle < 1 || idle > 3600) {
                                    throw new IllegalArgumentException("--idle-seconds must be 1..3600");
                                }
                            }
                            default -> {
                                List<String> s = new ArrayList<>();
                                for (String p : v.split(",")) {
                                    String x = p.trim();
                                    if (!SYSTEMS.contains(x)) {
                                        throw new IllegalArgumentException("--systems takes " + String.join(", ", SYSTEMS)
                                                + "; got " + x);
                                    }
                                    if (!s.contains(x)) {
                                        s.add(x);
                                    }
                                }
                                systems = List.copyOf(s);
                            }
                        }
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(a + ": not a number: " + v);
                    }
                }
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        return new Options(sizes, rounds, idle, systems, keepLogs, warmup);
    }

    static String usage() {
        return """
                usage: grapevine-cluster-bench [--sizes 5,20,50] [--rounds R] [--idle-seconds S]
                                               [--systems serf,grapevine] [--keep-logs] [--no-warmup]
                  Runs the same scenarios on N Serf agents and N Grapevine nodes (Serf mode) on 127.0.0.1,
                  alternating, at memberlist's lan settings: join convergence, a user event reaching all,
                  an idle window (CPU, memory, loopback bytes), crash detection, a graceful leave.
                  Prints a Markdown table, then one JSON line per (system, N, round), on stdout.
                  --sizes         cluster sizes, 3..200 each (default 5,20,50)
                  --rounds        repeat each size this many times, Serf then Grapevine each time (default 1)
                  --idle-seconds  the idle window (default 60)
                  --systems       which to run, in this order each round (default all three):
                                  serf, grapevine (N nodes in this JVM), grapevine-agents (N bin/grapevine
                                  agent processes, driven through their HTTP API and stdout event lines)
                  --keep-logs     keep the Serf and Grapevine agents' log files (their directory is printed)
                  --no-warmup     skip the throwaway Grapevine cycle (N=5) that loads and JIT-compiles the
                                  code before the first measured Grapevine run""";
    }

    /** One (system, N, round): every phase, then the cluster is closed. */
    static Result run(Cluster c, int n, int round, Options o, long ticksPerSecond) {
        Result res = new Result();
        res.system = c.system();
        res.n = n;
        res.round = round;
        long wall0 = System.nanoTime();
        Observations obs = new Observations();
        current = c;
        String phase = "start";
        try {
            progress(c.system() + " N=" + n + " round " + round + ": starting " + n + " nodes");
            c.start(n, obs);
            List<String> names = c.names();

            phase = "join";
            long t0 = fireJoins(c, n, res.joinErrors);
            waitUntil(() -> names.stream().allMatch(x -> obs.allAliveAt(x, names) >= 0), t0, JOIN_BOUND_S);
            Map<String, Double> joinTimes = new LinkedHashMap<>();
            for (String x : names) {
                joinTimes.put(x, since(t0, obs.allAliveAt(x, names)));
            }
            res.join = Spread.of(joinTimes, TAIL_S);
            progress(String.format(Locale.ROOT, "  join: all %d see %d alive after %s s (99%%: %s s)%s", n, n,
                    Report.s(res.join.all()), Report.s(res.join.p99()),
                    res.joinErrors.isEmpty() ? "" : "; join errors: " + res.joinErrors));

            phase = "event";
            sleep(SETTLE_BEFORE_EVENT_MS);
            String eventName = "bench-event";
            List<String> receivers = names.subList(1, n);
            long t1 = System.nanoTime();
            c.userEvent(0, eventName, ("n=" + n + " r=" + round).getBytes(StandardCharsets.UTF_8));
            waitUntil(() -> receivers.stream().allMatch(x -> obs.first(x, Kind.USER, eventName, t1) >= 0), t1,
                    EVENT_BOUND_S);
            Map<String, Double> eventTimes = new LinkedHashMap<>();
            for (String x : receivers) {
                eventTimes.put(x, since(t1, obs.first(x, Kind.USER, eventName, t1)));
            }
            res.event = Spread.of(eventTimes, TAIL_S);
            progress("  event: first " + Report.s(res.event.first()) + " s, all " + Report.s(res.event.all()) + " s");

            phase = "idle";
            sleep(SETTLE_BEFORE_IDLE_MS);
            long self = ProcessHandle.current().pid();
            Map<String, Long> cpu0 = c.cpuTicks();
            long harness0 = ProcStats.cpuTicks(self);
            ProcStats.LoBytes lo0 = ProcStats.loBytes();
            long own0 = c.ownBytesSent();
            long w0 = System.nanoTime();
            progress("  idle: measuring for " + o.idleSeconds() + " s");
            sleep(TimeUnit.SECONDS.toMillis(o.idleSeconds()));
            Map<String, Long> cpu1 = c.cpuTicks();
            long harness1 = ProcStats.cpuTicks(self);
            ProcStats.LoBytes lo1 = ProcStats.loBytes();
            long own1 = c.ownBytesSent();
            double window = (System.nanoTime() - w0) / 1e9;
            res.idleWindowS = window;
            double sum = 0;
            double max = 0;
            for (Map.Entry<String, Long> e : cpu1.entrySet()) {
                Long before = cpu0.get(e.getKey());
                if (before != null) {
                    double sMin = (e.getValue() - before) / (double) ticksPerSecond / (window / 60);
                    sum += sMin;
                    max = Math.max(max, sMin);
                }
            }
            res.cpuPerNodeSMin = sum / n;
            res.cpuMaxProcSMin = max;
            res.harnessCpuSMin = (harness1 - harness0) / (double) ticksPerSecond / (window / 60);
            res.loBytesPerNodeS = (lo1.tx() - lo0.tx()) / window / n;
            res.ownBytesPerNodeS = own0 < 0 ? Double.NaN : (own1 - own0) / window / n;
            res.memory = c.memory();
            progress(String.format(Locale.ROOT, "  idle: %.3f CPU s/min/node, %.1f MiB %s/node, %.0f B/s/node on lo",
                    res.cpuPerNodeSMin, res.memory.perNodeMiB(), res.memory.basis(), res.loBytesPerNodeS));

            phase = "detect";
            int victim = n - 1;
            String victimName = names.get(victim);
            List<String> observers = names.subList(0, victim);
            long t2 = System.nanoTime();
            c.crash(victim);
            waitUntil(() -> observers.stream().allMatch(x -> obs.first(x, Kind.FAILED, victimName, t2) >= 0), t2,
                    DETECT_BOUND_S);
            Map<String, Double> detectTimes = new LinkedHashMap<>();
            for (String x : observers) {
                detectTimes.put(x, since(t2, obs.first(x, Kind.FAILED, victimName, t2)));
            }
            res.detect = Spread.of(detectTimes, Double.POSITIVE_INFINITY);
            progress("  crash of " + victimName + ": first detected after " + Report.s(res.detect.first()) + " s, all "
                    + Report.s(res.detect.all()) + " s");

            phase = "leave";
            int leaver = n - 2;
            String leaverName = names.get(leaver);
            List<String> leaveObservers = new ArrayList<>(names.subList(0, leaver));
            long t3 = System.nanoTime();
            c.leave(leaver);
            waitUntil(() -> leaveObservers.stream().allMatch(x -> obs.first(x, Kind.LEAVE, leaverName, t3) >= 0),
                    t3, LEAVE_BOUND_S);
            long allLeft = -1;
            int left = 0;
            for (String x : leaveObservers) {
                long at = obs.first(x, Kind.LEAVE, leaverName, t3);
                if (at >= 0) {
                    left++;
                    allLeft = Math.max(allLeft, at);
                }
            }
            sleep(LEAVE_GRACE_MS); // a late "failed" would still be counted
            int failedEver = 0;
            for (String x : leaveObservers) {
                long at = obs.first(x, Kind.FAILED, leaverName, t3);
                if (at >= 0) {
                    failedEver++;
                    res.leaveFailedAt.add(x + String.format(Locale.ROOT, " %.1f s", (at - t3) / 1e9));
                }
            }
            res.leaveObservers = leaveObservers.size();
            res.leaveLeft = left;
            res.leaveFailedEver = failedEver;
            res.leaveAll = left == leaveObservers.size() ? (allLeft - t3) / 1e9 : Double.NaN;
            waitUntil(() -> c.leaveOutcome() != null, System.nanoTime(), 30);
            res.leaveOutcome = c.leaveOutcome();
            progress("  leave of " + leaverName + ": left at " + left + "/" + leaveObservers.size() + " after "
                    + Report.s(res.leaveAll) + " s, ever failed at " + failedEver + " (" + res.leaveOutcome + ")");

            // Failures reported about nodes that had not failed (before the crash, or about anyone but
            // the crashed node and the leaver afterwards).
            for (String x : names) {
                for (Observations.Obs ob : obs.of(x)) {
                    if (ob.kind() == Kind.FAILED && (ob.nanos() < t2
                            || !(ob.subject().equals(victimName) || ob.subject().equals(leaverName)))) {
                        res.falseFailures.add(x + " saw " + ob.subject() + " failed");
                    }
                }
            }
        } catch (Exception e) {
            res.error = phase + ": " + e;
            progress("  FAILED in " + phase + ": " + e);
        } finally {
            c.close();
            current = null;
            res.wallS = (System.nanoTime() - wall0) / 1e9;
            progress(String.format(Locale.ROOT, "  done in %.0f s", res.wallS));
        }
        return res;
    }

    /**
     * Makes nodes 1..n-1 join node 0 at the same instant: one thread per joiner, all released by one
     * latch. Returns that instant; the joins finish in the background, errors into {@code errors}.
     */
    private static long fireJoins(Cluster c, int n, List<String> errors) throws InterruptedException {
        List<String> names = c.names();
        CountDownLatch ready = new CountDownLatch(n - 1);
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 1; i < n; i++) {
            Callable<Integer> task = c.joinTask(i);
            String name = names.get(i);
            Thread t = new Thread(() -> {
                ready.countDown();
                try {
                    if (go.await(60, TimeUnit.SECONDS)) {
                        task.call();
                    }
                } catch (Exception e) {
                    synchronized (errors) {
                        errors.add(name + ": " + e.getMessage());
                    }
                }
            }, "join-" + name);
            t.setDaemon(true);
            t.start();
        }
        if (!ready.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the join threads did not start");
        }
        long t0 = System.nanoTime();
        go.countDown();
        return t0;
    }

    /** Polls {@code done} every 20 ms until it holds or {@code boundS} seconds after {@code from}. */
    static boolean waitUntil(BooleanSupplier done, long from, long boundS) {
        long deadline = from + TimeUnit.SECONDS.toNanos(boundS);
        while (!stopping) {
            if (done.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            sleep(POLL_MS);
        }
        return false;
    }

    private static Double since(long t0, long at) {
        return at == -1 ? null : Math.max(0, at - t0) / 1e9;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void progress(String s) {
        System.err.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + s);
    }
}
