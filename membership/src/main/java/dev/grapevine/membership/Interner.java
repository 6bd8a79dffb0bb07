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
}
