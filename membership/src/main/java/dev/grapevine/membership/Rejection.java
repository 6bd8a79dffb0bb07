package dev.grapevine.membership;

/**
 * Why an input (a packet, a message inside a packet, a stream message or a stream reply) was
 * dropped. Decoding and protocol handling never throw on bad input: they count a rejection and
 * carry on, and the host may log it (see {@link Host#rejected}).
 *
 * <p>Values are grouped by where they arise: the codec ({@code wire} package), then the core's
 * protocol checks. Hosts that add their own layers (decryption, labels, framing limits) count their
 * reasons separately.
 *
 * <p>Immutable; safe to use from any thread.
 */
public enum Rejection {
    // ---- codec -----------------------------------------------------------------------------
    /** An empty packet, message or stream. */
    EMPTY,
    /** A type byte this implementation does not know. */
    UNKNOWN_TYPE,
    /** A known type that is not allowed where it appeared (for example a push/pull on UDP). */
    UNSUPPORTED_TYPE,
    /** msgpack that is cut short or structurally invalid. */
    MALFORMED,
    /** A msgpack value of the wrong family for its field (for example bin where Go wants a string). */
    WRONG_FIELD_TYPE,
    /** An integer that is negative for an unsigned field or too wide for the Go type. */
    INTEGER_OVERFLOW,
    /** A compound header whose length table is shorter than its part count says. */
    COMPOUND_HEADER,
    /** Parts missing at the end of a compound (counted per missing part; the others are processed). */
    COMPOUND_TRUNCATED,
    /** A compressMsg with an unknown algorithm or an invalid LZW stream. */
    BAD_COMPRESSION,
    /** A length, count or decompressed size above the limits. */
    TOO_LARGE,
    /** A CRC header whose checksum does not match. */
    CRC_MISMATCH,
    /** A CRC header below the outermost level of a packet (memberlist does not support it). */
    NESTED_CRC,
    /** Compound/compress wrappers nested deeper than the codec allows. */
    TOO_DEEP,

    // ---- core protocol checks -------------------------------------------------------------------
    /** A ping addressed to another node name. */
    WRONG_NODE,
    /** An IP field that is not 4 or 16 bytes long, or a port of 0 where one is needed. */
    BAD_ADDRESS,
    /** A protocol version array that is not 6 bytes, or holds impossible values. */
    BAD_VERSION,
    /** A push/pull whose versions are incompatible with the cluster (memberlist's verifyProtocol). */
    INCOMPATIBLE_VERSION,
    /** Node metadata larger than the configured limit. */
    META_TOO_LARGE,
    /** A stream message or reply of a type that makes no sense at that point. */
    UNEXPECTED_MESSAGE,
    /**
     * An application or host hook refused the message: the {@link Delegate}, or the
     * {@link Admission} check refusing a node (a new member, or a member moving to another address).
     */
    VETOED,
    /**
     * A push/pull on a stream the host authenticated as node N that does not carry N's own state
     * (the peer presented a certificate for another node than the one it speaks for), or a reply
     * from another node than the one the stream was opened to.
     */
    PEER_MISMATCH,

    // ---- signing mode ---------------------------------------------------------------------------
    /** A membership claim or user message without a signature, in a cluster in signing mode. */
    UNSIGNED,
    /** A signed claim its signer may not make (an alive about another node, an accusation in another's name). */
    FORGED,
    /** A signature that does not verify with the signer's key. */
    BAD_SIGNATURE,
    /** A signer's certificate not from the cluster CA, expired, or naming another node. */
    UNTRUSTED_CERTIFICATE,
    /** A signed claim from a signer whose certificate this node has not seen. */
    UNKNOWN_SIGNER,
    /** Input that arrived after the core was shut down. */
    SHUT_DOWN
}
