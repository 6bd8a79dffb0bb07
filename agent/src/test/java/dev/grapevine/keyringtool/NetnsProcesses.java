package dev.grapevine.keyringtool;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Child JVMs inside a {@link LossyNetns}: Grapevine agents ({@code grapevine agent}, class
 * {@code dev.grapevine.agent.Main}) and keyring-tool runs, started from this JVM's classpath (the
 * reactor's freshly built classes, so no packaged jar is needed). Each child's stdout and stderr go
 * to files in a directory; an agent's stdout carries only its event lines (see the agent's
 * EventLog), which {@link #events} parses.
 *
 * <p>Only processes started here are ever signalled or killed, by their pid ({@code ip netns exec}
 * execs the command, so the pid is the JVM's). {@link #close} kills them all (SIGKILL, bounded
 * wait); a JVM shutdown hook does the same if the test JVM exits first.
 *
 * <p><b>Threading.</b> Confined to the test thread, except {@link #events}, {@link #log} and
 * {@link #signal}, which may be called from any thread.
 */
final class NetnsProcesses implements AutoCloseable {
    /** One event line: time, kind, member name, address. */
    record Event(String kind, String member, String line) {
    }

    /** A started agent. */
    record Agent(String name, String address, Path keyringFile, Path out, Path err, Process process) {
    }

    private static final Pattern EVENT = Pattern.compile("^\\S+ (member-[a-z]+)\\s+(\\S+)\\s.*$");
    /** Small heaps, C1 only, serial GC: twenty of these share two cores. */
    private static final List<String> JVM_FLAGS = List.of("-Xmx64m", "-Xss512k", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Djava.net.preferIPv4Stack=true");

    private final LossyNetns ns;
    private final Path dir;
    private final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private final String classpath = System.getProperty("java.class.path");
    private final List<Process> started = new ArrayList<>();
    private final Thread hook = new Thread(this::killAll, "netns-processes-cleanup");

    NetnsProcesses(LossyNetns ns, Path dir) {
        this.ns = ns;
        this.dir = dir;
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Starts agent {@code name} on {@code address}:7946 with {@code --keyring-file} (which must
     * exist), joining {@code join} when not null.
     */
    Agent startAgent(String name, String address, Path keyringFile, String join) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.logFile=System.err",
                "-cp", classpath, "dev.grapevine.agent.Main", "agent", "--name", name, "--bind", address + ":7946",
                "--keyring-file", keyringFile.toString()));
        if (join != null) {
            cmd.addAll(List.of("--join", join, "--join-attempts", "3", "--join-retry-seconds", "2"));
        }
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        // Appended: a restarted agent keeps its earlier lines (its events, and why it stopped).
        Process p = start(new ProcessBuilder(ns.exec(cmd)).redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))));
        return new Agent(name, address, keyringFile, out, err, p);
    }

    /**
     * Starts {@code keyring-tool args...} inside the namespace; {@code stdin} is written to it
     * (then closed), its stdout and stderr go to {@code <label>.out} and {@code <label>.err}.
     */
    Process startTool(String label, String stdin, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(JVM_FLAGS.subList(1, JVM_FLAGS.size()));
        cmd.addAll(List.of("-Xmx128m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath,
                "dev.grapevine.keyringtool.Main"));
        cmd.addAll(args);
        Process p = start(new ProcessBuilder(ns.exec(cmd)).redirectOutput(dir.resolve(label + ".out").toFile())
                .redirectError(dir.resolve(label + ".err").toFile()));
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        return p;
    }

    /** What a process started with {@code label} wrote to stdout ({@code .out}) or stderr ({@code .err}) so far. */
    String log(String label, String stream) {
        try {
            Path f = dir.resolve(label + "." + stream);
            return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** The member events an agent logged so far, in order. */
    List<Event> events(Agent a) {
        List<Event> events = new ArrayList<>();
        for (String line : log(a.name(), "out").split("\n")) {
            Matcher m = EVENT.matcher(line);
            if (m.matches()) {
                events.add(new Event(m.group(1), m.group(2), line));
            }
        }
        return events;
    }

    /** Sends SIGSTOP or SIGCONT (or another signal) to an agent started here. */
    void signal(Agent a, String signal) throws IOException {
        if (!started.contains(a.process())) {
            throw new IllegalArgumentException("not started here: " + a.name());
        }
        LossyNetns.Result r = LossyNetns.run(List.of("kill", "-" + signal, Long.toString(a.process().pid())));
        if (r.code() != 0) {
            throw new IOException("kill -" + signal + " " + a.name() + ": " + r.output());
        }
    }

    private synchronized Process start(ProcessBuilder pb) throws IOException {
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private synchronized void killAll() {
        for (Process p : started) {
            p.destroyForcibly();
        }
        for (Process p : started) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Kills every process started here (SIGKILL also ends a stopped one) and waits for them, bounded. */
    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: the hook runs anyway.
        }
    }
}
