package dev.grapevine.keyringtool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Linux network namespace ({@code gv-loss-<pid>}) whose loopback carries addresses
 * 198.18.0.1..n (RFC 2544 benchmarking space) and drops a share of the packets it receives at
 * random: one nftables rule on the input hook, {@code numgen random mod 100 < percent drop}, for
 * the chosen protocols. Traffic between two addresses in the namespace goes through the input hook
 * once per packet, so each datagram is lost with the given probability, independently.
 *
 * <p>Needs root (or CAP_NET_ADMIN + CAP_SYS_ADMIN), {@code ip} (iproute2) and {@code nft}
 * (nftables); {@link #unavailable} says why it cannot be used here. Processes are put in it with
 * {@link #exec}: {@code ip netns exec NAME cmd...}, which execs the command (the child's pid is
 * the command's). Every external command runs with a bounded wait.
 *
 * <p><b>Threading.</b> Not thread-safe except {@link #counters}, which may be called from any
 * thread; every method blocks on a short external command.
 */
final class LossyNetns implements AutoCloseable {
    private static final Duration CMD_TIMEOUT = Duration.ofSeconds(20);
    private static final String TABLE = "gvloss";
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+) bytes \\d+");

    private final String name;
    private final int hosts;
    private final Thread hook;
    private boolean closed;

    private LossyNetns(String name, int hosts) {
        this.name = name;
        this.hosts = hosts;
        // Deletes the namespace if the test JVM exits without closing it.
        this.hook = new Thread(() -> {
            try {
                run(List.of("ip", "netns", "del", name));
            } catch (IOException e) {
                // Nothing more to do at exit.
            }
        }, "lossy-netns-cleanup");
    }

    /** Why a lossy namespace cannot be made on this machine, or empty when it can (probed with a throwaway namespace). */
    static Optional<String> unavailable() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return Optional.of("network namespaces need Linux");
        }
        if (!onPath("ip")) {
            return Optional.of("the ip command (iproute2) is not installed");
        }
        if (!onPath("nft")) {
            return Optional.of("the nft command is not installed (apt-get install nftables)");
        }
        String probe = "gv-loss-probe-" + ProcessHandle.current().pid();
        try {
            Result add = run(List.of("ip", "netns", "add", probe));
            if (add.code() != 0) {
                return Optional.of("cannot create a network namespace (needs root): " + add.output().strip());
            }
            try {
                Result nft = run(List.of("ip", "netns", "exec", probe, "nft", "add", "table", "inet", TABLE));
                if (nft.code() != 0) {
                    return Optional.of("nftables refused in a namespace: " + nft.output().strip());
                }
            } finally {
                run(List.of("ip", "netns", "del", probe));
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot run ip/nft: " + e.getMessage());
        }
    }

    /**
     * Creates the namespace, brings up lo, adds 198.18.0.1..{@code hosts} on it and installs the
     * loss rule. On any failure the namespace is deleted again.
     *
     * @param hosts     how many addresses (1..250)
     * @param percent   the share of packets dropped, 0..100
     * @param protocols the protocols it applies to: {@code udp}, {@code tcp}
     */
    static LossyNetns create(int hosts, int percent, Set<String> protocols) throws IOException {
        if (hosts < 1 || hosts > 250 || percent < 0 || percent > 100 || protocols.isEmpty()
                || !Set.of("udp", "tcp").containsAll(protocols)) {
            throw new IllegalArgumentException("hosts 1..250, percent 0..100, protocols udp/tcp");
        }
        LossyNetns ns = new LossyNetns("gv-loss-" + ProcessHandle.current().pid(), hosts);
        ns.check(run(List.of("ip", "netns", "add", ns.name)), "ip netns add");
        Runtime.getRuntime().addShutdownHook(ns.hook);
        try {
            ns.check(run(ns.exec("ip", "link", "set", "lo", "up")), "ip link set lo up");
            for (int i = 1; i <= hosts; i++) {
                ns.check(run(ns.exec("ip", "addr", "add", ns.address(i) + "/32", "dev", "lo")), "ip addr add");
            }
            String set = "{ " + String.join(", ", protocols) + " }";
            // Rule 1 counts every packet of the protocols, rule 2 drops percent of them: both counters
            // show the loss really applied.
            String rules = "table inet " + TABLE + " {\n"
                    + "  chain input {\n"
                    + "    type filter hook input priority 0; policy accept;\n"
                    + "    meta l4proto " + set + " counter\n"
                    + "    meta l4proto " + set + " numgen random mod 100 < " + percent + " counter drop\n"
                    + "  }\n"
                    + "}\n";
            Path file = Files.createTempFile("gv-loss", ".nft");
            try {
                Files.writeString(file, rules);
                ns.check(run(ns.exec("nft", "-f", file.toString())), "nft -f");
            } finally {
                Files.deleteIfExists(file);
            }
            return ns;
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    /** The namespace's name. */
    String name() {
        return name;
    }

    /** The i-th address, 198.18.0.i. */
    String address(int i) {
        if (i < 1 || i > hosts) {
            throw new IllegalArgumentException("address " + i + " of " + hosts);
        }
        return "198.18.0." + i;
    }

    /** A command line that runs {@code cmd} inside the namespace. */
    List<String> exec(String... cmd) {
        return exec(List.of(cmd));
    }

    /** A command line that runs {@code cmd} inside the namespace. */
    List<String> exec(List<String> cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(cmd);
        return full;
    }

    /** The packets the rule saw and dropped so far. */
    record Counters(long seen, long dropped) {
        double ratio() {
            return seen == 0 ? 0 : (double) dropped / seen;
        }
    }

    /** Reads the two counters of the loss rule. */
    Counters counters() throws IOException {
        Result r = run(exec("nft", "list", "chain", "inet", TABLE, "input"));
        check(r, "nft list chain");
        Matcher m = COUNTER.matcher(r.output());
        List<Long> values = new ArrayList<>();
        while (m.find()) {
            values.add(Long.parseLong(m.group(1)));
        }
        if (values.size() != 2) {
            throw new IOException("unexpected nft listing:\n" + r.output());
        }
        return new Counters(values.get(0), values.get(1));
    }

    /** Deletes the namespace (its processes must be stopped first; they would keep it alive unnamed). */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // The JVM is shutting down: the hook deletes it too.
            }
            check(run(List.of("ip", "netns", "del", name)), "ip netns del");
        }
    }

    private void check(Result r, String what) throws IOException {
        if (r.code() != 0) {
            throw new IOException(what + " in " + name + " failed (exit " + r.code() + "): " + r.output().strip());
        }
    }

    /** A finished command: exit code and its output (stdout and stderr together). */
    record Result(int code, String output) {
    }

    /** Runs a short command with a bounded wait (killed and reported as exit -1 when it overruns). */
    static Result run(List<String> cmd) throws IOException {
        Path out = Files.createTempFile("gv-loss-cmd", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            try {
                if (!p.waitFor(CMD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    return new Result(-1, String.join(" ", cmd) + ": timed out");
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
