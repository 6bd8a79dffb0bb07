package dev.grapevine.membership.wire;

/**
 * memberlist message type codes: the first byte of every message, packet and stream.
 *
 * <p>The numeric values are part of the protocol (they come from a Go {@code iota} list in
 * memberlist 0.2.2). <b>Only append to this list.</b> Codes 0..13 are memberlist's; 244 is the
 * label header of newer memberlist releases, which memberlist 0.2.2 and Serf 0.9.4 do not
 * understand. Codes 241..243 are Grapevine's own and never sent to memberlist or Serf peers:
 * 241 and 242 in signing mode, 243 (keyring recovery) only inside mutually authenticated TLS
 * streams between Grapevine nodes.
 *
 * <p>Immutable; safe to use from any thread.
 */
public enum MessageType {
    /** {@code ping}: UDP probe, or TCP fallback ping. */
    PING(0),
    /** {@code indirectPingReq}: ask a helper to probe a target for us. */
    INDIRECT_PING(1),
    /** {@code ackResp}: answer to a ping. */
    ACK(2),
    /** {@code suspect}: gossip that a node is suspected. */
    SUSPECT(3),
    /** {@code alive}: gossip that a node is alive (and its address, metadata, versions). */
    ALIVE(4),
    /** {@code dead}: gossip that a node failed ({@code From != Node}) or left ({@code From == Node}). */
    DEAD(5),
    /** {@code pushPull}: full state exchange, streams only. */
    PUSH_PULL(6),
    /** {@code compound}: several messages in one packet. */
    COMPOUND(7),
    /** {@code user}: application payload (raw on UDP, length-prefixed on streams). */
    USER(8),
    /** {@code compress}: LZW-compressed inner message. */
    COMPRESS(9),
    /** {@code encrypt}: the stream encryption envelope (UDP encryption carries no type byte). */
    ENCRYPT(10),
    /** {@code nackResp}: a helper could not reach the target (protocol 4). */
    NACK(11),
    /** {@code hasCrc}: CRC-32 header, outermost level of a UDP packet only (protocol 5). */
    HAS_CRC(12),
    /** {@code errResp}: error reply on a stream. */
    ERR(13),
    /** Grapevine: a claim signed by its originator (signing mode only). */
    SIGNED(241),
    /** Grapevine: a push/pull carrying each member's signed proof (signing mode only, streams). */
    SIGNED_PUSH_PULL(242),
    /**
     * Grapevine: keyring recovery, streams only, TLS only: {@code [243][L: uint32 BE][L bytes]}, a
     * request for the gossip keyring or its answer (the transport's codec defines the body; at most
     * {@link StreamFramer#MAX_KEYRING_FRAME_BYTES} in all). Never handed to the membership core.
     */
    KEYRING(243),
    /** Label header of newer memberlist releases; never sent to memberlist 0.2.2 peers. */
    HAS_LABEL(244);

    private static final MessageType[] BY_CODE = new MessageType[256];

    static {
        for (MessageType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    MessageType(int code) {
        this.code = code;
    }

    /** The byte written on the wire, 0..255. */
    public int code() {
        return code;
    }

    /**
     * The type for a wire byte.
     *
     * @param code an unsigned byte value; other values give {@code null}
     * @return the type, or {@code null} when the code is unknown
     */
    public static MessageType of(int code) {
        return code >= 0 && code < 256 ? BY_CODE[code] : null;
    }
}
