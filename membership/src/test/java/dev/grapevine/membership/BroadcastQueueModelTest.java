package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The compact queue against a plain, obviously-memberlist model (a list sorted by transmits,
 * then length descending, then newest) under random operations: same messages, same order,
 * same listener calls.
 */
class BroadcastQueueModelTest {

    private static final class Item {
        int transmits;
        final byte[] msg;
        final String name;
        final long id;

        Item(byte[] msg, String name, long id) {
            this.msg = msg;
            this.name = name;
            this.id = id;
        }
    }

    private static final Comparator<Item> ORDER = Comparator.<Item>comparingInt(i -> i.transmits)
            .thenComparing(i -> -i.msg.length).thenComparing(i -> -i.id);

    /** A direct transcription of memberlist's GetBroadcasts/QueueBroadcast/Prune. */
    private static final class Model {
        final List<Item> items = new ArrayList<>();
        final int capacity;
        long ids;
        final List<String> finished = new ArrayList<>();

        Model(int capacity) {
            this.capacity = capacity;
        }

        void queue(String name, byte[] msg, String tag) {
            if (name != null) {
                items.removeIf(i -> {
                    if (name.equals(i.name)) {
                        finished.add(tagOf(i) + ":false");
                        return true;
                    }
                    return false;
                });
            }
            items.add(new Item(msg, name, ++ids));
            items.sort(ORDER);
            while (items.size() > capacity) {
                Item last = items.remove(items.size() - 1);
                finished.add(tagOf(last) + ":false");
            }
        }

        List<byte[]> take(int overhead, int limit, int maxCount, int transmitLimit) {
            List<byte[]> out = new ArrayList<>();
            List<Item> again = new ArrayList<>();
            int used = 0;
            while (out.size() < maxCount) {
                int free = limit - used - overhead;
                if (free <= 0) {
                    break;
                }
                Item pick = null;
                for (Item i : items) { // sorted: first that fits is fewest transmits, largest, newest
                    if (i.msg.length <= free) {
                        pick = i;
                        break;
                    }
                }
                if (pick == null) {
                    break;
                }
                items.remove(pick);
                out.add(pick.msg);
                used += overhead + pick.msg.length;
                if (pick.transmits + 1 >= transmitLimit) {
                    finished.add(tagOf(pick) + ":true");
                } else {
                    pick.transmits++;
                    again.add(pick);
                }
            }
            items.addAll(again);
            items.sort(ORDER);
            return out;
        }

        static String tagOf(Item i) {
            return i.msg[0] + "/" + i.msg[1];
        }
    }

    @Test
    void matchesTheModelUnderRandomOperations() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int capacity = 5 + rnd.nextInt(300);
            BroadcastQueue q = new BroadcastQueue(capacity);
            Model m = new Model(capacity);
            List<String> finished = new ArrayList<>();
            int tag = 0;
            for (int step = 0; step < 5_000; step++) {
                if (rnd.nextInt(3) > 0) {
                    byte[] msg = new byte[2 + rnd.nextInt(rnd.nextBoolean() ? 40 : 700)];
                    tag++;
                    msg[0] = (byte) (tag >> 8);
                    msg[1] = (byte) tag;
                    String name = rnd.nextBoolean() ? "n" + rnd.nextInt(50) : null;
                    String t = msg[0] + "/" + msg[1];
                    q.queue(name, msg, done -> finished.add(t + ":" + done));
                    m.queue(name, msg, t);
                } else {
                    int limit = 50 + rnd.nextInt(1500);
                    int max = 1 + rnd.nextInt(20);
                    int transmitLimit = 1 + rnd.nextInt(6);
                    List<byte[]> got = new ArrayList<>();
                    q.take(2, limit, max, transmitLimit, got);
                    List<byte[]> want = m.take(2, limit, max, transmitLimit);
                    assertEquals(tags(want), tags(got), "seed " + seed + " step " + step);
                }
                assertEquals(m.items.size(), q.size(), "seed " + seed + " step " + step);
            }
            assertEquals(m.finished, finished, "seed " + seed);
        }
    }

    private static List<String> tags(List<byte[]> msgs) {
        List<String> out = new ArrayList<>();
        for (byte[] b : msgs) {
            out.add(b[0] + "/" + b[1]);
        }
        return out;
    }

    @Test
    void sortedIndexSurvivesManySplitsAndDrops() {
        SortedLongIndex idx = new SortedLongIndex();
        java.util.TreeMap<Long, Integer> ref = new java.util.TreeMap<>();
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 200_000; i++) {
            long k = rnd.nextLong(5_000);
            if (ref.containsKey(k)) {
                assertEquals((int) ref.remove(k), idx.remove(k));
            } else if (rnd.nextInt(4) == 0 && !ref.isEmpty()) {
                long probe = rnd.nextLong(5_000);
                Long want = ref.ceilingKey(probe);
                boolean found = idx.ceiling(probe);
                assertEquals(want != null, found);
                if (found) {
                    assertEquals((long) want, idx.foundKey());
                    assertEquals((int) ref.remove(want), idx.removeFound());
                }
            } else {
                ref.put(k, i);
                idx.insert(k, i);
            }
            assertEquals(ref.size(), idx.size());
        }
        int[] values = idx.values();
        int j = 0;
        for (int v : ref.values()) {
            assertEquals(v, values[j++]);
        }
    }
}
