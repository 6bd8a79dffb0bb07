package dev.grapevine.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.grapevine.agent.SerfAgents.Agent;
import dev.grapevine.agent.SerfAgents.SerfMember;
import dev.grapevine.membership.CoreMetrics;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.QueryOptions;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.transport.GrapevineNode;
import dev.grapevine.transport.QueryResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Grapevine nodes (Serf mode) and real HashiCorp Serf 0.9.4 agents (Debian's {@code serf}) in one
 * gossip pool on 127.0.0.1. Skipped when the {@code serf} binary is not installed ({@code .ci/run}
 * installs it).
 */
@Tag("integration")
class SerfInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private SerfAgents serf;
    private final List<GrapevineNode> nodes = new ArrayList<>();

    @BeforeAll
    static void needSerf() {
        assumeTrue(SerfAgents.available(), "the serf binary is not installed (apt-get install serf)");
    }

    @BeforeEach
    void setUp() throws IOException {
        serf = new SerfAgents();
    }

    @AfterEach
    void tearDown() {
        for (GrapevineNode n : nodes) {
            n.close();
        }
        serf.close();
    }

    private GrapevineNode node(String name, Map<String, String> tags, List<SerfEvent> events) {
        GrapevineNode n = GrapevineNode.builder().name(name).bind("127.0.0.1:0").config(MembershipConfig.lan())
                .serf(SerfConfig.defaults()).tags(tags).serfListener(e -> {
                    if (events != null) {
                        events.add(e);
                    }
                }).start();
        nodes.add(n);
        return n;
    }

    private static SerfMemberStatus statusAt(GrapevineNode n, String name) {
        return n.serfMembers().stream().filter(m -> m.name().equals(name)).map(m -> m.status()).findFirst()
                .orElse(null);
    }

    private static void await(String what, java.util.function.BooleanSupplier condition, Duration max)
            throws InterruptedException {
        assertTrue(SerfAgents.waitFor(condition, max), "timed out waiting for " + what);
    }

    /** Three agents, a1 seeding the others. */
    private List<Agent> threeAgents() throws Exception {
        Agent a1 = serf.start("serf-1", Map.of("role", "web"));
        Agent a2 = serf.start("serf-2", Map.of("role", "db"));
        Agent a3 = serf.start("serf-3", Map.of());
        assertTrue(serf.join(a2, a1.bind()));
        assertTrue(serf.join(a3, a1.bind()));
        await("the agents to see each other", () -> {
            List<SerfMember> ms = serf.members(a1);
            return ms != null && ms.stream().filter(m -> m.status().equals("alive")).count() == 3;
        }, WAIT);
        return List.of(a1, a2, a3);
    }

    @Test
    void aGrapevineNodeJoinsASerfClusterAndEachSideSeesTheOtherWithTags() throws Exception {
        List<Agent> agents = threeAgents();
        GrapevineNode g = node("grapevine-1", Map.of("lang", "java"), null);
        assertEquals(1, g.join(agents.get(0).bind()));
        for (Agent a : agents) {
            await(a.name + " to list grapevine-1 alive with its tags", () -> {
                List<SerfMember> ms = serf.members(a);
                return ms != null && ms.stream().anyMatch(m -> m.name().equals("grapevine-1")
                        && m.status().equals("alive") && "java".equals(m.tags().get("lang"))
                        && m.port() == g.advertiseAddress().port());
            }, WAIT);
        }
        await("grapevine-1 to see every agent alive", () -> agents.stream()
                .allMatch(a -> statusAt(g, a.name) == SerfMemberStatus.ALIVE), WAIT);
        assertEquals(Map.of("role", "web"), g.serfMembers().stream().filter(m -> m.name().equals("serf-1"))
                .findFirst().orElseThrow().tags());
        assertEquals(Map.of("role", "db"), g.serfMembers().stream().filter(m -> m.name().equals("serf-2"))
                .findFirst().orElseThrow().tags());
        assertEquals(4, g.numMembers());
    }

    @Test
    void aSerfAgentJoinsAGrapevineNode() throws Exception {
        GrapevineNode g = node("grapevine-1", Map.of("role", "seed"), null);
        Agent a = serf.start("serf-1", Map.of("role", "web"));
        assertTrue(serf.join(a, g.advertiseAddress().toString()), "serf join to the Grapevine node\n" + serf.tail(a));
        await("the agent to see grapevine-1", () -> "alive".equals(serf.status(a, "grapevine-1")), WAIT);
        await("grapevine-1 to see the agent", () -> statusAt(g, "serf-1") == SerfMemberStatus.ALIVE, WAIT);
        CoreMetrics m = g.metrics().core();
        assertTrue(m.pushPullsServed() >= 1, "the agent's join was a push/pull served by Grapevine");
        assertEquals(0, m.totalRejections(), "Serf's compressed streams and packets all decoded: " + m.rejections());
    }

    @Test
    void crashesAreDetectedBothWays() throws Exception {
        List<Agent> agents = threeAgents();
        GrapevineNode g1 = node("grapevine-1", Map.of(), null);
        GrapevineNode g2 = node("grapevine-2", Map.of(), null);
        g1.join(agents.get(0).bind());
        g2.join(agents.get(1).bind());
        await("everyone to see five", () -> g1.numMembers() == 5 && g2.numMembers() == 5
                && serf.members(agents.get(2)).stream().filter(x -> x.status().equals("alive")).count() == 5, WAIT);

        serf.kill(agents.get(2)); // kill -9
        await("both Grapevine nodes to mark serf-3 failed",
                () -> statusAt(g1, "serf-3") == SerfMemberStatus.FAILED
                        && statusAt(g2, "serf-3") == SerfMemberStatus.FAILED, Duration.ofSeconds(60));

        g2.close(); // abrupt: no leave
        await("the agents to mark grapevine-2 failed", () -> "failed".equals(serf.status(agents.get(0), "grapevine-2"))
                && "failed".equals(serf.status(agents.get(1), "grapevine-2")), Duration.ofSeconds(60));
    }

    @Test
    void aGracefulGrapevineLeaveIsLeftAtEverySerfAgent() throws Exception {
        List<Agent> agents = threeAgents();
        GrapevineNode g = node("grapevine-1", Map.of(), null);
        g.join(agents.get(0).bind());
        await("the agents to see grapevine-1", () -> agents.stream()
                .allMatch(a -> "alive".equals(serf.status(a, "grapevine-1"))), WAIT);
        assertTrue(g.leave(Duration.ofSeconds(15)));
        for (Agent a : agents) {
            await(a.name + " to record grapevine-1 left", () -> "left".equals(serf.status(a, "grapevine-1")), WAIT);
        }
    }

    @Test
    void userEventsAndQueriesCrossBothWays() throws Exception {
        Path handlerOut = Files.createTempFile("serf-events", ".log");
        Path handler = Files.createTempFile("serf-handler", ".sh");
        Files.writeString(handler, "#!/bin/sh\necho \"$SERF_EVENT $SERF_USER_EVENT $(cat)\" >> " + handlerOut + "\n");
        handler.toFile().setExecutable(true);
        Agent a1 = serf.start("serf-1", Map.of("role", "web"), "-event-handler=user=" + handler);
        List<SerfEvent> events = new CopyOnWriteArrayList<>();
        GrapevineNode g = node("grapevine-1", Map.of("role", "java"), events);
        g.join(a1.bind());
        await("both see two", () -> g.numMembers() == 2 && "alive".equals(serf.status(a1, "grapevine-1")), WAIT);

        // serf event -> Grapevine listener
        assertTrue(run("serf", "event", "-rpc-addr=" + a1.rpc(), "deploy", "v42"));
        await("the Grapevine listener to get the Serf event", () -> events.stream().anyMatch(e -> e instanceof SerfEvent.User u
                && u.name().equals("deploy") && new String(u.payload(), UTF_8).equals("v42")), WAIT);

        // Grapevine event -> the agent's event handler
        g.userEvent("hello", "from-java".getBytes(UTF_8), false);
        await("the agent's event handler to run", () -> {
            try {
                return Files.readString(handlerOut).contains("user hello from-java");
            } catch (IOException e) {
                return false;
            }
        }, WAIT);

        // Grapevine query, answered by the agent (built-in _serf_ping acks; a plain query gets an ack)
        QueryResult ping = g.query("_serf_ping", new byte[0], QueryOptions.builder().requestAck(true)
                .timeout(Duration.ofSeconds(3)).build()).get(10, TimeUnit.SECONDS);
        assertTrue(ping.acks().contains("serf-1"), "serf-1 acked _serf_ping: " + ping.acks());

        // serf query, answered by a Grapevine listener
        Thread responder = new Thread(() -> {
            try {
                SerfAgents.waitFor(() -> events.stream().anyMatch(e -> e instanceof SerfEvent.Query q
                        && q.query().name().equals("whoami")), Duration.ofSeconds(20));
                events.stream().filter(e -> e instanceof SerfEvent.Query q && q.query().name().equals("whoami"))
                        .findFirst().ifPresent(e -> g.respond(((SerfEvent.Query) e).query(), "grapevine".getBytes(UTF_8)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        responder.start();
        String out = output("serf", "query", "-rpc-addr=" + a1.rpc(), "-timeout=4s", "-tag", "role=java", "whoami", "");
        responder.join(20_000);
        assertTrue(out.contains("Response from 'grapevine-1': grapevine"), out);
    }

    @Test
    void tenSerfAgentsAndTenGrapevineNodesConvergeAndStayCleanForAMinute() throws Exception {
        List<Agent> agents = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Agent a = serf.start("serf-" + i, Map.of("kind", "go"));
            agents.add(a);
            if (i > 0) {
                assertTrue(serf.join(a, agents.get(0).bind()));
            }
        }
        for (int i = 0; i < 10; i++) {
            GrapevineNode g = node("grapevine-" + i, Map.of("kind", "java"), null);
            g.join(agents.get(i).bind());
        }
        await("20 alive everywhere", () -> nodes.stream().allMatch(n -> n.numMembers() == 20)
                && agents.stream().allMatch(a -> {
                    List<SerfMember> ms = serf.members(a);
                    return ms != null && ms.stream().filter(m -> m.status().equals("alive")).count() == 20;
                }), Duration.ofSeconds(60));
        long[] suspicionsBefore = nodes.stream().mapToLong(n -> n.metrics().core().suspicionsStarted()).toArray();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (GrapevineNode n : nodes) {
                assertEquals(20, n.numMembers(), n.name() + " lost a member");
                assertEquals(0, n.metrics().core().suspect(), n.name() + " suspects someone");
            }
            Thread.sleep(2_000);
        }
        for (int i = 0; i < nodes.size(); i++) {
            assertEquals(suspicionsBefore[i], nodes.get(i).metrics().core().suspicionsStarted(),
                    nodes.get(i).name() + " started suspecting a member during the clean minute");
            assertEquals(0, nodes.get(i).healthScore(), nodes.get(i).name() + " health");
        }
        for (Agent a : agents) {
            String log = Files.readString(a.log);
            assertTrue(!log.contains("Suspect") && !log.contains("EventMemberFailed"),
                    a.name + " suspected someone:\n" + serf.tail(a));
            assertEquals(20, serf.members(a).stream().filter(m -> m.status().equals("alive")).count());
        }
    }

    private static boolean run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    private static String output(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    @Test
    void serfAgentsParseTheirOwnJson() {
        String json = "{\n  \"members\": [\n    {\n      \"name\": \"a\",\n      \"addr\": \"127.0.0.1:17946\",\n"
                + "      \"port\": 17946,\n      \"tags\": {\n        \"role\": \"web\"\n      },\n"
                + "      \"status\": \"alive\",\n      \"protocol\": {\"max\": 5, \"min\": 2, \"version\": 5}\n    }\n  ]\n}";
        List<SerfMember> ms = SerfAgents.parseMembers(json);
        assertEquals(1, ms.size());
        assertEquals("a", ms.get(0).name());
        assertEquals(Map.of("role", "web"), ms.get(0).tags());
    }
}
