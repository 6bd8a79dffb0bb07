package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The column store against a plain map model under random operations. */
class MemberTableTest {

    @Test
    void randomOperationsKeepIndexAndCountsConsistent() {
        SplittableRandom rnd = new SplittableRandom(7);
        MemberTable t = new MemberTable(1);
        Map<String, Integer> model = new HashMap<>(); // name -> incarnation
        for (int step = 0; step < 20_000; step++) {
            int op = rnd.nextInt(10);
            if (op < 5) {
                String name = "n" + rnd.nextInt(3000);
                if (!model.containsKey(name)) {
                    int slot = t.add(name, NodeAddress.of(new byte[] {10, 0, 0, 1}, 1 + rnd.nextInt(60000)), null,
                            null);
                    t.setIncarnation(slot, step);
                    t.setState(slot, MemberTable.ALIVE, step);
                    if (t.size() > 1) {
                        t.swap(rnd.nextInt(t.size() - 1), t.size() - 1);
                    }
                    model.put(name, step);
                }
            } else if (op < 8 && t.size() > 1) {
                t.swap(rnd.nextInt(t.size()), rnd.nextInt(t.size()));
            } else if (op < 9 && t.size() > 0) {
                int slot = rnd.nextInt(t.size());
                t.setState(slot, (byte) rnd.nextInt(4), step);
            } else {
                int threshold = rnd.nextInt(20_000);
                t.reapAndShuffle(slot -> t.isDown(slot) && t.incarnation(slot) < threshold,
                        new SplittableRandom(step));
                model.keySet().removeIf(n -> t.find(n) < 0);
            }
            if (step % 997 == 0) {
                assertNull(t.selfCheck());
            }
        }
        assertNull(t.selfCheck());
        assertEquals(model.size(), t.size());
        for (Map.Entry<String, Integer> e : model.entrySet()) {
            int slot = t.find(e.getKey());
            assertEquals(e.getKey(), t.name(slot));
            assertEquals((int) e.getValue(), t.incarnation(slot));
        }
        assertEquals(-1, t.find("absent"));
    }
}
