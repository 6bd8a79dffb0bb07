package dev.grapevine.agent;

import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.transport.GrapevineNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code grapevine demo}: a small cluster on 127.0.0.1 in one process, with a readable timeline:
 * everyone joins and converges, a user event spreads, one node crashes and is detected, one node
 * leaves gracefully and is recorded as left (never failed). Exits 0 when every step happened as
 * expected within its time bound, 1 otherwise.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a small cluster on 127.0.0.1 and print a timeline; exit 0 when all went as expected.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--nodes", defaultValue = "5", description = "Cluster size, 3..50 (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--preset", defaultValue = "lan",
            description = "Protocol timings: lan, wan or local (default: ${DEFAULT-VALUE}).")
    String preset;

    private final PrintStream out = System.out;
    private long t0;

    @Override
    public Integer call() throws Exception {
        if (nodes < 3 || nodes > 50) {
            throw new IllegalArgumentException("--nodes must be 3..50, got " + nodes);
        }
        MembershipConfig config = AgentCommand.preset(preset);
        Duration detectBound = detectionBound(config, nodes);
        List<GrapevineNode> cluster = new ArrayList<>();
        // Per observer: who it saw fail, who it saw leave, which events it received.
        Map<String, Set<String>> failed = new ConcurrentHashMap<>();
        Map<String, Set<String>> left = new ConcurrentHashMap<>();
        Map<String, Set<String>> events = new ConcurrentHashMap<>();
        Map<String, Long> firstFailure = new ConcurrentHashMap<>();
        t0 = System.nanoTime();
        boolean ok = true;
        try {
            say("starting %d nodes on 127.0.0.1 (%s preset, Serf mode)", nodes, preset);
            for (int i = 0; i < nodes; i++) {
                String name = "node-" + i;
                failed.put(name, ConcurrentHashMap.newKeySet());
                left.put(name, ConcurrentHashMap.newKeySet());
                events.put(name, ConcurrentHashMap.newKeySet());
                GrapevineNode n = GrapevineNode.builder().name(name).bind("127.0.0.1:0").config(config)
                        .serf(SerfConfig.defaults()).tags(Map.of("role", i == 0 ? "seed" : "worker"))
                        .serfListener(e -> {
                            if (e instanceof SerfEvent.MemberFailed f) {
                                failed.get(name).add(f.member().name());
                                firstFailure.putIfAbsent(f.member().name(), System.nanoTime());
                            } else if (e instanceof SerfEvent.MemberLeave l) {
                                left.get(name).add(l.member().name());
                            } else if (e instanceof SerfEvent.User u) {
                                events.get(name).add(u.name());
                            }
                        })
                        .start();
                cluster.add(n);
            }
            GrapevineNode seed = cluster.get(0);
            say("%d nodes up; node-0 is the seed at %s", nodes, seed.advertiseAddress());

            long joinStart = System.nanoTime();
            for (GrapevineNode n : cluster.subList(1, nodes)) {
                n.join(seed.advertiseAddress().toString());
            }
            say("%d nodes joined through node-0", nodes - 1);
            boolean converged = await(Duration.ofSeconds(30), () -> cluster.stream().allMatch(n -> alive(n) == nodes));
            ok &= check(converged, "converged: every node sees %d alive (%.2f s after the first join)",
                    "did NOT converge within 30 s", nodes, secondsSince(joinStart));

            GrapevineNode sender = cluster.get(1);
            long eventStart = System.nanoTime();
            sender.userEvent("hello", "from node-1".getBytes(StandardCharsets.UTF_8), false);
            say("node-1 sends the user event \"hello\"");
            boolean spread = await(Duration.ofSeconds(10),
                    () -> cluster.stream().allMatch(n -> events.get(n.name()).contains("hello")));
            ok &= check(spread, "every node got \"hello\" (%.2f s)", "the event did NOT reach every node in 10 s",
                    secondsSince(eventStart));

            GrapevineNode victim = cluster.get(nodes - 1);
            List<GrapevineNode> survivors = new ArrayList<>(cluster.subList(0, nodes - 1));
            long crashAt = System.nanoTime();
            victim.close();
            say("%s crashes (closed abruptly, no leave)", victim.name());
            boolean detected = await(detectBound,
                    () -> survivors.stream().allMatch(n -> failed.get(n.name()).contains(victim.name())));
            Long first = firstFailure.get(victim.name());
            if (first != null) {
                say("first detection after %.2f s", (first - crashAt) / 1e9);
            }
            ok &= check(detected, "every node holds %s failed (%.2f s after the crash)",
                    "the crash was NOT detected by every node within " + detectBound.toSeconds() + " s",
                    victim.name(), secondsSince(crashAt));

            GrapevineNode leaver = survivors.remove(survivors.size() - 1);
            long leaveAt = System.nanoTime();
            say("%s leaves gracefully", leaver.name());
            boolean propagated = leaver.leave(Duration.ofSeconds(15));
            boolean seenLeft = await(Duration.ofSeconds(30),
                    () -> survivors.stream().allMatch(n -> left.get(n.name()).contains(leaver.name())));
            long failedObservers = survivors.stream().filter(n -> failed.get(n.name()).contains(leaver.name())).count();
            ok &= check(seenLeft && failedObservers == 0,
                    "every node records %s left (%.2f s), none as failed" + (propagated ? "" : " (leave timed out)"),
                    failedObservers + " node(s) recorded the leave as a failure, or not every node saw it in 30 s",
                    leaver.name(), secondsSince(leaveAt));
            leaver.close();

            say(ok ? "OK: joins, convergence, user event, crash detection and graceful leave happened as expected"
                    : "FAILED: see above");
            return ok ? 0 : 1;
        } finally {
            for (GrapevineNode n : cluster) {
                n.close();
            }
        }
    }

    /** Upper bound on crash detection: probe period, the largest suspicion timeout, and slack. */
    static Duration detectionBound(MembershipConfig c, int n) {
        double scale = Math.max(1.0, Math.log10(Math.max(1.0, n)));
        long min = (long) (c.suspicionMult() * scale * c.probeInterval().toMillis());
        long max = c.suspicionMaxTimeoutMult() * min;
        return Duration.ofMillis(max + 10 * c.probeInterval().toMillis() + 10_000);
    }

    private static long alive(GrapevineNode n) {
        return n.serfMembers().stream().filter(m -> m.status() == SerfMemberStatus.ALIVE).count();
    }

    private boolean check(boolean ok, String good, String bad, Object... args) {
        say(ok ? good : "PROBLEM: " + bad, args);
        return ok;
    }

    private void say(String fmt, Object... args) {
        out.printf(Locale.ROOT, "[%7.2f s] %s%n", secondsSince(t0), String.format(Locale.ROOT, fmt, args));
    }

    private static double secondsSince(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** Polls every 20 ms until the condition holds or the time is up. */
    private static boolean await(Duration max, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }
}
