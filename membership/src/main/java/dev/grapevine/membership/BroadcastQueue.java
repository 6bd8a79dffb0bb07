package dev.grapevine.membership;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

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
 * <p>Core-thread only.
 */
final class BroadcastQueue {

    /** Called when a broadcast leaves the queue: sent to the limit, replaced, or pruned. */
    interface FinishListener {
        /** @param transmitted true when it reached its retransmit limit, false when replaced or dropped */
        void finished(boolean transmitted);
    }

    private static final Comparator<Item> ORDER = (a, b) -> {
        if (a.transmits != b.transmits) {
            return Integer.compare(a.transmits, b.transmits);
        }
        if (a.length != b.length) {
            return Integer.compare(b.length, a.length);
        }
        return Long.compare(b.id, a.id);
    };

    private static final class Item {
        int transmits;
        final int length;
        final long id;
        final byte[] message;
        final String name;
        final FinishListener listener;

        Item(int transmits, int length, long id, byte[] message, String name, FinishListener listener) {
            this.transmits = transmits;
            this.length = length;
            this.id = id;
            this.message = message;
            this.name = name;
            this.listener = listener;
        }
    }

    private final TreeSet<Item> ordered = new TreeSet<>(ORDER);
    private final Map<String, Item> byName = new HashMap<>();
    private final int capacity;
    private long idGen;

    BroadcastQueue(int capacity) {
        this.capacity = capacity;
    }

    /**
     * Queues {@code message}. When {@code name} is not null, a queued broadcast of the same name is
     * replaced (its listener told {@code finished(false)}).
     */
    void queue(String name, byte[] message, FinishListener listener) {
        if (name != null) {
            Item old = byName.remove(name);
            if (old != null) {
                ordered.remove(old);
                notifyFinished(old, false);
            }
        }
        Item item = new Item(0, message.length, ++idGen, message, name, listener);
        ordered.add(item);
        if (name != null) {
            byName.put(name, item);
        }
        while (ordered.size() > capacity) {
            Item drop = ordered.pollLast();
            if (drop.name != null) {
                byName.remove(drop.name);
            }
            notifyFinished(drop, false);
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
    int take(int overhead, int limit, int maxCount, int transmitLimit, List<byte[]> out) {
        if (ordered.isEmpty() || maxCount <= 0) {
            return 0;
        }
        int used = 0;
        List<Item> reinsert = null;
        int taken = 0;
        int transmits = ordered.first().transmits;
        while (taken < maxCount) {
            int free = limit - used - overhead;
            if (free <= 0) {
                break;
            }
            // The first item at or after (transmits, free, newest) is the largest that fits in this
            // tier, or the head of a later tier when none fits.
            Item candidate = ordered.ceiling(new Item(transmits, free, Long.MAX_VALUE, null, null, null));
            if (candidate == null) {
                break;
            }
            if (candidate.transmits != transmits || candidate.length > free) {
                if (candidate.transmits == transmits) {
                    transmits++;
                } else {
                    transmits = candidate.transmits;
                }
                continue;
            }
            ordered.remove(candidate);
            out.add(candidate.message);
            used += overhead + candidate.length;
            taken++;
            if (candidate.transmits + 1 >= transmitLimit) {
                if (candidate.name != null) {
                    byName.remove(candidate.name);
                }
                notifyFinished(candidate, true);
            } else {
                candidate.transmits++;
                if (reinsert == null) {
                    reinsert = new ArrayList<>();
                }
                reinsert.add(candidate);
            }
        }
        if (reinsert != null) {
            ordered.addAll(reinsert);
        }
        return used;
    }

    int size() {
        return ordered.size();
    }

    int capacity() {
        return capacity;
    }

    /** Drops everything (listeners told {@code finished(false)}). */
    void clear() {
        List<Item> all = new ArrayList<>(ordered);
        ordered.clear();
        byName.clear();
        for (Item i : all) {
            notifyFinished(i, false);
        }
    }

    private static void notifyFinished(Item item, boolean transmitted) {
        if (item.listener != null) {
            item.listener.finished(transmitted);
        }
    }
}
