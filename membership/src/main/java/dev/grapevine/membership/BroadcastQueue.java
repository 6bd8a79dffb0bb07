package dev.grapevine.membership;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * memberlist's {@code TransmitLimitedQueue}: broadcasts waiting to be piggybacked, each sent at
 * most {@code retransmitLimit} times.
 *
 * <p>Selection order: fewest transmits first; within that, the largest message that still fits;
 * then the newest. A <em>named</em> broadcast (memberlist's alive/suspect/dead about node X, named
 * X) replaces any queued broadcast with the same name; unnamed ones are unique and never replace
 * each other. The queue is bounded: past {@code capacity}, the broadcasts sent most often (then
 * smallest, oldest) are dropped first, as memberlist's {@code Prune} does.
 *
 * <p>Storage is column-wise, like {@link MemberTable}: during a mass join every node queues an
 * alive for every member it learns, so a simulator of n nodes holds n² items at its peak. Each
 * item costs about 40 bytes: its message and name references, a packed sort key
 * ({@code transmits | 65535 − length | newest-first sequence}) in a {@link SortedLongIndex}, and
 * a name-index entry; no object per item.
 *
 * <p>Public so that a layer above the core (the Serf layer keeps three of these: intents, events,
 * queries) can reuse it; the core's own queues are internal.
 *
 * <p><b>Threading.</b> Not thread-safe: one thread (the core's) uses it. Listeners run
 * synchronously inside {@link #queue}, {@link #take} and {@link #clear}.
 */
public final class BroadcastQueue {

    /** Called when a broadcast leaves the queue: sent to the limit, replaced, or pruned. */
    public interface FinishListener {
        /**
         * The broadcast left the queue.
         *
         * @param transmitted true when it reached its retransmit limit, false when replaced or dropped
         */
        void finished(boolean transmitted);
    }

    /** The largest message the key can order. */
    static final int MAX_LENGTH = 0xffff;
    private static final int SEQ_BITS = 36;
    private static final long SEQ_MAX = (1L << SEQ_BITS) - 1;
    private static final int LENGTH_SHIFT = SEQ_BITS;
    private static final int TRANSMITS_SHIFT = SEQ_BITS + 16;
    /** Transmit counts stay below this (memberlist's limits are at most a few hundred). */
    static final int MAX_TRANSMITS = (1 << (63 - TRANSMITS_SHIFT)) - 1;

    private final int capacity;
    private final SortedLongIndex order = new SortedLongIndex();

    // Item columns, indexed by slot.
    private byte[][] messages = new byte[16][];
    private String[] names = new String[16];
    private long[] keys = new long[16];
    private int[] freeSlots = new int[16];
    private int freeCount;
    private int slotsUsed;
    /** Listeners are rare (a leave, an update): kept aside rather than in a column. */
    private final Map<Integer, FinishListener> listeners = new HashMap<>();

    // name -> slot + 1, open addressing with linear probing; load at most 1/2.
    private int[] nameIndex = new int[16];
    private int named;
    private long seq;

    /**
     * An empty queue.
     *
     * @param capacity the most broadcasts it holds; past it the most-sent ones are dropped
     */
    public BroadcastQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * memberlist's retransmit limit for a cluster of {@code n} nodes:
     * {@code mult × ceil(log10(n + 1))}.
     */
    public static int retransmitLimit(int mult, int n) {
        return ProtocolMath.retransmitLimit(mult, n);
    }

    /**
     * Queues {@code message}. When {@code name} is not null, a queued broadcast of the same name is
     * replaced (its listener told {@code finished(false)}).
     *
     * @throws IllegalArgumentException when the message is longer than {@value #MAX_LENGTH} bytes
     */
    public void queue(String name, byte[] message, FinishListener listener) {
        if (message.length > MAX_LENGTH) {
            throw new IllegalArgumentException("broadcast of " + message.length + " bytes is too large");
        }
        if (name != null) {
            int old = findNamed(name);
            if (old >= 0) {
                order.remove(keys[old]);
                finish(old, false);
            }
        }
        if (seq == SEQ_MAX) {
            renumber();
        }
        int slot = allocate();
        messages[slot] = message;
        names[slot] = name;
        if (listener != null) {
            listeners.put(slot, listener);
        }
        keys[slot] = key(0, message.length, ++seq);
        order.insert(keys[slot], slot);
        if (name != null) {
            addNamed(name, slot);
        }
        while (order.size() > capacity) {
            finish(order.pollLast(), false);
        }
    }

    /**
     * Takes broadcasts for one packet.
     *
     * @param overhead      bytes each message costs on top of its length (the compound length field)
     * @param limit         bytes available in total
     * @param maxCount      at most this many messages
     * @param transmitLimit sends after which a broadcast is finished
     * @param out           receives the chosen messages, in choice order
     * @return bytes used, overheads included
     */
    public int take(int overhead, int limit, int maxCount, int transmitLimit, List<byte[]> out) {
        if (order.isEmpty() || maxCount <= 0) {
            return 0;
        }
        int used = 0;
        int taken = 0;
        int[] again = null;
        int againCount = 0;
        int transmits = transmitsOf(order.firstKey());
        while (taken < maxCount) {
            int free = limit - used - overhead;
            if (free <= 0) {
                break;
            }
            // The first key at or after (transmits, free, newest) is the largest message that fits
            // in this tier, or the head of a later tier when none does.
            if (!order.ceiling(key(transmits, Math.min(free, MAX_LENGTH), SEQ_MAX))) {
                break;
            }
            long k = order.foundKey();
            if (transmitsOf(k) != transmits) {
                transmits = transmitsOf(k);
                continue;
            }
            int slot = order.removeFound();
            byte[] msg = messages[slot];
            out.add(msg);
            used += overhead + msg.length;
            taken++;
            if (transmits + 1 >= transmitLimit || transmits + 1 >= MAX_TRANSMITS) {
                finish(slot, true);
            } else {
                keys[slot] = key(transmits + 1, msg.length, seqOf(k));
                if (again == null) {
                    again = new int[Math.min(maxCount, 64)];
                } else if (againCount == again.length) {
                    again = Arrays.copyOf(again, againCount * 2);
                }
                again[againCount++] = slot;
            }
        }
        for (int i = 0; i < againCount; i++) {
            order.insert(keys[again[i]], again[i]);
        }
        return used;
    }

    /** How many broadcasts are queued. */
    public int size() {
        return order.size();
    }

    /** The bound given at construction. */
    public int capacity() {
        return capacity;
    }

    /** Drops everything (listeners told {@code finished(false)}). */
    public void clear() {
        int[] slots = order.values();
        order.clear();
        for (int slot : slots) {
            finish(slot, false);
        }
    }

    // ---- keys ----------------------------------------------------------------------------------

    private static long key(int transmits, int length, long sequence) {
        return ((long) transmits << TRANSMITS_SHIFT) | ((long) (MAX_LENGTH - length) << LENGTH_SHIFT)
                | (SEQ_MAX - sequence);
    }

    private static int transmitsOf(long key) {
        return (int) (key >>> TRANSMITS_SHIFT);
    }

    private static long seqOf(long key) {
        return SEQ_MAX - (key & SEQ_MAX);
    }

    /** Gives the queued items new sequence numbers 1..n in their current relative age. */
    private void renumber() {
        int[] slots = order.values();
        Integer[] byAge = new Integer[slots.length];
        for (int i = 0; i < slots.length; i++) {
            byAge[i] = slots[i];
        }
        Arrays.sort(byAge, (a, b) -> Long.compare(seqOf(keys[a]), seqOf(keys[b])));
        order.clear();
        seq = 0;
        for (int slot : byAge) {
            long k = keys[slot];
            keys[slot] = key(transmitsOf(k), messages[slot].length, ++seq);
            order.insert(keys[slot], slot);
        }
    }

    // ---- slots ---------------------------------------------------------------------------------

    private int allocate() {
        if (freeCount > 0) {
            return freeSlots[--freeCount];
        }
        if (slotsUsed == messages.length) {
            int cap = messages.length * 2;
            messages = Arrays.copyOf(messages, cap);
            names = Arrays.copyOf(names, cap);
            keys = Arrays.copyOf(keys, cap);
        }
        return slotsUsed++;
    }

    /** Releases a slot that is no longer in {@link #order} and tells its listener. */
    private void finish(int slot, boolean transmitted) {
        if (names[slot] != null) {
            removeNamed(names[slot]);
        }
        messages[slot] = null;
        names[slot] = null;
        if (freeCount == freeSlots.length) {
            freeSlots = Arrays.copyOf(freeSlots, freeCount * 2);
        }
        freeSlots[freeCount++] = slot;
        if (freeCount == slotsUsed) {
            seq = 0; // nothing queued any more: restart the sequence, as memberlist resets its ids
        }
        FinishListener l = listeners.isEmpty() ? null : listeners.remove(slot);
        if (l != null) {
            l.finished(transmitted);
        }
    }

    // ---- name index ----------------------------------------------------------------------------

    private int findNamed(String name) {
        int mask = nameIndex.length - 1;
        for (int h = spread(name.hashCode()) & mask; ; h = (h + 1) & mask) {
            int v = nameIndex[h];
            if (v == 0) {
                return -1;
            }
            if (names[v - 1].equals(name)) {
                return v - 1;
            }
        }
    }

    private void addNamed(String name, int slot) {
        if ((named + 1) * 2 > nameIndex.length) {
            int[] old = nameIndex;
            nameIndex = new int[old.length * 2];
            for (int v : old) {
                if (v != 0) {
                    insertNamed(names[v - 1], v - 1);
                }
            }
        }
        insertNamed(name, slot);
        named++;
    }

    private void insertNamed(String name, int slot) {
        int mask = nameIndex.length - 1;
        int h = spread(name.hashCode()) & mask;
        while (nameIndex[h] != 0) {
            h = (h + 1) & mask;
        }
        nameIndex[h] = slot + 1;
    }

    /** Deletes with backward shifting, so linear probing needs no tombstones. */
    private void removeNamed(String name) {
        int mask = nameIndex.length - 1;
        int h = spread(name.hashCode()) & mask;
        while (true) {
            int v = nameIndex[h];
            if (v == 0) {
                return;
            }
            if (names[v - 1].equals(name)) {
                break;
            }
            h = (h + 1) & mask;
        }
        named--;
        int hole = h;
        for (int i = (hole + 1) & mask; nameIndex[i] != 0; i = (i + 1) & mask) {
            int home = spread(names[nameIndex[i] - 1].hashCode()) & mask;
            // Move the entry back into the hole unless its home lies cyclically in (hole, i].
            boolean stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
            if (!stays) {
                nameIndex[hole] = nameIndex[i];
                hole = i;
            }
        }
        nameIndex[hole] = 0;
    }

    private static int spread(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }
}
