package dev.grapevine.agent;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.KeyringFile;
import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.crypto.pki.Pem;
import dev.grapevine.keyringtool.KeyringTool;
import dev.grapevine.keyringtool.NodeSecurity;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.transport.GrapevineNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code grapevine demo}: a small cluster on 127.0.0.1 in one process, with a readable timeline:
 * everyone joins and converges, a user event spreads, the gossip key is rotated live with
 * keyring-tool, one node crashes and is detected, one node leaves gracefully and is recorded as
 * left (never failed). By default the cluster runs as a secure one would: encrypted gossip (a
 * keyring file per node), mutual TLS required on streams and Ed25519 signing, with a throwaway CA,
 * certificates and keyring files in a temporary directory that is deleted at the end;
 * {@code --plain} runs it without any of that (and without the rotation). Exits 0 when every step
 * happened as expected within its time bound, 1 otherwise.
 *
 * <p><b>Threading.</b> {@link #call} runs on the calling thread and blocks for the whole demo
 * (seconds); the nodes' listeners record events on their own threads.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a small cluster on 127.0.0.1 and print a timeline; exit 0 when all went as expected. "
                + "Encrypted, TLS and signed by default, with a live key rotation done by keyring-tool.")
final class DemoCommand implements Callable<Integer> {
    /** The tool's member name, as its certificate says (keyring-tool tls cert create --node keyring-tool). */
    static final String TOOL_NAME = "keyring-tool";
    private static final Duration CERT_VALIDITY = Duration.ofHours(1);

    @Option(names = "--nodes", defaultValue = "5", description = "Cluster size, 3..50 (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--preset", defaultValue = "lan",
            description = "Protocol timings: lan, wan or local (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = {"--plain", "--insecure"},
            description = "No encryption, TLS or signing (and so no key rotation): plain memberlist/Serf gossip.")
    boolean plain;

    @Spec
    CommandSpec spec;

    private PrintWriter out;
    private long t0;

    /** The secure cluster's files and keys; null with --plain. */
    private Secrets secrets;

    @Override
    public Integer call() throws Exception {
        if (nodes < 3 || nodes > 50) {
            throw new IllegalArgumentException("--nodes must be 3..50, got " + nodes);
        }
        out = spec != null ? spec.commandLine().getOut() : new PrintWriter(System.out, true);
        MembershipConfig config = AgentCommand.preset(preset);
        Duration detectBound = detectionBound(config, nodes);
        List<GrapevineNode> cluster = new ArrayList<>();
        List<Keyring> rings = new ArrayList<>();
        // Per observer: who it saw fail, who it saw leave, which events it received.
        Map<String, Set<String>> failed = new ConcurrentHashMap<>();
        Map<String, Set<String>> left = new ConcurrentHashMap<>();
        Map<String, Set<String>> events = new ConcurrentHashMap<>();
        Map<String, Long> firstFailure = new ConcurrentHashMap<>();
        t0 = System.nanoTime();
        boolean ok = true;
        Thread cleanup = null;
        try {
            say("starting %d nodes on 127.0.0.1 (%s preset, Serf mode)", nodes, preset);
            if (!plain) {
                secrets = Secrets.create(nodes);
                Path dir = secrets.dir;
                cleanup = new Thread(() -> deleteTree(dir), "grapevine-demo-cleanup");
                Runtime.getRuntime().addShutdownHook(cleanup); // Ctrl-C: still remove the keys
                say("security: gossip encrypted (AES-256-GCM, a keyring file per node), mutual TLS 1.3 required on "
                        + "streams, Ed25519 signing; a throwaway CA, certificates and keyring files in %s", dir);
            } else {
                say("security: off (--plain): plaintext gossip and streams, no signing");
            }
            for (int i = 0; i < nodes; i++) {
                String name = "node-" + i;
                failed.put(name, ConcurrentHashMap.newKeySet());
                left.put(name, ConcurrentHashMap.newKeySet());
                events.put(name, ConcurrentHashMap.newKeySet());
                GrapevineNode.Builder b = GrapevineNode.builder().name(name).bind("127.0.0.1:0").config(config)
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
                        });
                if (secrets != null) {
                    Keyring ring = Keyring.load(KeyringFile.of(secrets.keyringFile(name)));
                    rings.add(ring);
                    b.keyring(ring);
                    secrets.security(name).apply(b);
                }
                cluster.add(b.start());
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

            if (secrets != null) {
                ok &= rotate(seed, cluster, rings);
            }

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

            say(ok ? "OK: joins, convergence, user event, " + (secrets != null ? "key rotation, " : "")
                    + "crash detection and graceful leave happened as expected" : "FAILED: see above");
            return ok ? 0 : 1;
        } finally {
            for (GrapevineNode n : cluster) {
                n.close();
            }
            if (secrets != null) {
                secrets.wipe();
                deleteTree(secrets.dir);
                say("removed %s (CA, certificates, keyring files)", secrets.dir);
            }
            if (cleanup != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // shutting down: the hook runs (and finds nothing left to delete)
                }
            }
            out.flush();
        }
    }

    /**
     * Rotates the cluster's gossip key with keyring-tool's own command, in-process ({@code keys
     * rotate}, which joins as a short-lived member over TLS, signed, and leaves), its output woven
     * into the timeline; then checks every node's keyring and keyring file.
     */
    private boolean rotate(GrapevineNode seed, List<GrapevineNode> cluster, List<Keyring> rings) {
        byte[] newKey = secrets.newKey;
        String[] args = {"keys", "rotate", "--cluster", seed.advertiseAddress().toString(),
            "--keyring-file", secrets.operatorKeyring().toString(), "--new-key", "-",
            "--tls-ca", secrets.caPem().toString(), "--tls-cert", secrets.cert(TOOL_NAME).toString(),
            "--tls-key", secrets.key(TOOL_NAME).toString(), "--signing", "on"};
        say("rotating the gossip key with keyring-tool (in-process): keyring-tool %s", String.join(" ", args)
                .replace(secrets.dir + "/", ""));
        long start = System.nanoTime();
        int exit;
        byte[] stdin = (Base64.getEncoder().encodeToString(newKey) + "\n").getBytes(StandardCharsets.US_ASCII);
        try (PrintStream toolOut = new PrintStream(new TimelineLines("  keyring-tool| "), true, StandardCharsets.UTF_8);
             PrintStream toolErr = new PrintStream(new TimelineLines("  keyring-tool| "), true, StandardCharsets.UTF_8)) {
            exit = KeyringTool.execute(args, new ByteArrayInputStream(stdin), toolOut, toolErr);
        } finally {
            Arrays.fill(stdin, (byte) 0);
        }
        if (exit != 0) {
            say("PROBLEM: keyring-tool keys rotate exited with %d", exit);
            return false;
        }
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            String name = cluster.get(i).name();
            if (!onlyKey(rings.get(i).keys(), newKey)) {
                wrong.add(name + " (keyring)");
            }
            try {
                if (!onlyKey(KeyringFile.of(secrets.keyringFile(name)).read(), newKey)) {
                    wrong.add(name + " (keyring file)");
                }
            } catch (IOException e) {
                wrong.add(name + " (keyring file: " + e.getMessage() + ")");
            }
        }
        return check(wrong.isEmpty(), "key rotated (%.2f s): every node's keyring and keyring file hold only the new "
                + "key, which now encrypts all gossip", "after the rotation these do not hold only the new key: "
                + String.join(", ", wrong), secondsSince(start));
    }

    /** Whether {@code keys} is exactly {@code key}; wipes {@code keys}. */
    private static boolean onlyKey(List<byte[]> keys, byte[] key) {
        try {
            return keys.size() == 1 && Arrays.equals(keys.get(0), key);
        } finally {
            keys.forEach(k -> Arrays.fill(k, (byte) 0));
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

    private synchronized void say(String fmt, Object... args) {
        out.printf(Locale.ROOT, "[%7.2f s] %s%n", secondsSince(t0), String.format(Locale.ROOT, fmt, args));
        out.flush();
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

    /** Deletes a directory tree, best effort (files first). */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: reported below if the directory stays
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }

    /**
     * The tool's routine progress, left out of the timeline: each query and its answer count. Its
     * steps, file updates, re-asks, members that did not answer, notes and errors are shown.
     */
    private static final Pattern ROUTINE_TOOL_LINE = Pattern.compile("^(==> Listing keys|==> \\d+/\\d+ answered"
            + "|    \\d+/\\d+ answered|==> Asking \\d+ members? not done|==> (Installing|Making|Removing) )");

    /** An output stream that turns each line written to it into a timeline line (routine ones left out). */
    private final class TimelineLines extends OutputStream {
        private final String prefix;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        TimelineLines(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public void write(int b) {
            if (b == '\n') {
                String s = line.toString(StandardCharsets.UTF_8);
                line.reset();
                if (!ROUTINE_TOOL_LINE.matcher(s).find()) {
                    say("%s", prefix + s);
                }
            } else if (b != '\r') {
                line.write(b);
            }
        }

        @Override
        public void close() {
            if (line.size() > 0) {
                write('\n');
            }
        }
    }

    /**
     * The secure demo's material, in a fresh owner-only temporary directory: the CA certificate
     * (its key stays in memory), an Ed25519 certificate and key per node and for the tool (as
     * {@code keyring-tool tls cert create --node NAME} makes them), a keyring file per node and
     * the operator's, all holding the first key; and the key the rotation moves to.
     */
    private static final class Secrets {
        final Path dir;
        final byte[] newKey;

        private Secrets(Path dir, byte[] newKey) {
            this.dir = dir;
            this.newKey = newKey;
        }

        static Secrets create(int nodes) throws IOException {
            Path dir = Files.createTempDirectory("grapevine-demo-"); // 0700 on POSIX
            SecureRandom random = new SecureRandom();
            byte[] first = new byte[32];
            byte[] next = new byte[32];
            random.nextBytes(first);
            random.nextBytes(next);
            Secrets s = new Secrets(dir, next);
            try {
                ClusterCa ca = ClusterCa.create("grapevine demo CA", KeyAlgorithm.ED25519, CERT_VALIDITY);
                Pem.writeCertificates(s.caPem(), List.of(ca.certificate()));
                List<String> names = new ArrayList<>();
                for (int i = 0; i < nodes; i++) {
                    names.add("node-" + i);
                }
                names.add(TOOL_NAME);
                for (String name : names) {
                    ca.issue(name, KeyAlgorithm.ED25519, CERT_VALIDITY).write(s.cert(name), s.key(name));
                    Path ring = name.equals(TOOL_NAME) ? s.operatorKeyring() : s.keyringFile(name);
                    KeyringFile.of(ring).write(List.of(first));
                }
                return s;
            } catch (IOException | RuntimeException e) {
                s.wipe();
                deleteTree(dir);
                throw e;
            } finally {
                Arrays.fill(first, (byte) 0);
            }
        }

        Path caPem() {
            return dir.resolve("ca.pem");
        }

        Path cert(String name) {
            return dir.resolve(name + ".pem");
        }

        Path key(String name) {
            return dir.resolve(name + "-key.pem");
        }

        Path keyringFile(String name) {
            return dir.resolve(name + "-keyring.json");
        }

        /** The operator's keyring file, which keyring-tool rewrites as the rotation goes. */
        Path operatorKeyring() {
            return dir.resolve("operator-keyring.json");
        }

        /** A node's TLS and signing settings, through the same checks as the agent's flags. */
        NodeSecurity security(String name) {
            return NodeSecurity.load(name, new NodeSecurity.Flags("required", caPem(), cert(name), key(name), "on",
                    null, null));
        }

        void wipe() {
            Arrays.fill(newKey, (byte) 0);
        }
    }
}
