package dev.grapevine.simulator;

import dev.grapevine.membership.CoreMetrics;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.MembershipEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * The built-in scenarios and the harness they share (building the cluster from options, the
 * staggered start, phase measurements, the per-second sampler). Stateless apart from each run's
 * harness.
 */
final class Scenarios {
    static final List<String> NAMES = List.of("join", "crash", "leave", "partition", "slow");

    /** Default main duration where a scenario needs one. */
    static final double DEFAULT_DURATION_S = 600;
    /** Longest wait for the initial convergence of the scenarios that start from a formed cluster. */
    static final double WARMUP_MAX_S = 600;
    /** Longest wait for the cluster to settle after a slow period or a heal. */
    static final double RECOVERY_MAX_S = 600;
    /** Timeout given to {@code leave} in the leave scenario (Serf's BroadcastTimeout). */
    static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(5);

    private Scenarios() {
    }

    static Scenario named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "join" -> new Join();
            case "crash" -> new Crash();
            case "leave" -> new Leave();
            case "partition" -> new Partition();
            case "slow" -> new Slow();
            default -> throw new IllegalArgumentException("unknown scenario '" + name + "' (expected one of "
                    + String.join(", ", NAMES) + ")");
        };
    }

    /** The window over which nodes other than node-0 start: min(10 s, N × 5 ms). */
    static double startWindowS(int n) {
        return Math.min(10.0, n * 0.005);
    }

    /** The preset's protocol config, with the options' Lifeguard and compression switches. */
    static MembershipConfig config(ScenarioOptions o) {
        MembershipConfig base = switch (o.preset()) {
            case "wan" -> MembershipConfig.wan();
            case "local" -> MembershipConfig.local();
            default -> MembershipConfig.lan();
        };
        MembershipConfig.Builder b = base.toBuilder().lifeguard(o.lifeguard()).compression(o.compression());
        if (o.reconnectS() != null) {
            b.reconnectInterval(Duration.ofNanos(Math.round(o.reconnectS() * 1e9)));
        }
        return b.build();
    }

    /** The scenario's run time: {@code --duration-s} when given, else {@code fallback} seconds. */
    static double duration(ScenarioOptions o, double fallback) {
        return o.durationS() == null ? fallback : o.durationS();
    }

    /** The preset's network model, with the options' latency and loss. */
    static NetworkModel network(ScenarioOptions o) {
        NetworkModel m = NetworkModel.preset(o.preset()).loss(o.loss());
        if (o.latencyMs() != null) {
            m = m.latency(Duration.ofNanos(Math.round(o.latencyMs() * 1e6)));
        }
        return m;
    }

    /** memberlist's largest suspicion timeout for n nodes, in seconds (no confirmations). */
    static double maxSuspicionS(MembershipConfig c, int n) {
        double scale = Math.max(1.0, Math.log10(Math.max(1.0, n)));
        return c.suspicionMaxTimeoutMult() * c.suspicionMult() * scale * c.probeInterval().toNanos() / 1e9;
    }

    private static String s(double seconds) {
        return String.format(Locale.ROOT, "%.3g s", seconds);
    }

    // =============================================================================================
    // Harness
    // =============================================================================================

    /** One run: the simulation, the report, phase bookkeeping and the sampler. */
    static final class Harness {
        final ScenarioOptions o;
        final Consumer<String> progress;
        final Simulation sim;
        final MembershipConfig config;
        final ScenarioReport report = new ScenarioReport();
        final long wallStart = System.nanoTime();
        final int n;

        long phaseStart;
        long phasePackets;
        long phaseBytes;
        long phaseSuspicions;
        long phaseRefutations;
        long phaseFalsePositives;
        int maxHealth;
        String phase = "start";
        DoubleSupplier fraction = () -> Double.NaN;
        long sampleOrigin;
        long lastSampleAt = -1;
        int samplerGeneration;
        private long lastProgressWall = System.nanoTime();

        Harness(ScenarioOptions o, Consumer<String> progress) {
            this.o = o;
            this.progress = progress;
            this.n = o.nodes();
            this.config = config(o);
            this.sim = Simulation.builder()
                    .seed(o.seed())
                    .config(config)
                    .network(network(o))
                    .build();
            sim.addNodes(n);
            report.put("scenario", o.scenario());
            report.put("nodes", n);
            report.put("seed", o.seed());
            report.put("preset", o.preset());
            report.put("lifeguard", o.lifeguard());
            report.put("loss", o.loss());
            report.put("latency_ms", sim.network().latency().mean().toNanos() / 1e6);
            report.put("duration_s", null);
            report.put("converged", false);
            report.put("convergence_s", null);
            report.put("detection_first_s", null);
            report.put("detection_all_s", null);
            report.put("false_positives", 0);
            report.put("suspicions", 0);
            report.put("refutations", 0);
            report.put("msgs_per_node_s", null);
            report.put("bytes_per_node_s", null);
            report.put("wall_s", null);
            report.put("heap_mb", null);
            report.put("compression", o.compression());
            sampleOrigin = 0;
            startSampler();
        }

        /** (Re)starts the once-a-second sampler, aligned on whole seconds from now. */
        private void startSampler() {
            int gen = ++samplerGeneration;
            sim.schedule(Duration.ofSeconds(1), () -> sample(gen));
        }

        /** node-0 now; every other node at a uniform time in the start window, joining node-0. */
        double staggeredStart() {
            double window = startWindowS(n);
            sim.start("node-0");
            for (int i = 1; i < n; i++) {
                long at = (long) (sim.random().nextDouble() * window * 1e9);
                sim.startAt(Duration.ofNanos(at), "node-" + i, List.of("node-0"));
            }
            return window;
        }

        boolean allStarted() {
            for (SimNode x : sim.nodes()) {
                if (x.status() == NodeStatus.NEW) {
                    return false;
                }
            }
            return true;
        }

        /** Staggered start, then run until every node sees every other alive. */
        void warmUp() {
            phase = "warmup";
            fraction = this::joinFraction;
            double window = staggeredStart();
            progress.accept(String.format(Locale.ROOT, "warm-up: %d nodes joining node-0 over %s", n,
                    s(window)));
            boolean ok = runUntil(() -> allStarted() && sim.converged(), WARMUP_MAX_S);
            report.put("warmup_converged", ok);
            report.put("warmup_s", sim.now() / 1e9);
            progress.accept(String.format(Locale.ROOT, "warm-up %s at t=%.1f s", ok ? "converged" : "did NOT converge",
                    sim.now() / 1e9));
        }

        /** Marks the start of the measured phase: traffic and metric counters restart from here. */
        void beginPhase(String name) {
            phase = name;
            phaseStart = sim.now();
            sampleOrigin = sim.now();
            startSampler();
            long[] t = totals();
            phasePackets = t[0];
            phaseBytes = t[1];
            phaseSuspicions = t[2];
            phaseRefutations = t[3];
            phaseFalsePositives = sim.falsePositives();
        }

        double sincePhase() {
            return (sim.now() - phaseStart) / 1e9;
        }

        /** runUntil with a progress line every 10 simulated seconds of wall-clock-visible work. */
        boolean runUntil(BooleanSupplier cond, double maxS) {
            return sim.runUntil(cond, Duration.ofNanos((long) (maxS * 1e9)));
        }

        void runFor(double seconds) {
            sim.runFor(Duration.ofNanos((long) (seconds * 1e9)));
        }

        /** Once a simulated second: the series, the health maximum, a progress line now and then. */
        private void sample(int gen) {
            if (gen != samplerGeneration) {
                return;
            }
            int h = 0;
            for (SimNode x : sim.nodes()) {
                if (x.isRunning()) {
                    h = Math.max(h, x.core().healthScore());
                }
            }
            maxHealth = Math.max(maxHealth, h);
            if (o.csv() != null) {
                report.addSample((sim.now() - sampleOrigin) / 1e9, fraction.getAsDouble(), phase);
                lastSampleAt = sim.now();
            }
            long wall = System.nanoTime();
            if (wall - lastProgressWall > 5_000_000_000L) {
                lastProgressWall = wall;
                progress.accept(String.format(Locale.ROOT, "t=%.0f s  phase=%s  live=%d  converged=%.1f%%  events=%d  "
                                + "wall=%.0f s", sim.now() / 1e9, phase, sim.liveCount(), 100 * sim.convergedFraction(),
                        sim.eventsProcessed(), (wall - wallStart) / 1e9));
            }
            sim.schedule(Duration.ofSeconds(1), () -> sample(gen));
        }

        /** Join progress: mean over live nodes of (members seen alive / live nodes). */
        double joinFraction() {
            int live = sim.liveCount();
            if (live == 0) {
                return 0;
            }
            double sum = 0;
            for (SimNode x : sim.nodes()) {
                if (x.isLive()) {
                    sum += Math.min(1.0, (double) x.core().count(MemberState.ALIVE) / live);
                }
            }
            return sum / live;
        }

        /** Fraction of live nodes for which {@code victim} is in one of the states accepted. */
        double fractionHolding(String victim, boolean acceptUnknown, MemberState... states) {
            int live = 0;
            int know = 0;
            for (SimNode x : sim.nodes()) {
                if (!x.isLive()) {
                    continue;
                }
                live++;
                MemberState st = x.core().state(victim);
                boolean ok = st == null && acceptUnknown;
                for (MemberState s : states) {
                    ok |= st == s;
                }
                if (ok) {
                    know++;
                }
            }
            return live == 0 ? 1.0 : (double) know / live;
        }

        /** [packets, bytes, suspicions, refutations] over every node's latest core. */
        long[] totals() {
            long[] t = new long[4];
            for (SimNode x : sim.nodes()) {
                t[0] += x.packetsSent();
                t[1] += x.bytesSent();
                MembershipCore c = x.core();
                if (c != null) {
                    CoreMetrics m = c.metrics();
                    t[2] += m.suspicionsStarted();
                    t[3] += m.refutations();
                }
            }
            return t;
        }

        /** Fills the common figures; measures the heap while the simulation is still reachable. */
        ScenarioReport finish() {
            if (o.csv() != null && lastSampleAt != sim.now()) {
                report.addSample((sim.now() - sampleOrigin) / 1e9, fraction.getAsDouble(), phase);
            }
            long[] t = totals();
            double seconds = Math.max(1e-9, sincePhase());
            int live = Math.max(1, sim.liveCount());
            report.put("false_positives", sim.falsePositives() - phaseFalsePositives);
            report.put("suspicions", t[2] - phaseSuspicions);
            report.put("refutations", t[3] - phaseRefutations);
            report.put("msgs_per_node_s", (t[0] - phasePackets) / (live * seconds));
            report.put("bytes_per_node_s", (t[1] - phaseBytes) / (live * seconds));
            report.put("measured_s", seconds);
            report.put("sim_time_s", sim.now() / 1e9);
            report.put("max_health_score", maxHealth);
            long rejections = 0;
            long probes = 0;
            long probeFailures = 0;
            for (SimNode x : sim.nodes()) {
                if (x.core() != null) {
                    CoreMetrics m = x.core().metrics();
                    rejections += m.totalRejections();
                    probes += m.probes();
                    probeFailures += m.probeFailures();
                }
            }
            report.put("rejections", rejections);
            report.put("probes", probes);
            report.put("probe_failures", probeFailures);
            NetworkStats st = sim.stats();
            report.put("packets_sent", st.packetsSent());
            report.put("packets_lost", st.packetsLost());
            report.put("streams_opened", st.streamsOpened());
            report.put("streams_failed", st.streamsFailed());
            sim.checkInvariants();
            report.put("violations", sim.violationCount());
            List<String> first = new ArrayList<>();
            for (Violation v : sim.violations()) {
                if (first.size() == 5) {
                    break;
                }
                first.add(v.toString());
            }
            report.put("first_violations", first);
            report.put("events", sim.eventsProcessed());
            report.put("trace_hash", String.format("%016x", sim.traceHash()));
            if (o.csv() != null) {
                try {
                    report.writeCsv(o.csv());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write " + o.csv(), e);
                }
            }
            report.put("wall_s", (System.nanoTime() - wallStart) / 1e9);
            System.gc();
            Runtime rt = Runtime.getRuntime();
            report.put("heap_mb", (double) ((rt.totalMemory() - rt.freeMemory()) >> 20));
            Reference.reachabilityFence(sim);
            return report;
        }

        /** A random node other than node-0 that is live. */
        SimNode randomNonSeed() {
            List<SimNode> live = new ArrayList<>();
            for (SimNode x : sim.liveNodes()) {
                if (x.id() != 0) {
                    live.add(x);
                }
            }
            return live.get(sim.random().nextInt(live.size()));
        }
    }

    // =============================================================================================
    // The scenarios
    // =============================================================================================

    /** Cluster formation from scratch. */
    static final class Join implements Scenario {
        @Override
        public String name() {
            return "join";
        }

        @Override
        public String describe(ScenarioOptions o) {
            double d = duration(o, DEFAULT_DURATION_S);
            return "join: node-0 starts at t=0; the other " + (o.nodes() - 1) + " nodes start at uniformly random times"
                    + " over " + s(startWindowS(o.nodes())) + " (min(10 s, N x 5 ms)) and each joins node-0 (a fixed"
                    + " seed, as with `serf agent -join`); run until every node sees all " + o.nodes() + " alive, at"
                    + " most " + s(d) + ". convergence_s counts from t=0; traffic is averaged over the whole run.";
        }

        @Override
        public ScenarioReport run(ScenarioOptions o, Consumer<String> progress) {
            Harness h = new Harness(o, progress);
            double max = duration(o, DEFAULT_DURATION_S);
            h.report.put("duration_s", max);
            h.beginPhase("join");
            h.fraction = h::joinFraction;
            double window = h.staggeredStart();
            h.report.put("start_window_s", window);
            boolean ok = h.runUntil(() -> h.allStarted() && h.sim.converged(), max);
            h.report.put("converged", ok);
            h.report.put("convergence_s", ok ? h.sim.now() / 1e9 : null);
            progress.accept(String.format(Locale.ROOT, "join %s at t=%.1f s", ok ? "converged" : "did NOT converge",
                    h.sim.now() / 1e9));
            return h.finish();
        }
    }

    /** Failure detection of one crashed node. */
    static final class Crash implements Scenario {
        @Override
        public String name() {
            return "crash";
        }

        @Override
        public String describe(ScenarioOptions o) {
            double d = duration(o, DEFAULT_DURATION_S);
            return "crash: warm-up as in join until converged (at most " + s(WARMUP_MAX_S) + "); then one random"
                    + " live node other than node-0 crashes; run until every live node holds it dead and the"
                    + " cluster has converged, at most " + s(d) + ". Times count from the crash; traffic is"
                    + " averaged from the crash on.";
        }

        @Override
        public ScenarioReport run(ScenarioOptions o, Consumer<String> progress) {
            Harness h = new Harness(o, progress);
            double max = duration(o, DEFAULT_DURATION_S);
            h.report.put("duration_s", max);
            h.warmUp();
            SimNode victim = h.randomNonSeed();
            String name = victim.name();
            long[] firstDetection = {-1};
            h.sim.addListener((t, observer, e) -> {
                if (firstDetection[0] < 0 && e instanceof MembershipEvent.MemberDown d
                        && d.member().name().equals(name) && d.member().state() == MemberState.DEAD) {
                    firstDetection[0] = t;
                }
            });
            h.beginPhase("crashed");
            h.fraction = () -> h.fractionHolding(name, true, MemberState.DEAD, MemberState.LEFT);
            h.sim.crash(name);
            h.report.put("crashed_node", name);
            progress.accept("crashed " + name + " at t=" + String.format(Locale.ROOT, "%.1f s", h.sim.now() / 1e9));
            boolean all = h.runUntil(() -> h.fractionHolding(name, true, MemberState.DEAD, MemberState.LEFT) == 1.0,
                    max);
            if (all) {
                h.report.put("detection_all_s", h.sincePhase());
            }
            boolean conv = h.runUntil(h.sim::converged, Math.max(0, max - h.sincePhase()));
            h.report.put("converged", conv);
            h.report.put("convergence_s", conv ? h.sincePhase() : null);
            h.report.put("detection_first_s", firstDetection[0] < 0 ? null : (firstDetection[0] - h.phaseStart) / 1e9);
            return h.finish();
        }
    }

    /** A graceful leave. */
    static final class Leave implements Scenario {
        @Override
        public String name() {
            return "leave";
        }

        @Override
        public String describe(ScenarioOptions o) {
            double d = duration(o, DEFAULT_DURATION_S);
            return "leave: warm-up as in join until converged; then one random live node other than node-0 leaves"
                    + " gracefully (leave timeout " + LEAVE_TIMEOUT.toSeconds() + " s; its core is shut down when the"
                    + " leave completes); run until every live node holds it left and the cluster has converged, at"
                    + " most " + s(d) + ". left_reported_as_failed counts observers that recorded it DEAD.";
        }

        @Override
        public ScenarioReport run(ScenarioOptions o, Consumer<String> progress) {
            Harness h = new Harness(o, progress);
            double max = duration(o, DEFAULT_DURATION_S);
            h.report.put("duration_s", max);
            h.warmUp();
            SimNode victim = h.randomNonSeed();
            String name = victim.name();
            BitSet sawLeft = new BitSet();
            BitSet sawDead = new BitSet();
            long[] completed = {-1};
            boolean[] propagated = {false};
            h.sim.addListener((t, observer, e) -> {
                if (e instanceof MembershipEvent.MemberDown d && d.member().name().equals(name)
                        && !observer.equals(name)) {
                    (d.member().state() == MemberState.LEFT ? sawLeft : sawDead).set(h.sim.node(observer).id());
                } else if (e instanceof MembershipEvent.LeaveCompleted lc && observer.equals(name)) {
                    completed[0] = t;
                    propagated[0] = lc.propagated();
                }
            });
            h.beginPhase("leaving");
            h.fraction = () -> h.fractionHolding(name, false, MemberState.LEFT);
            h.sim.leave(name, LEAVE_TIMEOUT);
            h.report.put("leaving_node", name);
            progress.accept("node " + name + " leaves at t=" + String.format(Locale.ROOT, "%.1f s", h.sim.now() / 1e9));
            BooleanSupplier allLeft = () -> {
                for (SimNode x : h.sim.nodes()) {
                    if (x.isLive()) {
                        MemberState st = x.core().state(name);
                        if (st != MemberState.LEFT && !(st == null && sawLeft.get(x.id()))) {
                            return false;
                        }
                    }
                }
                return true;
            };
            boolean ok = h.runUntil(() -> allLeft.getAsBoolean() && h.sim.converged(), max);
            h.report.put("converged", ok);
            h.report.put("convergence_s", ok ? h.sincePhase() : null);
            // The leaver itself finishes once its dead message has been sent often enough (or at the timeout).
            h.runUntil(() -> victim.status() != NodeStatus.RUNNING, Math.max(0, max - h.sincePhase()));
            h.report.put("leave_completed_s", completed[0] < 0 ? null : (completed[0] - h.phaseStart) / 1e9);
            h.report.put("leave_propagated", propagated[0]);
            h.report.put("left_recorded", sawLeft.cardinality());
            h.report.put("left_reported_as_failed", sawDead.cardinality());
            return h.finish();
        }
    }

    /** A network split into two halves, then a heal. */
    static final class Partition implements Scenario {
        @Override
        public String name() {
            return "partition";
        }

        private static double duration(ScenarioOptions o) {
            return o.durationS() != null ? o.durationS() : 3 * maxSuspicionS(config(o), o.nodes());
        }

        private static double reconnect(ScenarioOptions o) {
            return config(o).reconnectInterval().toNanos() / 1e9;
        }

        @Override
        public String describe(ScenarioOptions o) {
            return "partition: warm-up as in join until converged; then the network splits into node-0..node-"
                    + (o.nodes() / 2 - 1) + " and the rest for " + s(duration(o)) + " (default 3 x the largest"
                    + " suspicion timeout for N, " + s(maxSuspicionS(config(o), o.nodes())) + "); then it heals and we"
                    + " run until every node sees all alive again, at most " + s(RECOVERY_MAX_S) + ". The core's"
                    + " reconnect (every " + s(reconnect(o)) + ", probability failed/alive, push/pull with one failed"
                    + " member) is what heals it: memberlist alone never re-merges with members it has forgotten"
                    + " (--reconnect-s 0 shows that)."
                    + " convergence_s counts from the heal; traffic is averaged from the split on.";
        }

        @Override
        public ScenarioReport run(ScenarioOptions o, Consumer<String> progress) {
            double reconnect = reconnect(o);
            Harness h = new Harness(o, progress);
            double split = duration(o);
            h.report.put("duration_s", split);
            h.report.put("reconnect_s", reconnect);
            h.warmUp();
            int half = h.n / 2;
            List<String> a = new ArrayList<>();
            List<String> b = new ArrayList<>();
            for (SimNode x : h.sim.nodes()) {
                (x.id() < half ? a : b).add(x.name());
            }
            h.beginPhase("partitioned");
            BooleanSupplier splitSeen = () -> {
                for (SimNode x : h.sim.nodes()) {
                    if (x.isLive()) {
                        MembershipCore c = x.core();
                        int side = x.id() < half ? half : h.n - half;
                        if (c.count(MemberState.ALIVE) != side || c.count(MemberState.SUSPECT) != 0) {
                            return false;
                        }
                    }
                }
                return true;
            };
            h.fraction = () -> {
                int live = 0;
                int seen = 0;
                for (SimNode x : h.sim.nodes()) {
                    if (x.isLive()) {
                        live++;
                        int side = x.id() < half ? half : h.n - half;
                        if (x.core().count(MemberState.ALIVE) == side && x.core().count(MemberState.SUSPECT) == 0) {
                            seen++;
                        }
                    }
                }
                return live == 0 ? 1.0 : (double) seen / live;
            };
            h.sim.partition(List.of(a, b));
            progress.accept(String.format(Locale.ROOT, "partitioned %d | %d nodes at t=%.1f s for %s", a.size(),
                    b.size(), h.sim.now() / 1e9, s(split)));
            boolean seen = h.runUntil(splitSeen, split);
            h.report.put("split_detected_s", seen ? h.sincePhase() : null);
            h.runFor(Math.max(0, split - h.sincePhase()));
            long healAt = h.sim.now();
            h.sim.heal();
            h.phase = "healed";
            h.fraction = h.sim::convergedFraction;
            progress.accept(String.format(Locale.ROOT, "healed at t=%.1f s", healAt / 1e9));
            boolean ok = h.runUntil(h.sim::converged, RECOVERY_MAX_S);
            h.report.put("converged", ok);
            h.report.put("convergence_s", ok ? (h.sim.now() - healAt) / 1e9 : null);
            h.report.put("heal_convergence_s", ok ? (h.sim.now() - healAt) / 1e9 : null);
            return h.finish();
        }
    }

    /** Some nodes are slow (CPU-starved) for a while: false positives. */
    static final class Slow implements Scenario {
        @Override
        public String name() {
            return "slow";
        }

        @Override
        public String describe(ScenarioOptions o) {
            double d = duration(o, DEFAULT_DURATION_S);
            int k = (int) Math.round(o.slowFraction() * o.nodes());
            return "slow: warm-up as in join until converged; then " + k + " random nodes (--slow-fraction "
                    + o.slowFraction() + ") become slow (" + SlowProfile.defaults() + "; during a burst their inbound"
                    + " packets and streams wait, their timers do not) for " + s(d) + "; then they recover and we run"
                    + " until the cluster converges, at most " + s(RECOVERY_MAX_S) + ". false_positives counts"
                    + " dead declarations of running nodes over the slow period and the recovery.";
        }

        @Override
        public ScenarioReport run(ScenarioOptions o, Consumer<String> progress) {
            Harness h = new Harness(o, progress);
            double d = duration(o, DEFAULT_DURATION_S);
            h.report.put("duration_s", d);
            h.report.put("slow_fraction", o.slowFraction());
            h.warmUp();
            int k = (int) Math.round(o.slowFraction() * h.n);
            List<SimNode> pool = new ArrayList<>(h.sim.liveNodes());
            List<SimNode> slow = new ArrayList<>();
            for (int i = 0; i < k && !pool.isEmpty(); i++) {
                slow.add(pool.remove(h.sim.random().nextInt(pool.size())));
            }
            Set<String> slowNames = new HashSet<>();
            for (SimNode x : slow) {
                slowNames.add(x.name());
            }
            long[] fp = new long[4]; // about slow, about healthy, by slow observer, by healthy observer
            h.sim.addListener((t, observer, e) -> {
                if (e instanceof MembershipEvent.MemberDown down && down.member().state() == MemberState.DEAD
                        && down.declaredBy().equals(observer)) {
                    SimNode subject = h.sim.node(down.member().name());
                    if (subject.isRunning() && subject.partition() == h.sim.partitionOf(observer)) {
                        fp[slowNames.contains(subject.name()) ? 0 : 1]++;
                        fp[slowNames.contains(observer) ? 2 : 3]++;
                    }
                }
            });
            h.beginPhase("slow");
            h.fraction = () -> {
                int live = 0;
                int clean = 0;
                for (SimNode x : h.sim.nodes()) {
                    if (!x.isLive()) {
                        continue;
                    }
                    live++;
                    MembershipCore c = x.core();
                    int dead = c.count(MemberState.DEAD);
                    if (dead > 0) {
                        for (SimNode s : slow) {
                            if (c.state(s.name()) == MemberState.DEAD) {
                                dead--;
                            }
                        }
                    }
                    if (dead == 0) {
                        clean++;
                    }
                }
                return live == 0 ? 1.0 : (double) clean / live;
            };
            for (SimNode x : slow) {
                h.sim.slow(x.name(), SlowProfile.defaults());
            }
            progress.accept(String.format(Locale.ROOT, "%d slow nodes from t=%.1f s for %s", slow.size(),
                    h.sim.now() / 1e9, s(d)));
            h.runFor(d);
            long bursts = 0;
            for (SimNode x : slow) {
                bursts += x.burstsStarted();
                if (x.isRunning()) {
                    h.sim.unslow(x.name());
                }
            }
            long recoverAt = h.sim.now();
            h.phase = "recovery";
            h.fraction = h.sim::convergedFraction;
            boolean ok = h.runUntil(h.sim::converged, RECOVERY_MAX_S);
            h.report.put("converged", ok);
            h.report.put("convergence_s", ok ? (h.sim.now() - recoverAt) / 1e9 : null);
            h.report.put("slow_nodes", slow.size());
            h.report.put("bursts", bursts);
            h.report.put("fp_about_slow", fp[0]);
            h.report.put("fp_about_healthy", fp[1]);
            h.report.put("fp_by_slow_observers", fp[2]);
            h.report.put("fp_by_healthy_observers", fp[3]);
            return h.finish();
        }
    }
}
