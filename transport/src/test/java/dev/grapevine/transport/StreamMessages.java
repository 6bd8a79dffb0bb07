package dev.grapevine.transport;

import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.Packets;
import dev.grapevine.membership.wire.WireEncoder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** One well-formed stream message of every kind a connection can carry, built with the codec. */
final class StreamMessages {
    static final byte[] VSN = {1, 5, 2, 0, 0, 0};

    private StreamMessages() {
    }

    static byte[] ping() {
        return WireEncoder.encode(new Message.Ping(7, "node-b", new byte[] {127, 0, 0, 1}, 7946, "node-a"));
    }

    static byte[] ack() {
        return WireEncoder.encode(new Message.Ack(7, new byte[] {1, 2, 3}));
    }

    static byte[] err() {
        return WireEncoder.encode(new Message.Err("failed to decode stream"));
    }

    static byte[] pushPull(int nodes, int userStateBytes) {
        List<Message.PushNodeState> records = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            records.add(new Message.PushNodeState("node-" + i, new byte[] {10, 0, (byte) (i >> 8), (byte) i}, 7946,
                    ("meta-" + i).getBytes(), i + 1, i % 4, VSN));
        }
        byte[] user = new byte[userStateBytes];
        new Random(userStateBytes).nextBytes(user);
        return WireEncoder.encode(new Message.PushPull(true, records, user));
    }

    static byte[] user(int bytes) {
        byte[] payload = new byte[bytes];
        new Random(bytes).nextBytes(payload);
        return WireEncoder.encodeStreamUser(payload);
    }

    static byte[] compressed(byte[] message) {
        return Packets.compress(message);
    }

    /** An encrypted stream envelope {@code [10][L][L bytes]} (random bytes: the framer does not decrypt). */
    static byte[] encrypted(int bodyBytes) {
        byte[] body = new byte[bodyBytes];
        new Random(bodyBytes).nextBytes(body);
        return ByteBuffer.allocate(5 + bodyBytes).put((byte) 10).putInt(bodyBytes).put(body).array();
    }

    /** Every kind, by name. */
    static Map<String, byte[]> all() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("ping", ping());
        m.put("ack", ack());
        m.put("err", err());
        m.put("pushPull", pushPull(40, 300));
        m.put("pushPullEmpty", pushPull(0, 0));
        m.put("user", user(500));
        m.put("compressedPushPull", compressed(pushPull(40, 300)));
        m.put("compressedPing", compressed(ping()));
        m.put("encrypted", encrypted(700));
        return m;
    }
}
