package dev.grapevine.membership.wire;

import dev.grapevine.membership.Rejection;
import java.util.Objects;

/**
 * Finds where one stream message ends in the bytes read so far from a connection, without
 * decoding it, so a host can read exactly one message (memberlist sends one request and at most
 * one reply per connection, with no length prefix except on encrypted streams).
 *
 * <pre>
 *  [10] [L: uint32 BE] [L bytes]                          length 5 + L
 *  [242] / [243] [L: uint32 BE] [L bytes]                 length 5 + L (Grapevine's own)
 *  [9]  msgpack(compress)                                 length 1 + one msgpack value
 *  [0] / [2] / [13]  msgpack(struct)                      length 1 + one msgpack value
 *  [8]  msgpack({UserMsgLen}) [UserMsgLen bytes]
 *  [6]  msgpack(header) msgpack(record) x Nodes [UserStateLen bytes]
 * </pre>
 *
 * <p>Call {@link #frameLength} each time more bytes have arrived, always with the message's bytes
 * from its first byte (the array may change, the prefix may not). Parsing resumes where the
 * previous call stopped: the framer keeps the position of the last complete msgpack value header
 * and a count of values still to skip (nested maps and arrays add to the count, so no stack is
 * needed), and re-examines at most one value header per call. Feeding a 20 MiB push/pull in
 * 64 KiB steps therefore costs work linear in its size.
 *
 * <p>Limit: the complete message (for type 10 including its 5-byte header) may be at most
 * {@code maxFrameBytes} long; the framer rejects with {@link Rejection#TOO_LARGE} as soon as a
 * length, count or claimed size shows that it would be longer. To accept everything memberlist
 * accepts, use {@code Streams.MAX_STREAM_BYTES + ENVELOPE_HEADER_BYTES} for encrypted streams.
 *
 * <p>Only the push/pull header and the user-message header are decoded (they carry the lengths
 * that follow; their fields are range-checked as in {@link Streams#read}). Everything else is
 * just skipped: a frame accepted here may still be rejected by {@link Streams#read}.
 *
 * <p>Thread-safety: not thread-safe. Use one instance per connection (per message); it is meant
 * to be confined to the connection's event-loop thread.
 */
public final class StreamFramer {
    /** {@link #frameLength} result: the message is not complete yet. */
    public static final int NEED_MORE = -1;
    /** {@link #frameLength} result: the stream is invalid; see {@link #rejection()}. */
    public static final int REJECTED = -2;
    /** Size of the encrypted-stream header {@code [10][L: uint32 BE]}. */
    public static final int ENVELOPE_HEADER_BYTES = 5;
    /**
     * The longest keyring-recovery message ({@link MessageType#KEYRING}, type 243), header
     * included, whatever {@code maxFrameBytes} allows: a longer one is {@link Rejection#TOO_LARGE}.
     */
    public static final int MAX_KEYRING_FRAME_BYTES = 4096;

    private static final int START = 0;
    private static final int ONE_VALUE = 1;
    private static final int PUSH_PULL_HEADER = 2;
    private static final int PUSH_PULL_RECORDS = 3;
    private static final int USER_HEADER = 4;
    private static final int AWAIT_END = 5;
    private static final int DONE = 6;
    private static final int FAILED = 7;

    private final int maxFrameBytes;
    private final MsgpackSkipper skipper = new MsgpackSkipper();
    private int phase = START;
    private long frameLen;
    private long tailLen; // raw bytes after the msgpack part (user state / user message)
    private Rejection rejection;
    private String detail;
    private long calls;

    /**
     * A framer for one message.
     *
     * @param maxFrameBytes the longest message accepted, at least 1
     * @throws IllegalArgumentException if {@code maxFrameBytes < 1}
     */
    public StreamFramer(int maxFrameBytes) {
        if (maxFrameBytes < 1) {
            throw new IllegalArgumentException("maxFrameBytes must be >= 1: " + maxFrameBytes);
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * Where the message ends.
     *
     * @param buf the bytes received so far
     * @param off where the message's first byte is
     * @param len how many of its bytes have been received; only ever grows between calls
     * @return the complete message length (for type 10 including the 5-byte header) once at least
     *         that many bytes are present (the same value on every later call), {@link #NEED_MORE},
     *         or {@link #REJECTED} (on this and every later call). Reasons:
     *         {@link Rejection#TOO_LARGE}, {@link Rejection#UNKNOWN_TYPE},
     *         {@link Rejection#UNSUPPORTED_TYPE} (a known type that is never the first byte of a
     *         stream message), {@link Rejection#MALFORMED}, {@link Rejection#WRONG_FIELD_TYPE},
     *         {@link Rejection#INTEGER_OVERFLOW} (in the decoded headers). Never throws for any
     *         content.
     * @throws IndexOutOfBoundsException if {@code off}/{@code len} are not a range of {@code buf}
     */
    public int frameLength(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        calls++;
        try {
            return step(buf, off, len);
        } catch (WireException e) {
            return fail(e.reason, e.getMessage());
        } catch (RuntimeException e) {
            WireException w = WireDecoder.internalError(e);
            return fail(w.reason, w.getMessage());
        }
    }

    /**
     * Why the frame was rejected.
     *
     * @return the reason, or null while {@link #frameLength} has not returned {@link #REJECTED}
     */
    public Rejection rejection() {
        return rejection;
    }

    /**
     * A short description of the rejection for logs; it never contains payload bytes.
     *
     * @return the description, or null while {@link #frameLength} has not returned {@link #REJECTED}
     */
    public String detail() {
        return detail;
    }

    /** Work done so far: value headers examined plus calls (package-private, for tests). */
    long steps() {
        return skipper.steps + calls;
    }

    private int step(byte[] buf, int off, int len) {
        while (true) {
            switch (phase) {
                case DONE:
                    return (int) frameLen;
                case FAILED:
                    return REJECTED;
                case START: {
                    if (len == 0) {
                        return NEED_MORE;
                    }
                    int type = buf[off] & 0xff;
                    switch (type) {
                        case 10, 242, 243 -> {
                            if (len < ENVELOPE_HEADER_BYTES) {
                                return NEED_MORE;
                            }
                            long l = ((long) (buf[off + 1] & 0xff) << 24) | ((buf[off + 2] & 0xff) << 16)
                                    | ((buf[off + 3] & 0xff) << 8) | (buf[off + 4] & 0xff);
                            frameLen = ENVELOPE_HEADER_BYTES + l;
                            int limit = type == 243 ? Math.min(maxFrameBytes, MAX_KEYRING_FRAME_BYTES) : maxFrameBytes;
                            if (frameLen > limit) {
                                String what = switch (type) {
                                    case 10 -> "encrypted stream of ";
                                    case 242 -> "signed push/pull of ";
                                    default -> "keyring message of ";
                                };
                                return fail(Rejection.TOO_LARGE, what + frameLen + " bytes, limit " + limit);
                            }
                            phase = AWAIT_END;
                        }
                        case 0, 2, 9, 13 -> {
                            skipper.reset(1, 1);
                            phase = ONE_VALUE;
                        }
                        case 6 -> {
                            skipper.reset(1, 1);
                            phase = PUSH_PULL_HEADER;
                        }
                        case 8 -> {
                            skipper.reset(1, 1);
                            phase = USER_HEADER;
                        }
                        default -> {
                            WireException e = WireDecoder.unknownOrUnsupported(type, "at the start of a stream");
                            return fail(e.reason, e.getMessage());
                        }
                    }
                    break;
                }
                case ONE_VALUE: {
                    int st = skipper.advance(buf, off, len, maxFrameBytes);
                    if (st != MsgpackSkipper.DONE) {
                        return notDone(st);
                    }
                    frameLen = skipper.pos;
                    phase = AWAIT_END;
                    break;
                }
                case PUSH_PULL_HEADER: {
                    int st = skipper.advance(buf, off, len, maxFrameBytes);
                    if (st != MsgpackSkipper.DONE) {
                        return notDone(st);
                    }
                    int end = (int) skipper.pos;
                    WireDecoder.PushPullHeader h = WireDecoder.pushPullHeader(new MsgpackReader(buf, off + 1, end - 1));
                    tailLen = h.userStateLen();
                    if (end + (long) h.nodes() + tailLen > maxFrameBytes) {
                        return fail(Rejection.TOO_LARGE, "push/pull with " + h.nodes() + " nodes and "
                                + tailLen + " bytes of user state exceeds " + maxFrameBytes + " bytes");
                    }
                    skipper.reset(end, h.nodes());
                    phase = PUSH_PULL_RECORDS;
                    break;
                }
                case PUSH_PULL_RECORDS: {
                    int st = skipper.advance(buf, off, len, maxFrameBytes - tailLen);
                    if (st != MsgpackSkipper.DONE) {
                        return notDone(st);
                    }
                    frameLen = skipper.pos + tailLen;
                    phase = AWAIT_END;
                    break;
                }
                case USER_HEADER: {
                    int st = skipper.advance(buf, off, len, maxFrameBytes);
                    if (st != MsgpackSkipper.DONE) {
                        return notDone(st);
                    }
                    int end = (int) skipper.pos;
                    tailLen = WireDecoder.userMsgHeader(new MsgpackReader(buf, off + 1, end - 1));
                    frameLen = end + tailLen;
                    if (frameLen > maxFrameBytes) {
                        return fail(Rejection.TOO_LARGE, "user message of " + frameLen + " bytes, limit "
                                + maxFrameBytes);
                    }
                    phase = AWAIT_END;
                    break;
                }
                case AWAIT_END:
                    if (len < frameLen) {
                        return NEED_MORE;
                    }
                    phase = DONE;
                    break;
                default:
                    throw new IllegalStateException("phase " + phase);
            }
        }
    }

    private int notDone(int status) {
        switch (status) {
            case MsgpackSkipper.NEED_MORE:
                return NEED_MORE;
            case MsgpackSkipper.OVER_LIMIT:
                return fail(Rejection.TOO_LARGE, "stream message longer than " + maxFrameBytes + " bytes");
            default:
                return fail(Rejection.MALFORMED, "invalid msgpack byte 0xc1");
        }
    }

    private int fail(Rejection reason, String why) {
        phase = FAILED;
        rejection = reason;
        detail = why;
        return REJECTED;
    }
}
