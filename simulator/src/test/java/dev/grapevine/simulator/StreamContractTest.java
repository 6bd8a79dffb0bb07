package dev.grapevine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.StreamRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StreamContractTest {

    @Test
    void everyStreamThatExpectsAReplyIsResolvedExactlyOnceAndUserMessagesNever() {
        Simulation sim = Simulation.builder().seed(21)
                .network(NetworkModel.lan().loss(0.2).latency(Duration.ofMillis(20))).build();
        sim.addNodes(10);
        Map<String, Integer> resolutions = new HashMap<>();
        Map<String, StreamRequest> opened = new HashMap<>();
        Map<String, Long> openedAt = new HashMap<>();
        Set<String> crashedRequesters = new HashSet<>();
        sim.addTap(new NetworkTap() {
            @Override
            public void streamOpened(String from, StreamRequest request, long nowNanos) {
                String key = from + "#" + request.id() + "@" + sim.node(from).restarts();
                opened.put(key, request);
                openedAt.put(key, nowNanos);
            }

            @Override
            public void streamResolved(String from, StreamRequest request, String failure, long nowNanos) {
                resolutions.merge(from + "#" + request.id() + "@" + sim.node(from).restarts(), 1, Integer::sum);
            }
        });
        int[] userMessages = new int[1];
        sim.addListener((t, o, e) -> {
            if (e instanceof MembershipEvent.UserMessage) {
                userMessages[0]++;
            }
        });
        sim.startAllAndJoin("node-0");
        sim.runFor(Duration.ofSeconds(20));
        for (int i = 0; i < 20; i++) {
            String from = "node-" + (3 + i % 7); // not from the side about to be cut off
            sim.call(from, core -> core.sendReliable(sim.node("node-0").address(), new byte[] {1, 2, 3}));
        }
        sim.slow("node-4", SlowProfile.fixed(Duration.ofSeconds(15), Duration.ofSeconds(5)));
        sim.pause("node-5");
        sim.partition(List.of(List.of("node-1", "node-2")));
        sim.runFor(Duration.ofSeconds(40));
        sim.crash("node-6");
        crashedRequesters.add("node-6");
        sim.heal();
        sim.resume("node-5");
        sim.runFor(Duration.ofSeconds(40));
        sim.unslow("node-4");
        sim.runFor(Duration.ofSeconds(30));

        int expecting = 0;
        for (Map.Entry<String, StreamRequest> e : opened.entrySet()) {
            String requester = e.getKey().substring(0, e.getKey().indexOf('#'));
            int n = resolutions.getOrDefault(e.getKey(), 0);
            if (!e.getValue().expectsReply()) {
                assertEquals(0, n, "user-message streams get no outcome: " + e.getKey());
            } else if (openedAt.get(e.getKey()) + e.getValue().timeoutNanos() >= sim.now()) {
                assertTrue(n <= 1, "still within its timeout: " + e.getKey());
            } else if (!crashedRequesters.contains(requester)) {
                expecting++;
                assertEquals(1, n, "exactly one outcome for " + e.getKey() + " " + e.getValue());
            } else {
                assertTrue(n <= 1);
            }
        }
        assertTrue(expecting > 30, "push/pulls and stream pings happened: " + expecting);
        assertEquals(20, userMessages[0], "reliable user messages all arrive");
        NetworkStats st = sim.stats();
        assertEquals(st.streamsReplied() + st.streamsFailed() + st.streamsPending(),
                opened.values().stream().filter(StreamRequest::expectsReply).count());
        assertTrue(st.streamsTimedOut() > 0 && st.streamsRefused() > 0, st.toString());
        assertEquals(List.of(), sim.violations());
    }
}
