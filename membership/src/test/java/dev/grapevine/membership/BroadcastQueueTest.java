package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BroadcastQueueTest {

    private static byte[] msg(int len, int tag) {
        byte[] b = new byte[len];
        b[0] = (byte) tag;
        return b;
    }

    private static List<byte[]> take(BroadcastQueue q, int limit, int transmitLimit) {
        List<byte[]> out = new ArrayList<>();
        q.take(2, limit, 255, transmitLimit, out);
        return out;
    }

    @Test
    void fewestTransmitsFirstThenLargestThenNewest() {
        BroadcastQueue q = new BroadcastQueue(100);
        q.queue(null, msg(10, 1), null);
        q.queue(null, msg(30, 2), null);
        q.queue(null, msg(10, 3), null);
        List<byte[]> out = take(q, 1000, 10);
        assertEquals(3, out.size());
        assertEquals(2, out.get(0)[0], "largest first");
        assertEquals(3, out.get(1)[0], "then newest");
        assertEquals(1, out.get(2)[0]);
        q.queue(null, msg(5, 4), null);
        out = take(q, 1000, 10);
        assertEquals(4, out.get(0)[0], "never-sent message goes before ones sent once");
    }

    @Test
    void picksOnlyWhatFitsTheBudgetAndSkipsToSmallerOnes() {
        BroadcastQueue q = new BroadcastQueue(100);
        q.queue(null, msg(100, 1), null);
        q.queue(null, msg(40, 2), null);
        q.queue(null, msg(20, 3), null);
        // budget 70: 100 does not fit; 40 (+2) fits; then 20 (+2) fits: 64 bytes used.
        List<byte[]> out = take(q, 70, 10);
        assertEquals(2, out.size());
        assertEquals(2, out.get(0)[0]);
        assertEquals(3, out.get(1)[0]);
        // the 100-byte message, never sent, is still first in line for a bigger packet
        out = take(q, 200, 10);
        assertEquals(1, out.get(0)[0]);
    }

    @Test
    void dropsAfterTheTransmitLimitAndTellsTheListener() {
        BroadcastQueue q = new BroadcastQueue(100);
        boolean[] done = new boolean[2];
        q.queue("x", msg(10, 1), t -> {
            done[0] = true;
            done[1] = t;
        });
        for (int i = 0; i < 3; i++) {
            assertEquals(1, take(q, 100, 3).size());
        }
        assertTrue(done[0]);
        assertTrue(done[1], "finished by transmission");
        assertEquals(0, q.size());
        assertEquals(0, take(q, 100, 3).size());
    }

    @Test
    void namedBroadcastReplacesTheOlderOneAboutTheSameNode() {
        BroadcastQueue q = new BroadcastQueue(100);
        boolean[] replaced = new boolean[1];
        q.queue("node-a", msg(10, 1), t -> replaced[0] = !t);
        q.queue("node-b", msg(10, 2), null);
        q.queue("node-a", msg(12, 3), null);
        assertTrue(replaced[0]);
        assertEquals(2, q.size());
        List<byte[]> out = take(q, 1000, 10);
        assertArrayEquals(new int[] {3, 2}, out.stream().mapToInt(b -> b[0]).toArray());
    }

    @Test
    void unnamedBroadcastsNeverReplaceEachOther() {
        BroadcastQueue q = new BroadcastQueue(100);
        q.queue(null, msg(10, 1), null);
        q.queue(null, msg(10, 1), null);
        assertEquals(2, q.size());
    }

    @Test
    void boundedQueueDropsTheMostSentFirst() {
        BroadcastQueue q = new BroadcastQueue(3);
        q.queue(null, msg(10, 1), null);
        take(q, 1000, 10); // message 1 sent once
        q.queue(null, msg(10, 2), null);
        q.queue(null, msg(10, 3), null);
        boolean[] dropped = new boolean[1];
        q.queue(null, msg(10, 4), null);
        assertEquals(3, q.size());
        List<byte[]> out = take(q, 1000, 10);
        assertEquals(3, out.size());
        for (byte[] b : out) {
            assertTrue(b[0] != 1, "the already-sent message was the one dropped");
        }
        assertEquals(false, dropped[0]);
    }

    @Test
    void respectsTheMessageCountCap() {
        BroadcastQueue q = new BroadcastQueue(1000);
        for (int i = 0; i < 300; i++) {
            q.queue(null, msg(1, i), null);
        }
        List<byte[]> out = new ArrayList<>();
        q.take(2, 65_000, 255, 10, out);
        assertEquals(255, out.size());
    }
}
