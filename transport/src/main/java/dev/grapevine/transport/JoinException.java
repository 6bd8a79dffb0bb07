package dev.grapevine.transport;

import java.util.List;

/**
 * No seed of a join could be contacted. The node keeps running, alone, and may join again.
 *
 * <p>The message and {@link #failures()} name each seed and why it failed; they never contain
 * key material. Immutable.
 */
public final class JoinException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient List<String> failures;

    /**
     * @param failures one line per seed: the seed and the reason
     */
    public JoinException(List<String> failures) {
        super("could not join any seed: " + (failures.isEmpty() ? "no seeds given" : String.join("; ", failures)));
        this.failures = List.copyOf(failures);
    }

    /** One line per seed that failed. */
    public List<String> failures() {
        return failures;
    }
}
