package dev.grapevine.transport;

import dev.grapevine.membership.MembershipConfig;
import java.util.ArrayList;
import java.util.List;

/** Starts loopback nodes for a test and closes every one of them at the end. Not thread-safe. */
final class TestNodes implements AutoCloseable {
    private final List<GrapevineNode> started = new ArrayList<>();

    /** A node on 127.0.0.1 with a free port and memberlist's local-network timings. */
    GrapevineNode start(String name, RecordingListener listener) {
        return start(GrapevineNode.builder().name(name).bind("127.0.0.1:0").config(MembershipConfig.local())
                .listener(listener));
    }

    GrapevineNode start(GrapevineNode.Builder builder) {
        GrapevineNode node = builder.start();
        started.add(node);
        return node;
    }

    /** "host:port" of a node's advertised address, as a seed string. */
    static String seed(GrapevineNode node) {
        return node.advertiseAddress().toString();
    }

    @Override
    public void close() {
        for (GrapevineNode n : started) {
            n.close();
        }
    }
}
