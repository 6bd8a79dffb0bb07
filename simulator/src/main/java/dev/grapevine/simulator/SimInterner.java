package dev.grapevine.simulator;

import dev.grapevine.membership.Interner;
import dev.grapevine.membership.NodeAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The interner every core of a simulation shares, so thousands of member tables hold one copy of
 * each node name, address and metadata array. Node names and addresses are registered when nodes
 * are added, so cores end up holding the simulation's own instances. Single-threaded.
 */
final class SimInterner implements Interner {
    private final Map<String, String> names = new HashMap<>();
    private final Map<NodeAddress, NodeAddress> addresses = new HashMap<>();
    /** Simulator addresses (10.x.y.z:7946) by host number, looked up without hashing. */
    private NodeAddress[] byHost = new NodeAddress[64];
    private final Map<MetaKey, byte[]> metas = new HashMap<>();
    /** Encoded broadcasts, least recently used dropped first beyond {@link #MAX_BROADCASTS}. */
    private final Map<MetaKey, byte[]> broadcasts = new java.util.LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<MetaKey, byte[]> eldest) {
            return size() > MAX_BROADCASTS;
        }
    };
    private static final int MAX_BROADCASTS = 1 << 20;

    void register(String name, NodeAddress address, int host) {
        names.putIfAbsent(name, name);
        addresses.putIfAbsent(address, address);
        if (host >= byHost.length) {
            byHost = Arrays.copyOf(byHost, Math.max(host + 1, byHost.length * 2));
        }
        byHost[host] = addresses.get(address);
    }

    @Override
    public String name(String name) {
        String s = names.putIfAbsent(name, name);
        return s == null ? name : s;
    }

    @Override
    public NodeAddress address(NodeAddress address) {
        if (address.isIpv4() && address.port() == Simulation.PORT) {
            byte[] ip = address.ip();
            int host = (ip[1] & 0xff) << 16 | (ip[2] & 0xff) << 8 | (ip[3] & 0xff);
            if (ip[0] == 10 && host < byHost.length && byHost[host] != null) {
                return byHost[host];
            }
        }
        NodeAddress a = addresses.putIfAbsent(address, address);
        return a == null ? address : a;
    }

    @Override
    public byte[] meta(byte[] meta) {
        if (meta == null || meta.length == 0) {
            return meta;
        }
        MetaKey k = new MetaKey(meta);
        byte[] m = metas.putIfAbsent(k, meta);
        return m == null ? meta : m;
    }

    @Override
    public byte[] broadcast(byte[] encoded) {
        MetaKey k = new MetaKey(encoded);
        byte[] b = broadcasts.putIfAbsent(k, encoded);
        return b == null ? encoded : b;
    }

    /** Equality by content for metadata arrays. */
    private static final class MetaKey {
        final byte[] bytes;
        final int hash;

        MetaKey(byte[] bytes) {
            this.bytes = bytes;
            this.hash = Arrays.hashCode(bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MetaKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
