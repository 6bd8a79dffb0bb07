package dev.grapevine.crypto;

/**
 * Why {@link GossipEnvelope} refused a packet or a stream message. Bad input is expected (a peer
 * with another key, a scanner, a newer peer with a label): it is reported as one of these, never
 * thrown, and the transport counts each reason.
 *
 * <p>Immutable; safe to use from any thread.
 */
public enum EnvelopeRejection {
    /** Shorter than the smallest envelope of its version (29 bytes for version 1, 45 for 0); also empty input. */
    TOO_SHORT,
    /** An encryption version other than 0 or 1 (memberlist: "Unsupported encryption version"). */
    UNKNOWN_VERSION,
    /** No installed key authenticates it (memberlist: "No installed keys could decrypt the message"). */
    NO_KEY_DECRYPTS,
    /** A version-0 envelope that authenticated but whose PKCS#7 padding is invalid. */
    BAD_PADDING,
    /** A plaintext stream while encryption is on and incoming messages must be verified (memberlist:
     *  "Encryption is configured but remote state is not encrypted"). */
    NOT_ENCRYPTED,
    /** An encrypted stream while this node's keyring is empty (memberlist: "Remote state is encrypted
     *  and encryption is not configured"). */
    ENCRYPTION_NOT_CONFIGURED,
    /** An encrypted stream whose length field does not match its frame. */
    BAD_STREAM_HEADER,
    /** A label header other than this node's label, or none where one is required, or one where none is. */
    LABEL_MISMATCH,
    /** A label header cut short or with a length of 0. */
    BAD_LABEL_HEADER
}
