package dev.grapevine.transport;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MemberState;
import dev.grapevine.serf.KeyResponse;
import dev.grapevine.serf.QueryOptions;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMember;
import dev.grapevine.serf.SerfMemberStatus;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Nodes in Serf mode on loopback sockets: tags, user events, queries, key queries, leaves. */
@Tag("integration")
class SerfModeIntegrationTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final TestNodes nodes = new TestNodes();

    @AfterEach
    void closeAll() {
        nodes.close();
    }

    private GrapevineNode serfNode(String name, Map<String, String> tags, List<SerfEvent> events) {
        return nodes.start(GrapevineNode.builder().name(name).bind("127.0.0.1:0").config(MembershipConfig.local())
                .serf(SerfConfig.defaults()).tags(tags).serfListener(events::add));
    }

    @Test
    void tagsEventsQueriesAndAGracefulLeave() throws Exception {
        List<SerfEvent> aEvents = new CopyOnWriteArrayList<>();
        List<SerfEvent> bEvents = new CopyOnWriteArrayList<>();
        GrapevineNode a = serfNode("a", Map.of("role", "web"), aEvents);
        GrapevineNode b = serfNode("b", Map.of("role", "db"), bEvents);
        b.query("nobody", new byte[0], QueryOptions.defaults()); // a query alone is fine
        assertEquals(1, b.join(TestNodes.seed(a)));
        Await.until(WAIT, "both see two alive", () -> alive(a) == 2 && alive(b) == 2);
        SerfMember bAtA = a.serfMembers().stream().filter(m -> m.name().equals("b")).findFirst().orElseThrow();
        assertEquals(Map.of("role", "db"), bAtA.tags());
        assertTrue(a.serfMode());

        a.userEvent("deploy", "v2".getBytes(UTF_8), false);
        Await.until(WAIT, "b gets the user event", () -> bEvents.stream().anyMatch(
                e -> e instanceof SerfEvent.User u && u.name().equals("deploy")
                        && new String(u.payload(), UTF_8).equals("v2")));

        // b answers queries named "who"; a asks only nodes tagged role=db.
        Thread responder = new Thread(() -> {
            try {
                Await.until(WAIT, "the query at b", () -> bEvents.stream().anyMatch(
                        e -> e instanceof SerfEvent.Query q && q.query().name().equals("who")));
                SerfEvent.Query q = (SerfEvent.Query) bEvents.stream().filter(
                        e -> e instanceof SerfEvent.Query qq && qq.query().name().equals("who")).findFirst().orElseThrow();
                b.respond(q.query(), "I am b".getBytes(UTF_8));
            } catch (AssertionError e) {
                // the main thread's assertion reports it
            }
        });
        responder.start();
        QueryResult r = a.query("who", new byte[0], QueryOptions.builder().filterTag("role", "^db$")
                .requestAck(true).timeout(Duration.ofSeconds(3)).build()).get(10, TimeUnit.SECONDS);
        responder.join(10_000);
        assertEquals(List.of("b"), r.acks());
        assertArrayEquals("I am b".getBytes(UTF_8), r.responses().get("b"));

        a.setTags(Map.of("role", "web", "dc", "east"));
        Await.until(WAIT, "b sees a's new tags", () -> b.serfMembers().stream()
                .anyMatch(m -> m.name().equals("a") && "east".equals(m.tags().get("dc"))));

        assertThrows(IllegalStateException.class, () -> a.broadcast(new byte[1]));
        assertThrows(IllegalStateException.class, () -> a.updateMetadata(new byte[1]));

        assertTrue(b.leave(Duration.ofSeconds(10)), "the leave propagated");
        Await.until(WAIT, "a records b as left", () -> a.serfMembers().stream()
                .anyMatch(m -> m.name().equals("b") && m.status() == SerfMemberStatus.LEFT));
        assertTrue(aEvents.stream().anyMatch(e -> e instanceof SerfEvent.MemberLeave l && l.member().name().equals("b")));
        assertTrue(aEvents.stream().noneMatch(e -> e instanceof SerfEvent.MemberFailed));
        assertEquals(MemberState.LEFT, a.allMembers().stream().filter(m -> m.name().equals("b")).findFirst()
                .orElseThrow().state());
    }

    @Test
    void keyQueriesReachEveryNodesKeyring() throws Exception {
        byte[] k1 = new byte[32];
        byte[] k2 = new byte[32];
        k2[0] = 1;
        Keyring ka = Keyring.of(k1);
        Keyring kb = Keyring.of(k1);
        GrapevineNode a = nodes.start(GrapevineNode.builder().name("a").bind("127.0.0.1:0")
                .config(MembershipConfig.local()).serf(SerfConfig.defaults()).keyring(ka));
        GrapevineNode b = nodes.start(GrapevineNode.builder().name("b").bind("127.0.0.1:0")
                .config(MembershipConfig.local()).serf(SerfConfig.defaults()).keyring(kb));
        b.join(TestNodes.seed(a));
        Await.until(WAIT, "both see two alive", () -> alive(a) == 2 && alive(b) == 2);

        KeyResponse installed = a.installKey(k2).get(20, TimeUnit.SECONDS);
        assertTrue(installed.ok(), installed.toString());
        assertEquals(2, installed.numResp());
        assertEquals(2, kb.keys().size(), "b's keyring got the key");
        KeyResponse listed = b.listKeys().get(20, TimeUnit.SECONDS);
        assertEquals(Integer.valueOf(2), listed.keys().get(Base64.getEncoder().encodeToString(k2)));
        KeyResponse removePrimary = a.removeKey(k1).get(20, TimeUnit.SECONDS);
        assertEquals(2, removePrimary.numErr(), "removing the primary is refused everywhere");
    }

    private static int alive(GrapevineNode n) {
        return (int) n.serfMembers().stream().filter(m -> m.status() == SerfMemberStatus.ALIVE).count();
    }
}
