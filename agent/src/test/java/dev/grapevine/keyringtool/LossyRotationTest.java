package dev.grapevine.keyringtool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.grapevine.crypto.KeyringFile;
import dev.grapevine.crypto.KeyringFileException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keys rotate} on a 20-member cluster of Grapevine agents (separate JVMs, {@code grapevine
 * agent --keyring-file}) with 10% packet loss: the agents and the tool run inside a network
 * namespace whose nftables input hook drops each UDP datagram and each TCP segment with
 * probability 1/10, independently ({@link LossyNetns}), from before the cluster forms until it is
 * torn down. UDP carries failure detection, gossip and Serf's key queries and answers; TCP
 * (memberlist's push/pull, joins and fallback pings) is lossy too, as on a real lossy link (it
 * retransmits, late).
 *
 * <p>While the tool runs, a monitor reads the 20 agents' keyring files (each agent rewrites its
 * file before it answers a key query) every few milliseconds and records any moment when a member
 * lacks a key that another member encrypts with (its primary): that member would be cut off.
 * Every agent's event log (stdout) is kept, and {@code member-failed} lines are looked for from the
 * moment every agent has seen all twenty join until the end.
 *
 * <p>Needs root, {@code ip} and {@code nft} (apt-get install nftables); skipped with the reason
 * otherwise. The cluster is shared by the tests, which run in order. Runs in about 70 s (the 20
 * JVMs take about 25 s to start and converge on two cores).
 *
 * <p>It lives in the agent module's tests (in keyring-tool's package, for the tool's key helpers)
 * because it needs both the agent and the tool on its classpath, and the agent depends on the tool.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LossyRotationTest {
    private static final int MEMBERS = 20;
    private static final int LOSS_PERCENT = 10;
    private static final Set<String> LOSSY = Set.of("udp", "tcp");
    private static final Duration START_WAIT = Duration.ofSeconds(90);
    private static final Duration WAIT = Duration.ofSeconds(45);
    private static final Duration TOOL_WAIT = Duration.ofSeconds(180);

    /** Keyring files and the children's logs (static: injected before {@code @BeforeAll}). */
    @TempDir
    static Path dir;

    private LossyNetns ns;
    private NetnsProcesses procs;
    private final List<NetnsProcesses.Agent> agents = new ArrayList<>();
    private int toolRuns;
    /** Per agent, how many events it had logged when the cluster had formed; later ones are checked. */
    private final Map<String, Integer> baseline = new java.util.HashMap<>();

    /** Why the namespace cannot be made here (then every test is skipped with it), or empty. */
    private Optional<String> unavailable = Optional.empty();

    @BeforeAll
    void startCluster() throws Exception {
        unavailable = LossyNetns.unavailable();
        if (unavailable.isPresent()) {
            System.err.println("LossyRotationTest skipped: " + unavailable.get());
            return; // each test reports the skip with the reason (a skip here would not show in reports)
        }
        // Three extra addresses, one for each of the tool's runs.
        ns = LossyNetns.create(MEMBERS + 3, LOSS_PERCENT, LOSSY);
        procs = new NetnsProcesses(ns, dir);
        byte[] first = Keys.generate(32);
        for (int i = 1; i <= MEMBERS; i++) {
            Path file = dir.resolve("n" + i + ".keyring.json");
            KeyringFile.of(file).write(List.of(first));
            agents.add(startAgent(i));
            if (i == 1) {
                await("n1 to start", START_WAIT, () -> procs.log("n1", "err").contains("running on"));
            }
        }
        // Each agent tries its join 3 times (--join-attempts) and exits 1 when no seed answered in
        // any: with 19 JVMs starting at once on a small machine and 10% of TCP segments lost, all
        // three can run out of time. Such an agent is started again, as a supervisor would
        // (bounded, and reported).
        int[] restarts = {0};
        await("every agent to see all " + MEMBERS + " members", START_WAIT, () -> {
            for (int i = 0; i < agents.size(); i++) {
                NetnsProcesses.Agent a = agents.get(i);
                if (!a.process().isAlive()) {
                    if (i > 0 && restarts[0] < 5 && a.process().exitValue() == 1
                            && procs.log(a.name(), "err").contains("could not join")) {
                        restarts[0]++;
                        System.out.println("LossyRotationTest: " + a.name() + " could not join in time; starting it again");
                        agents.set(i, startAgent(i + 1));
                        return false;
                    }
                    fail(a.name() + " exited with " + a.process().exitValue() + ":\n" + procs.log(a.name(), "err"));
                }
                Set<String> joined = procs.events(a).stream().filter(e -> e.kind().equals("member-join"))
                        .map(NetnsProcesses.Event::member).collect(Collectors.toSet());
                if (!joined.containsAll(names())) {
                    return false;
                }
            }
            return true;
        });
        for (NetnsProcesses.Agent a : agents) {
            baseline.put(a.name(), procs.events(a).size());
        }
        System.out.println("LossyRotationTest: " + MEMBERS + " agents converged under " + LOSS_PERCENT + "% loss ("
                + restarts[0] + " restarted after a failed join; " + failedEvents(Set.of()).size()
                + " member-failed lines while forming)");
    }

    /** Starts agent n{@code i} on 198.18.0.i with its keyring file, joining n1 (except n1). */
    private NetnsProcesses.Agent startAgent(int i) {
        try {
            return procs.startAgent("n" + i, ns.address(i), dir.resolve("n" + i + ".keyring.json"),
                    i == 1 ? null : ns.address(1) + ":7946");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeEach
    void needNamespace() {
        assumeTrue(unavailable.isEmpty(), () -> "needs a lossy network namespace: " + unavailable.orElse(""));
    }

    @AfterAll
    void stopCluster() throws IOException {
        if (procs != null) {
            procs.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    private Set<String> names() {
        return agents.stream().map(NetnsProcesses.Agent::name).collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * The must-show of issue 6: under 10% packet loss the rotation ends with every member on the new key
     * (the old key gone from every keyring file) and no member ever reported failed; or it stops
     * with a report naming the member(s) that kept it from completing. Either way, no member ever
     * lacked a key another member was encrypting with.
     */
    @Test
    @Order(1)
    void rotateUnderTenPercentPacketLossMovesEveryMemberAndNobodyFails() throws Exception {
        byte[] oldKey = uniformKey();
        String oldB64 = Keys.encode(oldKey);
        String newB64 = Keys.encode(Keys.generate(32));
        Path ops = dir.resolve("ops-1.json");
        KeyringFile.of(ops).write(List.of(oldKey));
        LossyNetns.Counters before = ns.counters();

        ToolRun run = rotate(ops, newB64, null, List.of("--relay-factor", "2"));

        assertTrue(run.monitor.violations.isEmpty(), "a member lacked a key another member encrypted with:\n"
                + String.join("\n", run.monitor.violations) + "\n" + run);
        assertNoKeyIn(run, oldB64, newB64);
        if (run.code == ExitCodes.OK) {
            assertTrue(run.out.contains("Rotation complete"), run.toString());
            for (NetnsProcesses.Agent a : agents) {
                assertEquals(List.of(newB64), keys(a.keyringFile()), a.name() + "'s keyring file");
            }
            assertEquals(List.of(newB64), keys(ops), "the operator's keyring file");
            awaitToolLeft(run.name);
            List<String> failed = failedEvents(Set.of());
            assertTrue(failed.isEmpty(), "members reported failed:\n" + String.join("\n", failed));
        } else {
            // The issue allows a stop with a report naming the member(s); the cluster must be safe.
            assertEquals(ExitCodes.FAILED, run.code, run.toString());
            assertTrue(run.out.contains("Rotation stopped at step"), run.toString());
            assertFalse(namedInReport(run.out).isEmpty(), "the stop report names no member:\n" + run);
        }
        LossyNetns.Counters after = ns.counters();
        long seen = after.seen() - before.seen();
        long dropped = after.dropped() - before.dropped();
        System.out.printf("LossyRotationTest: rotation exit %d in %d ms (%d rounds of re-asking); %s packets "
                + "during it: %d, dropped %d (%.1f%%); monitor samples %d%n", run.code, run.millis,
                run.err.split("Re-asking", -1).length - 1, new TreeSet<>(LOSSY), seen, dropped, 100.0 * dropped / Math.max(1, seen),
                run.monitor.samples.get());
        // Thousands of packets: 5..15% is more than 10 standard deviations around 10%.
        assertTrue(seen > 1000 && dropped > 0.05 * seen && dropped < 0.15 * seen,
                "the loss rule was in effect: " + seen + " seen, " + dropped + " dropped");
        assertTrue(run.monitor.samples.get() > 10, "the monitor read the files during the rotation");
    }

    /**
     * A Grapevine agent paused (SIGSTOP) as step 2 (use) starts, under the same loss, and resumed
     * only after the tool gave up: the tool stops naming it, and at no moment did any member lack a
     * key another member encrypts with; in particular the old key, which the paused member may
     * still use, was removed nowhere. Resumed, the member is alive again everywhere, and running the
     * same command again completes the rotation.
     */
    @Test
    @Order(2)
    void anAgentPausedDuringUseStopsTheRotationNamingItAndARerunCompletes() throws Exception {
        byte[] oldKey = uniformKey();
        String oldB64 = Keys.encode(oldKey);
        String newB64 = Keys.encode(Keys.generate(32));
        Path ops = dir.resolve("ops-2.json");
        KeyringFile.of(ops).write(List.of(oldKey));
        NetnsProcesses.Agent victim = agents.get(6);
        List<String> failedBefore = failedEvents(Set.of(victim.name()));

        ToolRun run;
        try {
            run = rotate(ops, newB64, new Pause("Step 2/3", victim),
                    List.of("--relay-factor", "2", "--attempts", "3", "--timeout", "1s", "--step-timeout", "30s"));
        } finally {
            procs.signal(victim, "CONT");
        }
        System.out.printf("LossyRotationTest: with %s paused at step 2, exit %d in %d ms; report:%n%s",
                victim.name(), run.code, run.millis, run.out);
        assertEquals(ExitCodes.FAILED, run.code, run.toString());
        assertTrue(run.out.contains("Rotation stopped at step 2/3") || run.out.contains("Rotation stopped at step 3/3"),
                run.toString());
        assertTrue(namedInReport(run.out).contains(victim.name()), "the report names " + victim.name() + ":\n" + run);
        assertTrue(run.monitor.violations.isEmpty(), "a member lacked a key another member encrypted with:\n"
                + String.join("\n", run.monitor.violations) + "\n" + run);
        assertNoKeyIn(run, oldB64, newB64);
        List<String> victimKeys = keys(victim.keyringFile());
        assertTrue(victimKeys.contains(oldB64) || victimKeys.get(0).equals(newB64), victimKeys.toString());
        if (run.out.contains("stopped at step 2/3")) {
            for (NetnsProcesses.Agent a : agents) {
                assertTrue(keys(a.keyringFile()).containsAll(List.of(oldB64, newB64)),
                        a.name() + " holds both keys while the rotation is stopped at step 2");
            }
        }
        List<String> failedNow = failedEvents(Set.of(victim.name()));
        assertEquals(failedBefore, failedNow, "only the paused member may be reported failed");

        // Back: every agent sees it alive again (a join after its failure, if it was held failed).
        await(victim.name() + " alive again everywhere", WAIT, () -> agents.stream().allMatch(a -> {
            String last = null;
            for (NetnsProcesses.Event e : procs.events(a)) {
                if (e.member().equals(victim.name())) {
                    last = e.kind();
                }
            }
            return "member-join".equals(last) || "member-update".equals(last);
        }));
        awaitToolLeft(run.name);

        ToolRun rerun = rotate(ops, newB64, null, List.of("--relay-factor", "2"));
        System.out.printf("LossyRotationTest: rerun exit %d in %d ms%n", rerun.code, rerun.millis);
        assertEquals(ExitCodes.OK, rerun.code, rerun.toString());
        assertTrue(rerun.monitor.violations.isEmpty(), String.join("\n", rerun.monitor.violations));
        for (NetnsProcesses.Agent a : agents) {
            assertEquals(List.of(newB64), keys(a.keyringFile()), a.name() + "'s keyring file");
        }
        assertEquals(List.of(newB64), keys(ops), "the operator's keyring file");
        awaitToolLeft(rerun.name);
    }

    // ---------------------------------------------------------------------------------------------

    /** The key every agent's file holds alone (the cluster is not mid-rotation). */
    private byte[] uniformKey() throws KeyringFileException {
        List<byte[]> first = KeyringFile.of(agents.get(0).keyringFile()).read();
        for (NetnsProcesses.Agent a : agents) {
            List<byte[]> k = KeyringFile.of(a.keyringFile()).read();
            assumeTrue(k.size() == 1 && java.util.Arrays.equals(k.get(0), first.get(0)),
                    "the cluster is not on one key (an earlier test left it mid-rotation)");
        }
        return first.get(0);
    }

    /** Pauses {@code agent} when the tool's stderr first shows {@code marker}. */
    private record Pause(String marker, NetnsProcesses.Agent agent) {
    }

    /** One finished keyring-tool run. */
    private record ToolRun(String name, int code, String out, String err, long millis, Monitor monitor) {
        @Override
        public String toString() {
            return "keyring-tool " + name + ": exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Runs {@code keys rotate} inside the namespace through n1, the new key on stdin, while the monitor watches. */
    private ToolRun rotate(Path ops, String newB64, Pause pause, List<String> extra) throws Exception {
        int k = ++toolRuns;
        String name = "tool-" + k;
        List<String> args = new ArrayList<>(List.of("keys", "rotate", "--cluster", ns.address(1) + ":7946",
                "--bind", ns.address(MEMBERS + k) + ":7946", "--name", name, "--keyring-file", ops.toString(),
                "--new-key", "-"));
        args.addAll(extra);
        Monitor monitor = new Monitor();
        Thread watcher = new Thread(monitor, "keyring-monitor");
        watcher.setDaemon(true);
        watcher.start();
        long start = System.nanoTime();
        Process p = procs.startTool(name, newB64 + "\n", args);
        try {
            boolean paused = false;
            long deadline = System.nanoTime() + TOOL_WAIT.toNanos();
            while (p.isAlive() && System.nanoTime() - deadline < 0) {
                if (pause != null && !paused && procs.log(name, "err").contains(pause.marker())) {
                    procs.signal(pause.agent(), "STOP");
                    paused = true;
                }
                p.waitFor(paused || pause == null ? 200 : 5, TimeUnit.MILLISECONDS);
            }
            if (p.isAlive()) {
                fail("keyring-tool did not finish within " + TOOL_WAIT + "\n" + procs.log(name, "err"));
            }
            if (pause != null) {
                assertTrue(paused, "the tool never printed " + pause.marker() + ":\n" + procs.log(name, "err"));
            }
        } finally {
            monitor.stop.set(true);
            watcher.join(5_000);
            p.destroyForcibly();
        }
        return new ToolRun(name, p.exitValue(), procs.log(name, "out"), procs.log(name, "err"),
                (System.nanoTime() - start) / 1_000_000, monitor);
    }

    /**
     * Reads every agent's keyring file over and over and records each moment when some member's
     * primary key is missing from another member's keyring (that member could not read it).
     * Files are replaced atomically and written before the agent answers, so one pass over the 20
     * files never shows a state that mixes a later change with an earlier one it depended on.
     */
    private final class Monitor implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong samples = new AtomicLong();
        final List<String> violations = new CopyOnWriteArrayList<>();

        @Override
        public void run() {
            while (!stop.get() && violations.size() < 10) {
                Map<String, List<String>> view = new LinkedHashMap<>();
                try {
                    for (NetnsProcesses.Agent a : agents) {
                        view.put(a.name(), keys(a.keyringFile()));
                    }
                } catch (IOException e) {
                    violations.add("unreadable keyring file: " + e.getMessage());
                    return;
                }
                samples.incrementAndGet();
                for (Map.Entry<String, List<String>> sender : view.entrySet()) {
                    if (sender.getValue().isEmpty()) {
                        violations.add(sender.getKey() + " holds no key");
                        continue;
                    }
                    String primary = sender.getValue().get(0);
                    for (Map.Entry<String, List<String>> receiver : view.entrySet()) {
                        if (!receiver.getValue().contains(primary)) {
                            // The whole view (key ids only) with the first violation; later ones short.
                            violations.add(receiver.getKey() + " lacks the primary key " + Keys.id(primary) + " of "
                                    + sender.getKey() + (violations.isEmpty() ? " (keyring files: " + ids(view) + ")" : ""));
                        }
                    }
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private static String ids(Map<String, List<String>> view) {
        return view.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().stream().map(Keys::id).toList())
                .collect(Collectors.joining(" "));
    }

    /** The keys of a keyring file, base64, primary first. */
    private static List<String> keys(Path file) throws KeyringFileException {
        return KeyringFile.of(file).read().stream().map(Keys::encode).toList();
    }

    /** The member names on the stop report's member lines ("  NAME: why" or "  NAME (failed): why"). */
    private Set<String> namedInReport(String out) {
        Set<String> named = new HashSet<>();
        for (String line : out.split("\n")) {
            for (String n : names()) {
                if (line.startsWith("  " + n + ":") || line.startsWith("  " + n + " (failed):")) {
                    named.add(n);
                }
            }
        }
        return named;
    }

    /**
     * Every member-failed line of every agent since the cluster formed (all of them before),
     * except about the members in {@code except}.
     */
    private List<String> failedEvents(Set<String> except) {
        List<String> lines = new ArrayList<>();
        for (NetnsProcesses.Agent a : agents) {
            List<NetnsProcesses.Event> events = procs.events(a);
            for (NetnsProcesses.Event e : events.subList(Math.min(events.size(), baseline.getOrDefault(a.name(), 0)),
                    events.size())) {
                if (e.kind().equals("member-failed") && !except.contains(e.member())) {
                    lines.add(a.name() + ": " + e.line());
                }
            }
        }
        return lines;
    }

    /** Secrets stay out of the tool's output and every agent's logs. */
    private void assertNoKeyIn(ToolRun run, String... keys) {
        for (String k : keys) {
            assertFalse(run.out.contains(k) || run.err.contains(k), "key material in the tool's output");
            for (NetnsProcesses.Agent a : agents) {
                assertFalse(procs.log(a.name(), "out").contains(k) || procs.log(a.name(), "err").contains(k),
                        "key material in " + a.name() + "'s logs");
            }
        }
    }

    private void awaitToolLeft(String tool) throws InterruptedException {
        await("every agent to log " + tool + " leaving", WAIT, () -> agents.stream().allMatch(a ->
                procs.events(a).stream().anyMatch(e -> e.member().equals(tool) && e.kind().equals("member-leave"))));
        assertFalse(failedEvents(Set.of()).stream().anyMatch(l -> l.contains(" " + tool + " ")),
                tool + " was reported failed, not left");
    }

    private static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + limit + " waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
