package dev.grapevine.membership;

/**
 * A member's state as memberlist defines it. The wire codes are memberlist's {@code NodeStateType}.
 *
 * <p>{@link #DEAD} means the node failed (declared by another node); {@link #LEFT} means it left
 * on purpose. Immutable; safe to use from any thread.
 */
public enum MemberState {
    /** Answering probes. */
    ALIVE(0),
    /** Failed a probe; will be declared dead unless it refutes in time. */
    SUSPECT(1),
    /** Declared failed. */
    DEAD(2),
    /** Left the cluster gracefully. */
    LEFT(3);

    private static final MemberState[] BY_CODE = values();

    private final int code;

    MemberState(int code) {
        this.code = code;
    }

    /** memberlist's wire value (0..3). */
    public int code() {
        return code;
    }

    /** True for {@link #DEAD} and {@link #LEFT}. */
    public boolean isDown() {
        return this == DEAD || this == LEFT;
    }

    /** The state for a wire value, or {@code null} when it is not 0..3. */
    public static MemberState ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
