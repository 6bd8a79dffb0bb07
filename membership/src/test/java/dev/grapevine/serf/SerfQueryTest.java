package dev.grapevine.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.SerfCodec;
import dev.grapevine.membership.wire.SerfMessage;
import dev.grapevine.membership.wire.SerfPayload;
import dev.grapevine.membership.wire.WireEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Queries: filters, timeouts, acks and responses, de-duplication, relays, and the built-in queries. */
class SerfQueryTest {
    static final NodeAddress STRANGER = SerfCoreTest.STRANGER;

    /** Every node answers every query it gets with its own name. */
    static SerfTestNet answering(int n) {
        SerfTestNet net = SerfCoreTest.cluster(n, SerfConfig.defaults());
        for (SerfTestNet.Node node : net.nodes) {
            node.listener = e -> {
                if (e instanceof SerfEvent.Query q) {
                    node.serf.respond(q.query(), node.name.getBytes(StandardCharsets.UTF_8));
                }
            };
        }
        return net;
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void everyNodeAcksAndAnswersOnceAndTheQueryEndsAtItsDeadline() {
        SerfTestNet net = answering(4);
        SerfTestNet.Node n2 = net.node("n2");
        Duration expected = Duration.ofMillis(200 * 16 * 1); // gossipInterval x 16 x ceil(log10(5))
        assertEquals(expected, n2.serf.defaultQueryTimeout());
        long start = net.now;
        QueryHandle q = n2.serf.query("load", "?".getBytes(StandardCharsets.UTF_8),
                QueryOptions.builder().requestAck(true).build());
        assertEquals(start + expected.toNanos(), q.deadlineNanos());
        net.run(Duration.ofSeconds(1));
        assertEquals(Set.of("n0", "n1", "n2", "n3"), q.acks());
        assertEquals(Set.of("n0", "n1", "n2", "n3"), q.responses().keySet());
        assertEquals("n3", text(q.responses().get("n3")));
        assertFalse(q.isFinished());
        net.run(Duration.ofSeconds(3));
        assertTrue(q.isFinished());
        assertEquals(4, n2.events(SerfEvent.QueryAck.class).size());
        assertEquals(4, n2.events(SerfEvent.QueryResponse.class).size());
        assertEquals(1, n2.events(SerfEvent.QueryDone.class).size());
        // Each receiver saw the query once, with its payload, source and deadline.
        for (SerfTestNet.Node n : net.nodes) {
            List<SerfEvent.Query> got = n.events(SerfEvent.Query.class);
            assertEquals(1, got.size(), n.name);
            IncomingQuery in = got.get(0).query();
            assertEquals("load", in.name());
            assertEquals("?", text(in.payload()));
            assertEquals("n2", in.sourceNode());
            assertEquals(n2.address, in.replyTo());
            assertTrue(in.responded());
        }
    }

    @Test
    void tagAndNodeFiltersSelectWhoProcessesTheQuery() {
        SerfTestNet net = answering(6); // n0, n2, n4: role=web; n1, n3, n5: role=db
        SerfTestNet.Node n1 = net.node("n1");
        QueryHandle web = n1.serf.query("q", null, QueryOptions.builder().requestAck(true)
                .filterTag("role", "^web$").build());
        QueryHandle notAnchored = n1.serf.query("q", null, QueryOptions.builder().filterTag("role", "d").build());
        QueryHandle named = n1.serf.query("q", null, QueryOptions.builder().requestAck(true)
                .filterNodes(List.of("n3", "n4", "nobody")).filterTag("role", "db|web").build());
        QueryHandle both = n1.serf.query("q", null, QueryOptions.builder()
                .filterNodes(List.of("n3", "n4")).filterTag("role", "^db").build());
        QueryHandle badRegex = n1.serf.query("q", null, QueryOptions.builder().filterTag("role", "(").build());
        QueryHandle missingTag = n1.serf.query("q", null, QueryOptions.builder().filterTag("zone", "^$").build());
        net.run(Duration.ofSeconds(5));
        assertEquals(Set.of("n0", "n2", "n4"), web.acks());
        assertEquals(Set.of("n0", "n2", "n4"), web.responses().keySet());
        assertEquals(Set.of("n1", "n3", "n5"), notAnchored.responses().keySet(), "unanchored: 'd' is found in \"db\"");
        assertEquals(Set.of("n3", "n4"), named.acks());
        assertEquals(Set.of("n3"), both.responses().keySet());
        assertEquals(Set.of(), badRegex.responses().keySet());
        assertEquals(6, missingTag.responses().size(), "a missing tag is the empty string");
        // Nodes that were filtered out still gossiped the query on.
        assertTrue(net.node("n5").serf.metrics().queriesFiltered() >= 2);
    }

    @Test
    void queriesAreDeduplicatedAndNoBroadcastIsHonoured() {
        SerfTestNet net = answering(3);
        SerfTestNet.Node n0 = net.node("n0");
        SerfMessage.Query q = new SerfMessage.Query(50, 1234, STRANGER.ip(), STRANGER.port(), "stranger", null,
                SerfMessage.QUERY_FLAG_NO_BROADCAST, 0, Duration.ofSeconds(5).toNanos(), "direct", null);
        n0.inject(q, STRANGER);
        n0.inject(q, STRANGER);
        n0.inject(new SerfMessage.Query(50, 1235, STRANGER.ip(), STRANGER.port(), "stranger", null, 0, 0,
                Duration.ofSeconds(5).toNanos(), "other-id", null), STRANGER);
        assertEquals(2, n0.events(SerfEvent.Query.class).size());
        assertEquals(1, n0.serf.metrics().queriesDuplicate());
        net.run(Duration.ofSeconds(3));
        assertFalse(n0.sent(SerfMessage.Query.class).stream().anyMatch(m -> m.name().equals("direct")),
                "no-broadcast: not gossiped on");
        assertTrue(n0.sent(SerfMessage.Query.class).stream().anyMatch(m -> m.name().equals("other-id")));
        assertEquals(1, net.node("n1").events(SerfEvent.Query.class).size(), "n1 got only the gossiped one");
        // Responses went straight to the stranger's address, as a type 5 message.
        assertEquals(2, n0.sent.stream().filter(s -> s.to().equals(STRANGER)
                && s.message() instanceof SerfMessage.QueryResponse).count());
        // A query older than the buffer is dropped.
        n0.inject(new SerfMessage.Query(2000, 1, STRANGER.ip(), 1, "s", null, 0, 0, 1, "new", null), STRANGER);
        n0.inject(new SerfMessage.Query(1000, 1, STRANGER.ip(), 1, "s", null, 0, 0, 1, "ancient", null), STRANGER);
        assertEquals(1, n0.serf.metrics().queriesTooOld());
    }

    @Test
    void respondingIsOnceBeforeTheDeadlineAndWithinTheSizeLimit() {
        SerfTestNet net = SerfCoreTest.cluster(2, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        n0.inject(new SerfMessage.Query(9, 1, net.node("n1").address.ip(), 7946, "n1", null, 0, 0,
                Duration.ofSeconds(1).toNanos(), "q", null), STRANGER);
        n0.inject(new SerfMessage.Query(10, 2, net.node("n1").address.ip(), 7946, "n1", null, 0, 0,
                Duration.ofSeconds(1).toNanos(), "late", null), STRANGER);
        n0.inject(new SerfMessage.Query(11, 3, new byte[3], 7946, "n1", null, 0, 0, 1_000_000_000L, "noaddr", null),
                STRANGER);
        List<SerfEvent.Query> got = n0.events(SerfEvent.Query.class);
        IncomingQuery q = got.get(0).query();
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> n0.serf.respond(q, new byte[1024]));
        assertTrue(big.getMessage().contains("1024"), big.getMessage());
        n0.serf.respond(q, new byte[900]);
        assertThrows(IllegalStateException.class, () -> n0.serf.respond(q, null));
        net.run(Duration.ofMillis(1500));
        IllegalStateException late = assertThrows(IllegalStateException.class,
                () -> n0.serf.respond(got.get(1).query(), null));
        assertTrue(late.getMessage().contains("deadline"), late.getMessage());
        assertNull(got.get(2).query().replyTo());
        assertThrows(IllegalStateException.class, () -> n0.serf.respond(got.get(2).query(), null));
    }

    @Test
    void answersForUnknownFinishedOrMismatchedQueriesAreIgnored() {
        SerfTestNet net = SerfCoreTest.cluster(2, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        QueryHandle q = n0.serf.query("q", null, QueryOptions.builder().timeout(Duration.ofSeconds(1)).build());
        long ignored = n0.serf.metrics().answersIgnored();
        n0.inject(new SerfMessage.QueryResponse(q.ltime(), q.id() + 1, "x", 0, null), STRANGER);
        n0.inject(new SerfMessage.QueryResponse(q.ltime() + 7, q.id(), "x", 0, null), STRANGER);
        n0.inject(new SerfMessage.QueryResponse(q.ltime(), q.id(), "x", SerfMessage.QUERY_FLAG_ACK, null), STRANGER);
        assertEquals(ignored + 3, n0.serf.metrics().answersIgnored(), "wrong id, unknown time, unrequested ack");
        n0.inject(new SerfMessage.QueryResponse(q.ltime(), q.id(), "x", 0, new byte[] {1}), STRANGER);
        n0.inject(new SerfMessage.QueryResponse(q.ltime(), q.id(), "x", 0, new byte[] {2}), STRANGER);
        assertEquals(1, q.responses().get("x")[0], "the first response per node counts");
        net.run(Duration.ofSeconds(2));
        assertTrue(q.isFinished());
        int before = q.responses().size();
        n0.inject(new SerfMessage.QueryResponse(q.ltime(), q.id(), "y", 0, null), STRANGER);
        assertEquals(before, q.responses().size());
    }

    @Test
    void relayFactorSendsCopiesThroughOtherMembers() {
        SerfTestNet net = answering(5);
        SerfTestNet.Node n0 = net.node("n0");
        QueryHandle q = n0.serf.query("q", null, QueryOptions.builder().requestAck(true).relayFactor(2).build());
        net.run(Duration.ofSeconds(5));
        assertEquals(5, q.acks().size());
        assertEquals(5, q.responses().size());
        long relaysSent = 0;
        long forwarded = 0;
        for (SerfTestNet.Node n : net.nodes) {
            relaysSent += n.serf.metrics().relaysSent();
            forwarded += n.serf.metrics().relaysForwarded();
        }
        assertEquals(5 * 2 * 2, relaysSent, "ack and response, each through two members, from every node");
        assertEquals(relaysSent, forwarded);
        assertTrue(n0.serf.metrics().answersIgnored() >= 20 - 0, "the relayed copies were duplicates");
        for (SerfTestNet.Node n : net.nodes) {
            for (SerfTestNet.Sent s : n.sent) {
                if (s.message() instanceof SerfMessage.Relay r) {
                    assertEquals("n0", r.destName());
                    assertFalse(s.to().equals(n.address), "never relayed through itself");
                }
            }
        }
    }

    @Test
    void relayFactorAboveTheClusterSizeSendsNoRelays() {
        SerfTestNet net = answering(3);
        QueryHandle q = net.node("n0").serf.query("q", null, QueryOptions.builder().relayFactor(3).build());
        net.run(Duration.ofSeconds(4));
        assertEquals(3, q.responses().size());
        for (SerfTestNet.Node n : net.nodes) {
            assertEquals(0, n.serf.metrics().relaysSent());
        }
    }

    @Test
    void aQueryOverTheSizeLimitIsRefusedAndOldProtocolsHaveNoQueries() {
        SerfTestNet net = SerfCoreTest.cluster(2, SerfConfig.defaults());
        assertThrows(IllegalArgumentException.class, () -> net.node("n0").serf.query("q", new byte[1000],
                QueryOptions.defaults()));
        net.node("n0").serf.query("q", new byte[900], QueryOptions.defaults());
        SerfTestNet old = new SerfTestNet();
        SerfTestNet.Node n = old.add("a", SerfConfig.builder().protocolVersion(3).build(), Map.of("role", "x"), null);
        assertNotNull(n);
        n.serf.start();
        assertThrows(UnsupportedOperationException.class, () -> n.serf.query("q", null, QueryOptions.defaults()));
        assertEquals(3, n.core.localMember().versions().dCur());
    }

    // ---- built-in queries ---------------------------------------------------------------------

    @Test
    void pingIsAnsweredByTheAckAloneAndNeverReachesTheHost() {
        SerfTestNet net = answering(4);
        QueryHandle q = net.node("n1").serf.query("_serf_ping", null, QueryOptions.builder().requestAck(true).build());
        net.run(Duration.ofSeconds(4));
        assertEquals(Set.of("n0", "n1", "n2", "n3"), q.acks());
        assertEquals(Set.of(), q.responses().keySet());
        for (SerfTestNet.Node n : net.nodes) {
            assertEquals(0, n.events(SerfEvent.Query.class).size(), n.name);
        }
    }

    @Test
    void conflictIsAnsweredWithTheMemberAsKnownExceptByTheNodeItself() {
        SerfTestNet net = SerfCoreTest.cluster(4, SerfConfig.defaults());
        QueryHandle q = net.node("n0").serf.query("_serf_conflict", "n2".getBytes(StandardCharsets.UTF_8),
                QueryOptions.defaults());
        QueryHandle unknown = net.node("n0").serf.query("_serf_conflict", "zz".getBytes(StandardCharsets.UTF_8),
                QueryOptions.defaults());
        net.run(Duration.ofSeconds(4));
        assertEquals(Set.of("n0", "n1", "n3"), q.responses().keySet());
        SerfPayload.MemberInfo m = SerfCodec.decodeConflictResponse(q.responses().get("n1")).value().member();
        assertEquals("n2", m.name());
        assertEquals(net.node("n2").address, NodeAddress.of(m.addr(), m.port()));
        assertEquals(SerfMemberStatus.ALIVE.code(), m.status());
        assertEquals(Map.of("role", "web"), m.tags());
        assertEquals(5, m.delegateCur());
        assertNull(SerfCodec.decodeConflictResponse(unknown.responses().get("n3")).value().member());
    }

    @Test
    void aNameConflictAboutThisNodeRunsTheVote() {
        SerfTestNet net = SerfCoreTest.cluster(4, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        NodeAddress impostor = NodeAddress.of("10.7.7.7", 7946);
        byte[] alive = WireEncoder.encode(new Message.Alive(99, "n0", impostor.ip(), impostor.port(), null,
                new byte[] {1, 5, 2, 2, 5, 5}));
        n0.core.handlePacket(impostor, alive, 0, alive.length);
        n0.core.handlePacket(impostor, alive, 0, alive.length); // one vote at a time
        net.run(Duration.ofSeconds(5));
        assertEquals(List.of(new SerfEvent.NameConflictResolved(true, 3, 3)),
                n0.events(SerfEvent.NameConflictResolved.class));
    }
}
