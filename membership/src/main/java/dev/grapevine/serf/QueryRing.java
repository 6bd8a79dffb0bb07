package dev.grapevine.serf;

import java.util.Arrays;

/**
 * Serf's {@code queryBuffer}: the query ids seen at each of the last {@code size} query Lamport
 * times, for de-duplication by (Lamport time, id).
 *
 * <p>Bounded: at most {@value #MAX_PER_LTIME} ids per Lamport time (Serf keeps any number). Not
 * thread-safe: owned by one {@link SerfCore}.
 */
final class QueryRing {
    /** Distinct query ids remembered per Lamport time. */
    static final int MAX_PER_LTIME = 256;

    /** What {@link #record} decided. */
    enum Outcome {
        /** First sight: process and re-gossip. */
        NEW,
        /** Already seen, or its Lamport time is full. */
        DUPLICATE,
        /** Older than the ring. */
        TOO_OLD
    }

    private static final class Slot {
        final long ltime;
        int[] ids = new int[2];
        int count;

        Slot(long ltime) {
            this.ltime = ltime;
        }

        boolean contains(int id) {
            for (int i = 0; i < count; i++) {
                if (ids[i] == id) {
                    return true;
                }
            }
            return false;
        }

        void add(int id) {
            if (count == ids.length) {
                ids = Arrays.copyOf(ids, count * 2);
            }
            ids[count++] = id;
        }
    }

    private final Slot[] slots;

    QueryRing(int size) {
        slots = new Slot[size];
    }

    /**
     * Serf's {@code handleQuery} checks after the clock was witnessed: too old, then seen.
     *
     * @param clockNow the query clock's value after witnessing {@code ltime}
     * @param minTime  queries before this Lamport time are too old
     */
    Outcome record(long ltime, int id, long clockNow, long minTime) {
        if (ltime < minTime) {
            return Outcome.TOO_OLD;
        }
        int n = slots.length;
        if (clockNow > n && ltime < clockNow - n) {
            return Outcome.TOO_OLD;
        }
        int idx = (int) (ltime % n);
        Slot seen = slots[idx];
        if (seen != null && seen.ltime == ltime) {
            if (seen.contains(id) || seen.count >= MAX_PER_LTIME) {
                return Outcome.DUPLICATE;
            }
        } else {
            seen = new Slot(ltime);
            slots[idx] = seen;
        }
        seen.add(id);
        return Outcome.NEW;
    }

    /** A broken bound, or null. */
    String selfCheck() {
        for (Slot s : slots) {
            if (s != null && s.count > MAX_PER_LTIME) {
                return "query slot over its bound";
            }
        }
        return null;
    }
}
