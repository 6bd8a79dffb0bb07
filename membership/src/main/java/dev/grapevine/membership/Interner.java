package dev.grapevine.membership;

/**
 * Shares equal values that the core decodes over and over (node names, addresses, metadata), so
 * that many member tables in one JVM (the simulator runs thousands of cores) hold one copy each.
 *
 * <p>A single production node has no use for this: the default, {@link #NONE}, returns its input.
 * An interner is called only on the core's thread, but one shared by several cores must be
 * thread-safe if those cores run on different threads.
 */
public interface Interner {

    /** Returns its arguments unchanged. */
    Interner NONE = new Interner() {
    };

    /** An equal, shared node name. */
    default String name(String name) {
        return name;
    }

    /** An equal, shared address. */
    default NodeAddress address(NodeAddress address) {
        return address;
    }

    /** An equal, shared metadata array; the core never modifies metadata arrays. */
    default byte[] meta(byte[] meta) {
        return meta;
    }

    /**
     * An equal, shared encoded broadcast. During a mass join every core queues the same encoded
     * alive messages, each until it has been sent a few times; sharing them keeps a simulator's
     * memory linear in the cluster size for this part. The core never modifies these arrays.
     */
    default byte[] broadcast(byte[] encoded) {
        return encoded;
    }
}
