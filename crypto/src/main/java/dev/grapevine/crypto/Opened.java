package dev.grapevine.crypto;

/**
 * The outcome of opening one packet or stream message with a {@link GossipEnvelope}: either the
 * plaintext for the protocol core, or why the input was refused. Immutable apart from the
 * plaintext array, which belongs to the caller; safe to hand between threads.
 *
 * @param plaintext  the plaintext (owned by the caller), or null when refused
 * @param rejection  why the input was refused, or null when it was accepted
 * @param unverified true when the input was accepted as plaintext although encryption is on
 *                   (only with {@code gossipVerifyIncoming} off: memberlist's migration mode)
 */
public record Opened(byte[] plaintext, EnvelopeRejection rejection, boolean unverified) {

    static Opened accepted(byte[] plaintext) {
        return new Opened(plaintext, null, false);
    }

    static Opened unverified(byte[] plaintext) {
        return new Opened(plaintext, null, true);
    }

    static Opened refused(EnvelopeRejection why) {
        return new Opened(null, why, false);
    }

    /**
     * Whether the input was accepted.
     *
     * @return true when {@link #plaintext()} is set
     */
    public boolean ok() {
        return rejection == null;
    }

    @Override
    public String toString() {
        return ok() ? "Opened[" + plaintext.length + " bytes" + (unverified ? ", unverified" : "") + "]"
                : "Opened[refused: " + rejection + "]";
    }
}
