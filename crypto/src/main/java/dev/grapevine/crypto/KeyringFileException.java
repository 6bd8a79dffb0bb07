package dev.grapevine.crypto;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A keyring file that could not be loaded, with a typed {@link #reason()}. The message names the
 * file and, for a bad key, its position in the file (1-based); it never contains key material or
 * any excerpt of the file's content.
 *
 * <p>Immutable apart from the standard {@link Throwable} state.
 */
public final class KeyringFileException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why a keyring file was refused. */
    public enum Reason {
        /** The file does not exist. */
        NOT_FOUND,
        /** It exists but cannot be read (permissions, a directory, an I/O error). */
        UNREADABLE,
        /** Larger than {@link KeyringFile#MAX_FILE_BYTES}. */
        TOO_LARGE,
        /** Not a JSON array of strings (Serf's format), or not UTF-8. */
        MALFORMED_JSON,
        /** An entry that is not standard base64. */
        BAD_BASE64,
        /** A key that is not 16, 24 or 32 bytes long. */
        BAD_KEY_LENGTH,
        /** A valid array without any key (Serf: "Keyring file contains no keys"). */
        NO_KEYS
    }

    private final Reason reason;
    private final transient Path file;

    KeyringFileException(Reason reason, Path file, String message) {
        this(reason, file, message, null);
    }

    KeyringFileException(Reason reason, Path file, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.file = file;
    }

    /**
     * Why the file was refused.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }

    /**
     * The file concerned.
     *
     * @return its path as given
     */
    public Path file() {
        return file;
    }
}
