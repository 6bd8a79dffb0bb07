package dev.grapevine.serf;

import dev.grapevine.membership.wire.SerfMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Serf's {@code eventBuffer}: the user events seen at each of the last {@code size} event Lamport
 * times, one slot per time ({@code ltime % size}), for de-duplication by (Lamport time, name,
 * payload) and for replay through push/pull.
 *
 * <p>Bounded (Serf keeps any number): at most {@value #MAX_PER_LTIME} distinct events per Lamport
 * time, and at most {@value #MAX_BYTES} bytes of names and payloads in the whole ring, which every
 * push/pull carries. Concurrent events share Lamport times (every sender stamps the clock it has
 * witnessed), so the per-time bound is generous. Not thread-safe: owned by one {@link SerfCore}.
 */
final class EventRing {
    /** Distinct user events remembered per Lamport time. */
    static final int MAX_PER_LTIME = 1024;
    /** Bytes of event names and payloads the whole ring holds at most. */
    static final long MAX_BYTES = 8L << 20;
    private static final byte[] EMPTY = new byte[0];

    /** What {@link #record} decided. */
    enum Outcome {
        /** First sight: deliver and re-gossip. */
        NEW,
        /** Already seen at this Lamport time. */
        DUPLICATE,
        /** Older than the ring, or than the minimum time after an ignore-old join. */
        TOO_OLD,
        /** Its Lamport time, or the ring, is full. */
        FULL
    }

    private static final class Slot {
        final long ltime;
        final List<SerfMessage.EventEntry> events = new ArrayList<>(2);
        long bytes;

        Slot(long ltime) {
            this.ltime = ltime;
        }
    }

    private final Slot[] slots;
    private long bytes;

    EventRing(int size) {
        slots = new Slot[size];
    }

    int size() {
        return slots.length;
    }

    /**
     * Serf's {@code handleUserEvent} after the clock was witnessed: the too-old checks, then the
     * de-duplication; a new event is remembered.
     *
     * @param clockNow the event clock's value after witnessing {@code ltime}
     * @param minTime  events before this Lamport time are too old (ignore-old joins)
     */
    Outcome record(long ltime, String name, byte[] payload, long clockNow, long minTime) {
        if (ltime < minTime) {
            return Outcome.TOO_OLD;
        }
        int n = slots.length;
        if (clockNow > n && ltime < clockNow - n) {
            return Outcome.TOO_OLD;
        }
        int idx = (int) (ltime % n);
        Slot seen = slots[idx];
        SerfMessage.EventEntry entry = new SerfMessage.EventEntry(name, payload);
        if (seen != null && seen.ltime == ltime) {
            for (SerfMessage.EventEntry prev : seen.events) {
                if (same(prev, entry)) {
                    return Outcome.DUPLICATE;
                }
            }
            if (seen.events.size() >= MAX_PER_LTIME) {
                return Outcome.FULL;
            }
        } else {
            if (seen != null) {
                bytes -= seen.bytes; // the slot's old Lamport time falls out of the ring
            }
            seen = new Slot(ltime);
            slots[idx] = seen;
        }
        long size = (long) name.length() * 3 + (payload == null ? 0 : payload.length);
        if (bytes + size > MAX_BYTES) {
            return Outcome.FULL;
        }
        seen.events.add(entry);
        seen.bytes += size;
        bytes += size;
        return Outcome.NEW;
    }

    /** Go's {@code userEvent.Equals}: same name, and {@code bytes.Compare} of payloads (nil equals empty). */
    private static boolean same(SerfMessage.EventEntry a, SerfMessage.EventEntry b) {
        return a.name().equals(b.name()) && Arrays.equals(a.payload() == null ? EMPTY : a.payload(),
                b.payload() == null ? EMPTY : b.payload());
    }

    /** The whole ring as push/pull carries it: one element per slot, null for empty ones. */
    List<SerfMessage.EventSlot> snapshot() {
        List<SerfMessage.EventSlot> out = new ArrayList<>(slots.length);
        for (Slot s : slots) {
            out.add(s == null ? null : new SerfMessage.EventSlot(s.ltime, new ArrayList<>(s.events)));
        }
        return out;
    }

    /** Bytes held (names counted at three bytes a char, an upper bound of their UTF-8). */
    long bytes() {
        return bytes;
    }

    /** A broken bound, or null. */
    String selfCheck() {
        long sum = 0;
        for (Slot s : slots) {
            if (s != null) {
                if (s.events.size() > MAX_PER_LTIME) {
                    return "event slot over its bound";
                }
                sum += s.bytes;
            }
        }
        if (sum != bytes || bytes > MAX_BYTES) {
            return "event ring holds " + sum + " bytes, counted " + bytes;
        }
        return null;
    }
}
