package dev.grapevine.membership.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random messages made of edge values, for round trips and as fuzzing seeds. */
final class RandomMessages {
    static final int[] U32 = {0, 1, 127, 128, 255, 256, 65535, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE, -1};
    static final int[] U16 = {0, 1, 127, 128, 255, 256, 7946, 65535};
    static final int[] STATES = {0, 1, 2, 3, 127, 128, 65536, -1, -33, -200, Integer.MIN_VALUE, Integer.MAX_VALUE};
    static final int[] LENGTHS = {0, 1, 4, 16, 31, 32, 255, 256, 300};

    private final Random rnd;

    RandomMessages(long seed) {
        rnd = new Random(seed);
    }

    int u32() {
        return rnd.nextInt(3) == 0 ? rnd.nextInt() : U32[rnd.nextInt(U32.length)];
    }

    int u16() {
        return rnd.nextInt(3) == 0 ? rnd.nextInt(65536) : U16[rnd.nextInt(U16.length)];
    }

    String str() {
        int n = LENGTHS[rnd.nextInt(LENGTHS.length)];
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            int k = rnd.nextInt(20);
            sb.append(k == 0 ? 'ñ' : k == 1 ? '☃' : (char) ('a' + rnd.nextInt(26)));
        }
        if (rnd.nextInt(10) == 0) {
            sb.append("😀");
        }
        return sb.toString();
    }

    byte[] bytes() {
        int k = rnd.nextInt(10);
        if (k == 0) {
            return null;
        }
        int n = k == 1 ? 4 : k == 2 ? 16 : k == 3 ? 6 : LENGTHS[rnd.nextInt(LENGTHS.length)];
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    /** Like {@link #bytes} but never empty (an empty omitempty field comes back as null). */
    byte[] nonEmptyOrNull() {
        byte[] b = bytes();
        return b != null && b.length == 0 ? null : b;
    }

    Message.PushNodeState node() {
        return new Message.PushNodeState(str(), bytes(), u16(), bytes(), u32(), STATES[rnd.nextInt(STATES.length)],
                bytes());
    }

    /** A random message of any type; every value survives encode + decode unchanged. */
    Message next() {
        switch (rnd.nextInt(10)) {
            case 0:
                return new Message.Ping(u32(), str(), nonEmptyOrNull(), u16(), str());
            case 1:
                return new Message.IndirectPing(u32(), bytes(), u16(), str(), rnd.nextBoolean(), nonEmptyOrNull(),
                        u16(), str());
            case 2:
                return new Message.Ack(u32(), bytes());
            case 3:
                return new Message.Nack(u32());
            case 4:
                return new Message.Suspect(u32(), str(), str());
            case 5:
                return new Message.Alive(u32(), str(), bytes(), u16(), bytes(), bytes());
            case 6:
                return new Message.Dead(u32(), str(), str());
            case 7: {
                byte[] payload = new byte[rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(600)];
                rnd.nextBytes(payload);
                return new Message.User(payload);
            }
            case 8:
                return new Message.Err(str());
            default: {
                int n = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(12);
                List<Message.PushNodeState> nodes = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    nodes.add(node());
                }
                byte[] user = rnd.nextInt(3) == 0 ? null : new byte[1 + rnd.nextInt(700)];
                if (user != null) {
                    rnd.nextBytes(user);
                }
                return new Message.PushPull(rnd.nextBoolean(), nodes, user);
            }
        }
    }
}
