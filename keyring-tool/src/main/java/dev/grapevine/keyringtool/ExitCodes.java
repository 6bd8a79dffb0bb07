package dev.grapevine.keyringtool;

/**
 * The exit codes of {@code keyring-tool}, the same for every command (listed by {@code --help}).
 */
public final class ExitCodes {
    /** The command did what was asked (a step that was already done counts: it is reported as a note). */
    public static final int OK = 0;
    /**
     * The operation failed or is incomplete: a member reported an error or did not answer, a
     * rotation stopped, a file could not be written, a refused change (removing the primary key).
     */
    public static final int FAILED = 1;
    /** Usage error or bad input: unknown option, malformed key, missing or invalid file. */
    public static final int USAGE = 2;
    /** The cluster could not be reached: no seed answered the join (or wrong gossip key). */
    public static final int UNREACHABLE = 3;

    /** For picocli's {@code exitCodeList}: one line per code. */
    static final String[] HELP = {
        "0:success (already done counts, with a note)",
        "1:operation failed or incomplete (a member failed or did not answer, rotation stopped, write failed, "
            + "refused change)",
        "2:usage error or bad input (malformed key, missing or invalid file)",
        "3:cluster unreachable (join failed)"};

    private ExitCodes() {
    }
}
