package dev.grapevine.keyringtool;

/**
 * A command cannot complete: carries the exit code and a message for the operator. The message
 * never contains key material (keys are named by their {@linkplain Keys#id id} at most).
 *
 * <p>Immutable.
 */
final class ToolException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    ToolException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    static ToolException usage(String message) {
        return new ToolException(ExitCodes.USAGE, message);
    }

    static ToolException failed(String message) {
        return new ToolException(ExitCodes.FAILED, message);
    }

    /** The process exit code, one of {@link ExitCodes}. */
    int exitCode() {
        return exitCode;
    }
}
