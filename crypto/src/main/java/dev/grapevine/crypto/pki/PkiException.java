package dev.grapevine.crypto.pki;

/**
 * A certificate, key or PEM file could not be read, written, built or used. The message names the
 * file and what is wrong with it; it never carries key material.
 */
public final class PkiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong (no secrets)
     */
    public PkiException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong (no secrets)
     * @param cause   the underlying failure; never one whose message could hold key material
     */
    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
