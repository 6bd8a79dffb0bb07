package dev.grapevine.serf;

/**
 * A member's status as Serf reports it ({@code serf.MemberStatus}); the codes are Serf's and
 * travel in {@code _serf_conflict} responses.
 *
 * <p>Immutable; safe to use from any thread.
 */
public enum SerfMemberStatus {
    /** Not known ({@code StatusNone}); never held by a member in the table. */
    NONE(0),
    /** Alive. */
    ALIVE(1),
    /** Announced a leave intent; becomes {@link #LEFT} when memberlist reports it down. */
    LEAVING(2),
    /** Left gracefully. Kept as a tombstone until the tombstone timeout, then reaped. */
    LEFT(3),
    /** Failed (memberlist declared it dead without a leave). Reaped after the reconnect timeout. */
    FAILED(4);

    private final int code;

    SerfMemberStatus(int code) {
        this.code = code;
    }

    /** Serf's wire value. */
    public int code() {
        return code;
    }

    /** The lower-case name Serf prints ({@code alive}, {@code leaving}, {@code left}, {@code failed}). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
