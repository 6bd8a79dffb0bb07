package dev.grapevine.serf;

/**
 * Serf's internal key queries (memberlist-wire.md §11.7), named {@code _serf_<op>}.
 *
 * <p>Immutable; safe to use from any thread.
 */
public enum KeyOperation {
    /** {@code _serf_install-key}: add a key to every keyring. */
    INSTALL("install-key"),
    /** {@code _serf_use-key}: make an installed key primary everywhere. */
    USE("use-key"),
    /** {@code _serf_remove-key}: remove a key everywhere (refused where it is primary). */
    REMOVE("remove-key"),
    /** {@code _serf_list-keys}: collect every node's keys. */
    LIST("list-keys");

    private final String op;

    KeyOperation(String op) {
        this.op = op;
    }

    /** The full query name, e.g. {@code _serf_install-key}. */
    public String queryName() {
        return SerfCore.INTERNAL_QUERY_PREFIX + op;
    }

    /** The operation for an internal query name, or {@code null}. */
    static KeyOperation ofQuery(String name) {
        for (KeyOperation k : values()) {
            if (k.queryName().equals(name)) {
                return k;
            }
        }
        return null;
    }
}
