package dev.grapevine.agent;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real HashiCorp Serf agents (Debian's serf 0.9.4) on 127.0.0.1 for interop tests: each with an
 * explicit {@code -bind} and {@code -rpc-addr} port, started and stopped by this fixture only (by
 * PID), queried through the {@code serf} CLI's RPC. Close it to stop every agent it started.
 * Public, in its own module ({@code testkit}), for the tests of {@code agent} and {@code keyring-tool} and
 * for the cluster benchmark ({@code benchmarks}).
 */
public final class SerfAgents implements AutoCloseable {

    /** One running agent. */
    public static final class Agent {
        public final String name;
        public final int port;
        public final int rpcPort;
        public final Process process;
        public final Path log;

        Agent(String name, int port, int rpcPort, Process process, Path log) {
            this.name = name;
            this.port = port;
            this.rpcPort = rpcPort;
            this.process = process;
            this.log = log;
        }

        public String bind() {
            return "127.0.0.1:" + port;
        }

        public String rpc() {
            return "127.0.0.1:" + rpcPort;
        }

        @Override
        public String toString() {
            return name + "@" + bind();
        }
    }

    /** A member as {@code serf members -format=json} reports it. */
    public record SerfMember(String name, String addr, int port, String status, Map<String, String> tags) {
    }

    private final List<Agent> agents = new ArrayList<>();
    private final Path dir;

    public SerfAgents() throws IOException {
        dir = Files.createTempDirectory("serf-agents");
    }

    /** True when the serf binary is on the PATH. */
    public static boolean available() {
        try {
            Process p = new ProcessBuilder("serf", "version").redirectErrorStream(true).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Starts an agent and waits until its RPC answers. Extra arguments go to {@code serf agent}. */
    public Agent start(String name, Map<String, String> tags, String... extra) throws IOException, InterruptedException {
        int port = freePort();
        int rpc = freePort();
        List<String> cmd = new ArrayList<>(List.of("serf", "agent", "-node=" + name, "-bind=127.0.0.1:" + port,
                "-rpc-addr=127.0.0.1:" + rpc, "-log-level=debug"));
        for (Map.Entry<String, String> t : tags.entrySet()) {
            cmd.add("-tag");
            cmd.add(t.getKey() + "=" + t.getValue());
        }
        cmd.addAll(List.of(extra));
        Path log = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Agent a = new Agent(name, port, rpc, p, log);
        agents.add(a);
        if (!waitFor(() -> members(a) != null, Duration.ofSeconds(20))) {
            throw new IOException("serf agent " + name + " did not come up; log:\n" + tail(a));
        }
        return a;
    }

    /** {@code serf join} from {@code a} to an address; true when serf reports success. */
    public boolean join(Agent a, String address) throws IOException, InterruptedException {
        Result r = run("serf", "join", "-rpc-addr=" + a.rpc(), address);
        return r.exit == 0;
    }

    /** {@code serf members -format=json} on {@code a}, or null when its RPC does not answer. */
    public List<SerfMember> members(Agent a) {
        try {
            Result r = run("serf", "members", "-rpc-addr=" + a.rpc(), "-format=json");
            return r.exit == 0 ? parseMembers(r.out) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The status {@code a} reports for {@code name} ("alive", "failed", "left", ...), or null. */
    public String status(Agent a, String name) {
        List<SerfMember> ms = members(a);
        if (ms == null) {
            return null;
        }
        for (SerfMember m : ms) {
            if (m.name().equals(name)) {
                return m.status();
            }
        }
        return null;
    }

    /** SIGKILL (kill -9) of an agent this fixture started. */
    public void kill(Agent a) throws InterruptedException {
        a.process.destroyForcibly();
        a.process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, which serf handles as a graceful leave by default. */
    public void terminate(Agent a) throws InterruptedException {
        a.process.destroy();
        if (!a.process.waitFor(20, TimeUnit.SECONDS)) {
            a.process.destroyForcibly();
        }
    }

    public String tail(Agent a) {
        try {
            List<String> lines = Files.readAllLines(a.log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public List<Agent> agents() {
        return List.copyOf(agents);
    }

    @Override
    public void close() {
        for (Agent a : agents) {
            a.process.destroyForcibly();
        }
        for (Agent a : agents) {
            try {
                a.process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Polls {@code condition} every 200 ms until it holds or {@code max} passes. */
    public static boolean waitFor(BooleanSupplier condition, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(200);
        }
    }

    /** A port free for both UDP and TCP on 127.0.0.1 (bounded attempts). */
    public static int freePort() throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        for (int i = 0; i < 50; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, lo)) {
                int port = s.getLocalPort();
                try (DatagramSocket d = new DatagramSocket(port, lo)) {
                    return port;
                } catch (IOException e) {
                    // UDP side taken: try another
                }
            }
        }
        throw new IOException("no free port found for UDP and TCP");
    }

    private record Result(int exit, String out) {
    }

    private static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static final Pattern MEMBER = Pattern.compile(
            "\\{\\s*\"name\":\\s*\"([^\"]*)\",\\s*\"addr\":\\s*\"([^\"]*)\",\\s*\"port\":\\s*(\\d+),\\s*"
                    + "\"tags\":\\s*\\{([^}]*)\\},\\s*\"status\":\\s*\"([^\"]*)\"");
    private static final Pattern TAG = Pattern.compile("\"([^\"]*)\":\\s*\"([^\"]*)\"");

    /** Parses the JSON that {@code serf members -format=json} prints (its fixed shape). */
    public static List<SerfMember> parseMembers(String json) {
        List<SerfMember> out = new ArrayList<>();
        Matcher m = MEMBER.matcher(json);
        while (m.find()) {
            Map<String, String> tags = new LinkedHashMap<>();
            Matcher t = TAG.matcher(m.group(4));
            while (t.find()) {
                tags.put(t.group(1), t.group(2));
            }
            out.add(new SerfMember(m.group(1), m.group(2), Integer.parseInt(m.group(3)), m.group(5), tags));
        }
        return out;
    }
}
