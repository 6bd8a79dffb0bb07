package dev.grapevine.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.wire.SerfMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** User events: the event clock, de-duplication, size limits, push/pull replay, ignore-old, coalescing. */
class SerfEventsTest {
    static final NodeAddress STRANGER = SerfCoreTest.STRANGER;

    static Map<String, Integer> counts(SerfTestNet.Node n) {
        Map<String, Integer> out = new HashMap<>();
        for (SerfEvent.User u : n.events(SerfEvent.User.class)) {
            out.merge(u.name() + "/" + new String(u.payload(), StandardCharsets.UTF_8), 1, Integer::sum);
        }
        return out;
    }

    @Test
    void everyNodeGetsEveryEventExactlyOnce() {
        SerfTestNet net = SerfCoreTest.cluster(5, SerfConfig.defaults());
        for (int i = 0; i < 20; i++) {
            SerfTestNet.Node from = net.nodes.get(i % 5);
            from.serf.userEvent("ev-" + i, ("p" + i).getBytes(StandardCharsets.UTF_8), false);
            net.run(Duration.ofMillis(50));
        }
        net.run(Duration.ofSeconds(10));
        for (SerfTestNet.Node n : net.nodes) {
            Map<String, Integer> c = counts(n);
            assertEquals(20, c.size(), n.name + " " + c);
            assertTrue(c.values().stream().allMatch(v -> v == 1), n.name + " " + c);
            assertTrue(n.serf.metrics().eventsDuplicate() > 0, "gossip brought duplicates, which were dropped");
        }
    }

    @Test
    void theSenderStampsItsEventClockAndReceiversWitnessIt() {
        SerfTestNet net = SerfCoreTest.cluster(2, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        SerfTestNet.Node n1 = net.node("n1");
        assertEquals(1, n0.serf.eventTime());
        n0.serf.userEvent("a", null, false);
        assertEquals(2, n0.serf.eventTime());
        assertEquals(1, n0.events(SerfEvent.User.class).get(0).ltime(), "delivered locally at once");
        net.run(Duration.ofSeconds(2));
        assertEquals(1, n1.events(SerfEvent.User.class).get(0).ltime());
        assertEquals(2, n1.serf.eventTime(), "witnessed 1");
        n1.inject(new SerfMessage.UserEvent(40, "b", null, false), STRANGER);
        assertEquals(41, n1.serf.eventTime());
    }

    @Test
    void deduplicationIsByLTimeNameAndPayload() {
        SerfTestNet net = SerfCoreTest.cluster(2, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        n0.inject(new SerfMessage.UserEvent(5, "x", new byte[] {1}, false), STRANGER);
        n0.inject(new SerfMessage.UserEvent(5, "x", new byte[] {1}, true), STRANGER); // CC is not part of the key
        n0.inject(new SerfMessage.UserEvent(5, "x", new byte[] {2}, false), STRANGER);
        n0.inject(new SerfMessage.UserEvent(5, "y", new byte[] {1}, false), STRANGER);
        n0.inject(new SerfMessage.UserEvent(6, "x", new byte[] {1}, false), STRANGER);
        n0.inject(new SerfMessage.UserEvent(7, "z", null, false), STRANGER);
        n0.inject(new SerfMessage.UserEvent(7, "z", new byte[0], false), STRANGER); // nil equals empty, as in Go
        assertEquals(5, n0.events(SerfEvent.User.class).size());
        assertEquals(2, n0.serf.metrics().eventsDuplicate());
        // Only the new ones were queued for re-gossip.
        net.run(Duration.ofSeconds(3));
        assertEquals(5, n0.sent(SerfMessage.UserEvent.class).stream().map(e -> e.ltime() + e.name()
                + java.util.Arrays.toString(e.payload())).distinct().count());
    }

    @Test
    void eventsOlderThanTheBufferAreDropped() {
        SerfTestNet net = SerfCoreTest.cluster(2, SerfConfig.builder().eventBuffer(16).build());
        SerfTestNet.Node n0 = net.node("n0");
        n0.inject(new SerfMessage.UserEvent(100, "new", null, false), STRANGER);
        n0.inject(new SerfMessage.UserEvent(84, "old", null, false), STRANGER); // clock 101: floor 101-16 = 85
        n0.inject(new SerfMessage.UserEvent(85, "edge", null, false), STRANGER);
        assertEquals(List.of("new", "edge"), n0.events(SerfEvent.User.class).stream().map(SerfEvent.User::name).toList());
        assertEquals(1, n0.serf.metrics().eventsTooOld());
    }

    @Test
    void oneLamportTimeHoldsABoundedNumberOfEvents() {
        SerfTestNet net = SerfCoreTest.cluster(2, SerfConfig.defaults());
        SerfTestNet.Node n0 = net.node("n0");
        for (int i = 0; i < SerfCore.MAX_EVENTS_PER_LTIME + 10; i++) {
            n0.inject(new SerfMessage.UserEvent(3, "e" + i, null, false), STRANGER);
        }
        assertEquals(SerfCore.MAX_EVENTS_PER_LTIME, n0.events(SerfEvent.User.class).size());
        assertEquals(10, n0.serf.metrics().eventsDropped());
    }

    @Test
    void sizeLimitsAreSerfsAndAPacketsAndTheClockDoesNotMoveOnRefusal() {
        SerfTestNet net = SerfCoreTest.cluster(2, SerfConfig.defaults());
        SerfCore s = net.node("n0").serf;
        long clock = s.eventTime();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.userEvent("n", new byte[512], false));
        assertTrue(e.getMessage().contains("before encoding"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.userEvent("n", new byte[500], false));
        assertTrue(e.getMessage().contains("after encoding"), e.getMessage());
        s.userEvent("n", new byte[480], false);
        assertEquals(clock + 1, s.eventTime());

        SerfTestNet big = SerfCoreTest.cluster(2, SerfConfig.builder().userEventSizeLimit(9 * 1024).build());
        SerfCore b = big.node("n0").serf;
        e = assertThrows(IllegalArgumentException.class, () -> b.userEvent("n", new byte[2000], false));
        assertTrue(e.getMessage().contains("does not fit a packet"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.userEvent("n", new byte[9 * 1024], false));
        assertTrue(e.getMessage().contains("9216"), e.getMessage());
        b.userEvent("n", new byte[1300], false);
        big.run(Duration.ofSeconds(3));
        assertEquals(1, big.node("n1").events(SerfEvent.User.class).size(), "the largest event still travels");
    }

    @Test
    void aNodeThatJoinsLaterGetsTheRecentEventsUnlessItIgnoresOldOnes() {
        SerfTestNet net = SerfCoreTest.cluster(2, SerfConfig.defaults());
        net.node("n0").serf.userEvent("before-1", null, false);
        net.node("n1").serf.userEvent("before-2", null, false);
        net.run(Duration.ofSeconds(3));
        SerfTestNet.Node replay = net.add("replay", SerfConfig.defaults(), Map.of(), null);
        SerfTestNet.Node ignore = net.add("ignore", SerfConfig.defaults(), Map.of(), null);
        replay.serf.start();
        replay.serf.join(List.of(net.node("n0").address), false);
        ignore.serf.start();
        ignore.serf.join(List.of(net.node("n1").address), true);
        net.run(Duration.ofSeconds(3));
        assertEquals(Map.of("before-1/", 1, "before-2/", 1), counts(replay), "replayed from the push/pull ring");
        assertEquals(Map.of(), counts(ignore), "ignoreOld");
        net.node("n0").serf.userEvent("after", null, false);
        net.run(Duration.ofSeconds(3));
        assertEquals(Map.of("after/", 1), counts(ignore));
        assertEquals(3, counts(replay).size());
        // Later push/pulls replay the ring again: still exactly once.
        net.run(Duration.ofSeconds(90));
        assertEquals(Map.of("before-1/", 1, "before-2/", 1, "after/", 1), counts(replay));
        assertEquals(Map.of("after/", 1), counts(ignore));
    }

    @Test
    void coalescingDeliversOnlyTheNewestEventsPerNameInAWindow() {
        SerfConfig cfg = SerfConfig.builder().userCoalescePeriod(Duration.ofSeconds(2))
                .userQuiescentPeriod(Duration.ofMillis(500)).build();
        SerfTestNet net = SerfCoreTest.cluster(2, cfg);
        SerfTestNet.Node n1 = net.node("n1");
        n1.inject(new SerfMessage.UserEvent(10, "deploy", "v1".getBytes(StandardCharsets.UTF_8), true), STRANGER);
        n1.inject(new SerfMessage.UserEvent(12, "deploy", "v3".getBytes(StandardCharsets.UTF_8), true), STRANGER);
        n1.inject(new SerfMessage.UserEvent(11, "deploy", "v2".getBytes(StandardCharsets.UTF_8), true), STRANGER);
        n1.inject(new SerfMessage.UserEvent(12, "deploy", "v3b".getBytes(StandardCharsets.UTF_8), true), STRANGER);
        n1.inject(new SerfMessage.UserEvent(11, "other", null, true), STRANGER);
        n1.inject(new SerfMessage.UserEvent(11, "plain", null, false), STRANGER);
        assertEquals(List.of("plain"), n1.events(SerfEvent.User.class).stream().map(SerfEvent.User::name).toList(),
                "events that may not be coalesced pass at once");
        net.run(Duration.ofMillis(600)); // quiet for longer than the quiescent period: flush
        List<String> got = new ArrayList<>();
        for (SerfEvent.User u : n1.events(SerfEvent.User.class)) {
            got.add(u.name() + "@" + u.ltime() + ":" + new String(u.payload(), StandardCharsets.UTF_8));
        }
        assertEquals(List.of("plain@11:", "deploy@12:v3", "deploy@12:v3b", "other@11:"), got);
    }

    @Test
    void aBusyWindowIsFlushedAtTheCoalescePeriod() {
        SerfConfig cfg = SerfConfig.builder().userCoalescePeriod(Duration.ofSeconds(2))
                .userQuiescentPeriod(Duration.ofMillis(500)).build();
        SerfTestNet net = SerfCoreTest.cluster(2, cfg);
        SerfTestNet.Node n1 = net.node("n1");
        long start = net.now;
        for (int i = 0; i < 10; i++) {
            n1.inject(new SerfMessage.UserEvent(100 + i, "tick", null, true), STRANGER);
            net.run(Duration.ofMillis(300)); // never quiet for 500 ms
        }
        List<SerfEvent.User> got = n1.events(SerfEvent.User.class);
        assertTrue(got.size() >= 1 && got.size() <= 2, "coalesced: " + got);
        assertEquals(106, got.get(0).ltime(), "the window closed 2 s after its first event");
        assertTrue(net.now - start >= Duration.ofSeconds(2).toNanos());
    }
}
