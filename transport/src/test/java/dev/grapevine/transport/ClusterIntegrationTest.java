package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MemberState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Twenty nodes on 127.0.0.1, with memberlist's local-network timings: they join through one
 * seed and converge, detect a crash, and see a graceful leave as a leave.
 */
@Tag("integration")
class ClusterIntegrationTest {
    private static final int N = 20;

    @Test
    void twentyNodesJoinConvergeDetectACrashAndSeeALeave() {
        try (TestNodes nodes = new TestNodes()) {
            List<GrapevineNode> cluster = new ArrayList<>();
            List<RecordingListener> events = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                RecordingListener l = new RecordingListener();
                events.add(l);
                cluster.add(nodes.start("n" + i, l));
            }
            String seed = TestNodes.seed(cluster.get(0));
            for (int i = 1; i < N; i++) {
                assertEquals(1, cluster.get(i).join(seed), "n" + i + " joined through the seed");
            }

            // Convergence: everyone sees twenty alive members.
            Await.until(Duration.ofSeconds(30), "every node to see " + N + " alive members",
                    () -> cluster.stream().allMatch(n -> n.metrics().core().alive() == N),
                    () -> cluster.stream().map(n -> n.name() + "=" + n.metrics().core().alive())
                            .collect(Collectors.joining(" ")));
            for (GrapevineNode n : cluster) {
                assertEquals(N, n.numMembers(), n.name());
            }

            // A crash: n19 stops without a word; all the others must declare it dead.
            GrapevineNode crashed = cluster.get(N - 1);
            crashed.close();
            List<Integer> survivors = range(0, N - 1);
            Await.until(Duration.ofSeconds(45), "every survivor to mark n19 dead",
                    () -> survivors.stream().allMatch(i -> events.get(i).downState.get("n19") == MemberState.DEAD),
                    () -> "marked by " + survivors.stream().filter(i -> events.get(i).downState.containsKey("n19"))
                            .map(i -> "n" + i).toList());

            // A graceful leave: n18 leaves; the others see it LEFT, never DEAD.
            GrapevineNode leaver = cluster.get(N - 2);
            assertTrue(leaver.leave(Duration.ofSeconds(10)), "the leave propagated");
            List<Integer> stayers = range(0, N - 2);
            Await.until(Duration.ofSeconds(30), "every other node to see n18 leave",
                    () -> stayers.stream().allMatch(i -> events.get(i).downState.get("n18") == MemberState.LEFT),
                    () -> "left according to " + stayers.stream()
                            .filter(i -> events.get(i).downState.get("n18") == MemberState.LEFT)
                            .map(i -> "n" + i).toList());
            leaver.close();
            for (int i : stayers) {
                assertFalse(events.get(i).down.contains("n18 DEAD"), "n" + i + " never held n18 dead");
                assertEquals(N - 2, cluster.get(i).numMembers(), "n" + i);
            }
            for (int i : stayers) {
                assertTrue(cluster.get(i).healthScore() >= 0);
            }
        }
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }
}
