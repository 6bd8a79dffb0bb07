package dev.grapevine.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The de-duplication rings on their own: Serf's slot rules and Grapevine's bounds. */
class RingsTest {

    @Test
    void eventRingDeduplicatesAndReplacesSlotsByLamportTime() {
        EventRing r = new EventRing(4);
        assertEquals(EventRing.Outcome.NEW, r.record(1, "a", null, 2, 0));
        assertEquals(EventRing.Outcome.DUPLICATE, r.record(1, "a", new byte[0], 2, 0));
        assertEquals(EventRing.Outcome.NEW, r.record(1, "b", null, 2, 0));
        assertEquals(EventRing.Outcome.NEW, r.record(5, "a", null, 6, 0), "slot 1 now holds time 5");
        assertEquals(EventRing.Outcome.TOO_OLD, r.record(1, "c", null, 6, 0), "6 > 4 and 1 < 6 - 4");
        assertEquals(EventRing.Outcome.TOO_OLD, r.record(3, "c", null, 6, 4), "before the minimum time");
        assertEquals(4, r.snapshot().size());
        assertEquals(5, r.snapshot().get(1).ltime());
        assertNull(r.snapshot().get(0));
        assertNull(r.selfCheck());
    }

    @Test
    void eventRingIsBoundedInBytes() {
        EventRing r = new EventRing(8);
        byte[] big = new byte[1 << 20];
        int accepted = 0;
        for (int i = 0; i < 20; i++) {
            if (r.record(1, "e" + i, big, 2, 0) == EventRing.Outcome.NEW) {
                accepted++;
            }
        }
        assertEquals(7, accepted, "8 MiB hold seven 1 MiB events and their names");
        assertEquals(EventRing.Outcome.FULL, r.record(2, "small", big, 3, 0));
        assertEquals(EventRing.Outcome.NEW, r.record(9, "x", big, 10, 0), "replacing slot 1 freed its bytes");
        assertEquals(1 << 20, r.bytes() - 3);
        assertNull(r.selfCheck());
    }

    @Test
    void queryRingDeduplicatesByLamportTimeAndId() {
        QueryRing r = new QueryRing(4);
        assertEquals(QueryRing.Outcome.NEW, r.record(1, 7, 2, 0));
        assertEquals(QueryRing.Outcome.DUPLICATE, r.record(1, 7, 2, 0));
        assertEquals(QueryRing.Outcome.NEW, r.record(1, 8, 2, 0));
        assertEquals(QueryRing.Outcome.NEW, r.record(5, 7, 6, 0));
        assertEquals(QueryRing.Outcome.TOO_OLD, r.record(1, 9, 6, 0));
        for (int i = 0; i < QueryRing.MAX_PER_LTIME + 5; i++) {
            r.record(2, 1000 + i, 6, 0);
        }
        assertEquals(QueryRing.Outcome.DUPLICATE, r.record(2, 5000, 6, 0), "a full time counts as seen");
        assertNull(r.selfCheck());
    }
}
