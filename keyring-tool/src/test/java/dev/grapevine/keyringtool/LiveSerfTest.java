package dev.grapevine.keyringtool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.grapevine.agent.SerfAgents;
import dev.grapevine.agent.SerfAgents.Agent;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.KeyringFile;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.transport.GrapevineNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * keyring-tool against real Serf 0.9.4 agents ({@code -encrypt}, {@code -keyring-file}) mixed with
 * Grapevine nodes, on 127.0.0.1: listing, rotation, and a Serf agent paused with SIGSTOP during
 * the rotation. Skipped without the {@code serf} binary.
 */
@Tag("integration")
class LiveSerfTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private SerfAgents serf;
    private final List<GrapevineNode> nodes = new ArrayList<>();
    private final List<Agent> paused = new ArrayList<>();
    private final byte[] oldKey = Keys.generate(32);
    private final String oldB64 = Keys.encode(oldKey);

    @BeforeAll
    static void needSerf() {
        assumeTrue(SerfAgents.available(), "the serf binary is not installed (apt-get install serf)");
    }

    @BeforeEach
    void setUp() throws IOException {
        serf = new SerfAgents();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Agent a : paused) {
            signal("CONT", a);
        }
        nodes.forEach(GrapevineNode::close);
        serf.close();
    }

    /** Three Serf agents (serf-1 with a keyring file, the others with -encrypt) and two Grapevine nodes. */
    private List<Keyring> mixedCluster(List<Agent> agents, Path serfFile) throws Exception {
        KeyringFile.of(serfFile).write(List.of(oldKey));
        agents.add(serf.start("serf-1", Map.of(), "-keyring-file=" + serfFile));
        agents.add(serf.start("serf-2", Map.of(), "-encrypt=" + oldB64));
        agents.add(serf.start("serf-3", Map.of(), "-encrypt=" + oldB64));
        assertTrue(serf.join(agents.get(1), agents.get(0).bind()));
        assertTrue(serf.join(agents.get(2), agents.get(0).bind()));
        List<Keyring> rings = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            Keyring r = Keyring.of(oldKey);
            rings.add(r);
            GrapevineNode n = GrapevineNode.builder().name("grapevine-" + i).bind("127.0.0.1:0")
                    .config(MembershipConfig.lan()).serf(SerfConfig.defaults()).keyring(r).start();
            nodes.add(n);
            n.join(agents.get(i - 1).bind());
        }
        awaitAlive(agents, 5);
        return rings;
    }

    private void awaitAlive(List<Agent> agents, int total) throws InterruptedException {
        assertTrue(SerfAgents.waitFor(() -> nodes.stream().allMatch(n -> n.serfMembers().stream()
                .filter(m -> m.status() == SerfMemberStatus.ALIVE && !m.name().startsWith("tool")).count() == total)
                && agents.stream().allMatch(a -> {
                    List<SerfAgents.SerfMember> ms = serf.members(a);
                    return ms != null && ms.stream().filter(m -> m.status().equals("alive")
                            && !m.name().startsWith("tool")).count() == total;
                }), WAIT), "everyone to see " + total + " alive");
    }

    private static String serfKeys(Agent a) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("serf", "keys", "-list", "-rpc-addr=" + a.rpc()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private static List<String> b64(List<byte[]> keys) {
        return keys.stream().map(Keys::encode).toList();
    }

    private void signal(String sig, Agent a) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(a.process.pid())).start();
        assertTrue(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0, "kill -" + sig);
        if (sig.equals("STOP")) {
            paused.add(a);
        } else {
            paused.remove(a);
        }
    }

    @Test
    void listCountsSerfAgentsAndGrapevineNodesAlike() throws Exception {
        List<Agent> agents = new ArrayList<>();
        mixedCluster(agents, dir.resolve("serf-1.json"));
        Tool.Result r = Tool.run("keys", "list", "--cluster", agents.get(2).bind(), "--encrypt", oldB64, "--name",
                "tool-list", "--relay-factor", "2");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains(oldB64 + "  [5/5]  primary [5/5]"), r.toString());
        r.noKeyInErr(oldB64);
        for (Agent a : agents) {
            assertTrue(SerfAgents.waitFor(() -> "left".equals(serf.status(a, "tool-list")), WAIT),
                    a.name + " records the tool as left");
        }
    }

    @Test
    void rotateMovesAMixedClusterToTheNewKeyAndTheOldKeyIsGoneEverywhere() throws Exception {
        List<Agent> agents = new ArrayList<>();
        Path serfFile = dir.resolve("serf-1.json");
        List<Keyring> rings = mixedCluster(agents, serfFile);
        Path ops = dir.resolve("ops.json");
        KeyringFile.of(ops).write(List.of(oldKey));
        String newB64 = Keys.encode(Keys.generate(32));

        Tool.Result r = Tool.run("keys", "rotate", "--cluster", agents.get(0).bind(), "--keyring-file", ops.toString(),
                "--new-key", newB64, "--name", "tool-rotate");
        assertEquals(0, r.code(), r.toString());
        r.noKeyAnywhere(oldB64, newB64);

        for (Agent a : agents) {
            String listed = serfKeys(a);
            assertTrue(listed.lines().anyMatch(l -> l.contains(newB64) && l.contains("[5/5]")), a.name + ":\n" + listed);
            assertTrue(!listed.contains(oldB64), a.name + " still lists the old key:\n" + listed);
        }
        for (Keyring ring : rings) {
            assertEquals(List.of(newB64), b64(ring.keys()));
        }
        assertEquals(List.of(newB64), b64(KeyringFile.of(serfFile).read()), "serf-1 rewrote its -keyring-file");
        assertEquals(List.of(newB64), b64(KeyringFile.of(ops).read()), "the operator's copy");
        awaitAlive(agents, 5);
        for (Agent a : agents) {
            assertEquals("left", serf.status(a, "tool-rotate"), a.name);
        }
    }

    /** Starts a rotation in the background; {@code onStep1} runs when step 1 starts (from the tool's stderr). */
    private CompletableFuture<Tool.Result> rotateInBackground(Path ops, String newB64, Runnable onStep1,
                                                              String... extra) {
        return CompletableFuture.supplyAsync(() -> {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            OutputStream watch = new OutputStream() {
                private boolean fired;

                @Override
                public synchronized void write(int b) {
                    err.write(b);
                    if (!fired && err.toString(StandardCharsets.UTF_8).contains("Step 1/3")) {
                        fired = true;
                        onStep1.run();
                    }
                }
            };
            List<String> args = new ArrayList<>(List.of("keys", "rotate", "--cluster", nodes.get(0).advertiseAddress()
                    .toString(), "--keyring-file", ops.toString(), "--new-key", newB64));
            args.addAll(List.of(extra));
            int code = KeyringTool.execute(args.toArray(new String[0]), new ByteArrayInputStream(new byte[0]),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(watch, true, StandardCharsets.UTF_8));
            return new Tool.Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        });
    }

    /**
     * A Serf agent paused (SIGSTOP) as the rotation starts and never resumed while it runs: the
     * rotation stops at step 1 naming it, and no member was asked to use the new key or remove the
     * old one, so the paused agent can rejoin: after SIGCONT every member is alive again.
     */
    @Test
    void anAgentPausedDuringInstallStopsTheRotationNamingItAndNothingItNeedsIsRemoved() throws Exception {
        List<Agent> agents = new ArrayList<>();
        List<Keyring> rings = mixedCluster(agents, dir.resolve("serf-1.json"));
        Path ops = dir.resolve("ops.json");
        KeyringFile.of(ops).write(List.of(oldKey));
        String newB64 = Keys.encode(Keys.generate(32));
        Agent victim = agents.get(2);
        Tool.Result r = rotateInBackground(ops, newB64, () -> {
            try {
                signal("STOP", victim);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, "--attempts", "3", "--timeout", "1s", "--step-timeout", "30s").get(180, TimeUnit.SECONDS);

        assertEquals(ExitCodes.FAILED, r.code(), r.toString());
        assertTrue(r.out().contains("Rotation stopped at step 1/3") && r.out().contains("  serf-3"), r.toString());
        assertTrue(!r.err().contains("Making the new key primary") && !r.err().contains("Removing the old key"),
                "never moved on: " + r);
        r.noKeyAnywhere(oldB64, newB64);
        for (Keyring ring : rings) {
            assertEquals(oldB64, b64(ring.keys()).get(0), "the old key is still primary");
        }
        assertEquals(List.of(oldB64), b64(KeyringFile.of(ops).read()));

        signal("CONT", victim);
        awaitAlive(agents, 5);
        String listed = serfKeys(victim);
        assertTrue(listed.lines().anyMatch(l -> l.contains(oldB64) && l.contains("[5/5]")), listed);
    }

    /**
     * The same pause, resumed (SIGCONT) while the rotation re-asks: it waits for the agent and
     * completes, with every member on the new key and none failed.
     */
    @Test
    void anAgentPausedDuringInstallAndResumedIsWaitedForAndTheRotationCompletes() throws Exception {
        List<Agent> agents = new ArrayList<>();
        List<Keyring> rings = mixedCluster(agents, dir.resolve("serf-1.json"));
        Path ops = dir.resolve("ops.json");
        KeyringFile.of(ops).write(List.of(oldKey));
        String newB64 = Keys.encode(Keys.generate(32));
        Agent victim = agents.get(1);
        CompletableFuture<Tool.Result> run = rotateInBackground(ops, newB64, () -> {
            try {
                signal("STOP", victim);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, "--attempts", "20", "--timeout", "1s", "--step-timeout", "2m");
        assertTrue(SerfAgents.waitFor(() -> !paused.isEmpty(), WAIT), "paused");
        // Resume once the paused agent is held as failed: the tool must still wait for it.
        assertTrue(SerfAgents.waitFor(() -> run.isDone() || nodes.get(0).serfMembers().stream()
                .anyMatch(m -> m.name().equals(victim.name) && m.status() == SerfMemberStatus.FAILED), WAIT),
                "the paused agent detected as failed");
        signal("CONT", victim);
        Tool.Result r = run.get(180, TimeUnit.SECONDS);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("Re-asking") && r.err().contains(victim.name), r.toString());
        for (Agent a : agents) {
            String listed = serfKeys(a);
            assertTrue(listed.lines().anyMatch(l -> l.contains(newB64) && l.contains("[5/5]"))
                    && !listed.contains(oldB64), a.name + ":\n" + listed);
        }
        for (Keyring ring : rings) {
            assertEquals(List.of(newB64), b64(ring.keys()));
        }
        awaitAlive(agents, 5);
    }

    /** Ten Serf agents and ten Grapevine nodes: one rotation moves all twenty, nobody fails. */
    @Test
    void rotatesATwentyMemberMixedCluster() throws Exception {
        List<Agent> agents = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            Agent a = serf.start("serf-" + i, Map.of(), "-encrypt=" + oldB64);
            agents.add(a);
            if (i > 1) {
                assertTrue(serf.join(a, agents.get(0).bind()));
            }
        }
        List<Keyring> rings = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            Keyring r = Keyring.of(oldKey);
            rings.add(r);
            GrapevineNode n = GrapevineNode.builder().name("grapevine-" + i).bind("127.0.0.1:0")
                    .config(MembershipConfig.lan()).serf(SerfConfig.defaults()).keyring(r).start();
            nodes.add(n);
            n.join(agents.get(i - 1).bind());
        }
        awaitAlive(agents, 20);
        Path ops = dir.resolve("ops.json");
        KeyringFile.of(ops).write(List.of(oldKey));
        String newB64 = Keys.encode(Keys.generate(32));
        Tool.Result r = Tool.run("keys", "rotate", "--cluster", nodes.get(3).advertiseAddress().toString(),
                "--keyring-file", ops.toString(), "--new-key", newB64, "--relay-factor", "1");
        assertEquals(0, r.code(), r.toString());
        for (Keyring ring : rings) {
            assertEquals(List.of(newB64), b64(ring.keys()));
        }
        String listed = serfKeys(agents.get(9));
        assertTrue(listed.lines().anyMatch(l -> l.contains(newB64) && l.contains("[20/20]")) && !listed.contains(oldB64),
                listed);
        awaitAlive(agents, 20);
        for (GrapevineNode n : nodes) {
            assertTrue(n.serfMembers().stream().noneMatch(m -> m.status() == SerfMemberStatus.FAILED),
                    n.name() + " holds someone as failed: " + n.serfMembers());
        }
    }
}
