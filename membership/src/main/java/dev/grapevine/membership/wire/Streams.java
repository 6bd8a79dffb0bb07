package dev.grapevine.membership.wire;

import dev.grapevine.membership.Rejection;
import java.util.Objects;

/**
 * Stream (TCP) messages of memberlist 0.2.2 (memberlist-wire.md §6). A connection carries one
 * request and at most one reply; each is one stream message:
 *
 * <pre>
 *  stream    = [10] [L: uint32 BE] [L bytes: AES-GCM envelope]     (decrypted by the host first)
 *            | [9] msgpack({Algo: 0, Buf: lzw(plain)})            (exactly one level)
 *            | plain
 *  plain     = [0] msgpack(ping)                                   TCP fallback ping
 *            | [2] msgpack(ackResp)                                its reply
 *            | [6] msgpack(pushPullHeader) msgpack(pushNodeState) x Nodes [UserStateLen raw bytes]
 *            | [8] msgpack({UserMsgLen}) [UserMsgLen raw bytes]    reliable user message
 *            | [13] msgpack({Error})                               error reply
 * </pre>
 *
 * <p>Use {@link StreamFramer} to find where a message ends in the bytes read from a connection,
 * then decrypt a {@code [10]} envelope if there is one, then call {@link #read}.
 *
 * <p>Limits (named after memberlist's): {@link #MAX_STREAM_BYTES} for a push/pull's user state and
 * a user message (and, in memberlist, the encrypted envelope), {@link #MAX_PUSH_PULL_NODES} node
 * records, {@link #MAX_DECOMPRESSED_STREAM_BYTES} after decompression, and at most
 * {@link #MAX_EXPANSION} times the compressed size (with a floor of {@link #EXPANSION_FLOOR_BYTES}),
 * so that a small LZW "bomb" cannot make the node's single thread expand tens of megabytes.
 *
 * <p>Thread-safety: all methods are static, keep no shared mutable state and are thread-safe.
 */
public final class Streams {
    /** memberlist's {@code maxPushStateBytes}: the largest encrypted envelope, user state or user message. */
    public static final int MAX_STREAM_BYTES = 20 << 20;
    /** The most bytes a compressed stream message may decompress to (newer memberlist: 2 x 20 MiB). */
    public static final int MAX_DECOMPRESSED_STREAM_BYTES = 40 << 20;
    /**
     * The most a compressed stream message may expand relative to its compressed size. Real
     * push/pull state compresses a few times over; only crafted input comes near this.
     */
    public static final int MAX_EXPANSION = 64;
    /** Decompressing up to this many bytes is always allowed, whatever the ratio. */
    public static final int EXPANSION_FLOOR_BYTES = 1 << 20;
    /** The most node records a push/pull may claim (newer memberlist's limit). */
    public static final int MAX_PUSH_PULL_NODES = 1 << 20;

    private Streams() {
    }

    /**
     * Reads one complete stream message, already decrypted by the host: an optional
     * {@code [9]} compress wrapper (exactly one level, as memberlist's {@code readStream}), then
     * 0 ping, 2 ack, 6 pushPull, 8 user (stream form, returned as {@link Message.User}; a
     * {@code UserMsgLen} of 0 gives an empty payload, which memberlist ignores) or 13 err.
     * Bytes after the message are ignored, as Go reads one value and stops.
     *
     * @param buf the message bytes (not modified, not retained)
     * @param off where the message starts (its type byte)
     * @param len how many bytes it may span
     * @return the message, or a rejection: {@link Rejection#EMPTY} (no bytes, or an empty
     *         decompressed buffer), {@link Rejection#UNKNOWN_TYPE}, {@link Rejection#UNSUPPORTED_TYPE}
     *         (any other known type, including 10 — decrypt first — and compress inside compress),
     *         {@link Rejection#BAD_COMPRESSION}, {@link Rejection#TOO_LARGE},
     *         {@link Rejection#MALFORMED}, {@link Rejection#WRONG_FIELD_TYPE},
     *         {@link Rejection#INTEGER_OVERFLOW}. Never throws for any content.
     * @throws IndexOutOfBoundsException if {@code off}/{@code len} are not a range of {@code buf}
     */
    public static DecodeResult<Message> read(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        try {
            return DecodeResult.ok(readOrThrow(buf, off, len));
        } catch (WireException e) {
            return e.toResult();
        } catch (RuntimeException e) {
            return WireDecoder.internalError(e).toResult();
        }
    }

    /**
     * The most bytes a compressed stream message of {@code compressedLen} bytes may expand to.
     *
     * @param compressedLen the compressed message's size
     * @return the budget, at most {@link #MAX_DECOMPRESSED_STREAM_BYTES}
     */
    static int decompressionBudget(int compressedLen) {
        long ratio = (long) compressedLen * MAX_EXPANSION;
        return (int) Math.min(MAX_DECOMPRESSED_STREAM_BYTES, Math.max(EXPANSION_FLOOR_BYTES, ratio));
    }

    private static Message readOrThrow(byte[] buf, int off, int len) {
        if (len == 0) {
            throw new WireException(Rejection.EMPTY, "empty stream message");
        }
        int type = buf[off] & 0xff;
        if (type == MessageType.COMPRESS.code()) {
            byte[] inner = WireDecoder.decompressBody(new MsgpackReader(buf, off + 1, len - 1),
                    decompressionBudget(len));
            if (inner.length == 0) {
                throw new WireException(Rejection.EMPTY, "compressed stream message holds no data");
            }
            buf = inner;
            off = 0;
            len = inner.length;
            type = buf[0] & 0xff;
            if (type == MessageType.COMPRESS.code()) {
                throw WireDecoder.unsupported(type, "inside a compressed stream message");
            }
        }
        MsgpackReader r = new MsgpackReader(buf, off + 1, len - 1);
        switch (type) {
            case 0:
                return WireDecoder.ping(r);
            case 2:
                return WireDecoder.ack(r);
            case 6:
                return WireDecoder.pushPull(r);
            case 8:
                return WireDecoder.streamUser(r);
            case 13:
                return WireDecoder.err(r);
            case 242:
                return SignedCodec.decodePushPull(buf, off, len);
            case 10:
                throw WireDecoder.unsupported(type, "here: decrypt the envelope first");
            default:
                throw WireDecoder.unknownOrUnsupported(type, "on a stream");
        }
    }
}
