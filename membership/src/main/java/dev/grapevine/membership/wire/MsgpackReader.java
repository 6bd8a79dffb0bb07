package dev.grapevine.membership.wire;

import dev.grapevine.membership.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.msgpack.core.MessagePack.Code;

/**
 * Reads msgpack values from a byte range with the acceptance rules of go-msgpack 0.5.5 decoding
 * into typed Go struct fields (memberlist-wire.md §4):
 *
 * <ul>
 *   <li>integer fields take every integer family (positive/negative fixint, uint8..64, int8..64);
 *       a negative value in an unsigned field, or a value too wide for the Go type, is
 *       {@link Rejection#INTEGER_OVERFLOW}; floats and anything else are
 *       {@link Rejection#WRONG_FIELD_TYPE};</li>
 *   <li>string fields take fixstr/str8/str16/str32; bin is {@link Rejection#WRONG_FIELD_TYPE};</li>
 *   <li>byte-slice fields take the str family, bin8/16/32, and an array of integers 0..255 (and,
 *       as go-msgpack 0.5.5 does, a map, read as its keys and values in turn);</li>
 *   <li>bool fields take {@code c2}/{@code c3} and the fixints 0 and 1 (exactly the bytes go-msgpack
 *       0.5.5 accepts);</li>
 *   <li>nil ({@code c0}) in any field gives the field's zero value (null for byte slices).</li>
 * </ul>
 *
 * <p>Every claimed length is checked against the bytes that remain before anything is allocated
 * or looped over, so a hostile header costs O(1). Errors are thrown as {@link WireException}, which
 * the public entry points turn into rejections.
 *
 * <p>An empty str or bin decodes to a zero-length array (go-msgpack 0.5.5 leaves the slice nil;
 * memberlist treats nil and empty alike everywhere), so Java records survive a round trip.
 *
 * <p>Not thread-safe; one instance per decoded message.
 */
final class MsgpackReader {
    static final byte[] EMPTY_BYTES = new byte[0];

    private final byte[] buf;
    int pos;
    private final int end;
    /** Set by {@link #structHeader}: the struct was written as an array (fields in declaration order). */
    boolean arrayForm;
    /** Set by {@link #bytesView}: the array holding the bytes (null for nil), their offset and length. */
    byte[] viewArray;
    int viewOff;
    int viewLen;
    private MsgpackSkipper skipper;

    MsgpackReader(byte[] buf, int off, int len) {
        this.buf = buf;
        this.pos = off;
        this.end = off + len;
    }

    int remaining() {
        return end - pos;
    }

    static WireException truncated(String what) {
        return new WireException(Rejection.MALFORMED, "msgpack cut short in " + what);
    }

    private static WireException wrongType(String field, int b) {
        return new WireException(Rejection.WRONG_FIELD_TYPE,
                "unexpected msgpack type 0x" + Integer.toHexString(b) + " for " + field);
    }

    private static WireException overflow(String field) {
        return new WireException(Rejection.INTEGER_OVERFLOW, "integer out of range for " + field);
    }

    private int u8(String what) {
        if (pos >= end) {
            throw truncated(what);
        }
        return buf[pos++] & 0xff;
    }

    private void need(long n, String what) {
        if (n > end - pos) {
            throw truncated(what);
        }
    }

    private int be16() {
        int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    private long be32() {
        long v = ((long) (buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16)
                | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    private long be64() {
        long hi = be32();
        return (hi << 32) | be32();
    }

    // ---- structs ----------------------------------------------------------------------------

    /**
     * Reads the header of a struct: a map (keys then matched with {@link #field}) or an array
     * (fields in Go declaration order, {@link #arrayForm} set). nil is an empty struct, as in Go.
     *
     * @return the number of entries that follow
     */
    int structHeader(String struct) {
        int b = u8(struct);
        long n;
        if (b >= 0x80 && b <= 0x8f) {
            arrayForm = false;
            n = b & 0x0f;
        } else if (b >= 0x90 && b <= 0x9f) {
            arrayForm = true;
            n = b & 0x0f;
        } else {
            switch ((byte) b) {
                case Code.NIL -> {
                    arrayForm = false;
                    return 0;
                }
                case Code.MAP16 -> {
                    need(2, struct);
                    arrayForm = false;
                    n = be16();
                }
                case Code.MAP32 -> {
                    need(4, struct);
                    arrayForm = false;
                    n = be32();
                }
                case Code.ARRAY16 -> {
                    need(2, struct);
                    arrayForm = true;
                    n = be16();
                }
                case Code.ARRAY32 -> {
                    need(4, struct);
                    arrayForm = true;
                    n = be32();
                }
                default -> throw new WireException(Rejection.WRONG_FIELD_TYPE,
                        "expected a map for " + struct + ", got msgpack type 0x" + Integer.toHexString(b));
            }
        }
        // Each map entry takes at least 2 bytes, each array element 1.
        if ((arrayForm ? n : 2 * n) > end - pos) {
            throw truncated(struct);
        }
        return (int) n;
    }

    /**
     * The field an entry stands for: the entry index when the struct is an array, else the index in
     * {@code keys} of the key just read (exact, case-sensitive byte match), or -1 when unknown (the
     * caller then calls {@link #skip}). Keys must be strings (str family or nil, which is "").
     */
    int field(int entry, byte[][] keys) {
        if (arrayForm) {
            return entry < keys.length ? entry : -1;
        }
        int len = strLen("map key");
        int start = pos;
        pos += len;
        for (int i = 0; i < keys.length; i++) {
            byte[] k = keys[i];
            if (k.length == len && Arrays.equals(k, 0, len, buf, start, start + len)) {
                return i;
            }
        }
        return -1;
    }

    /** Pre-encodes a key for {@link #field}: the raw ASCII bytes of a Go field name. */
    static byte[] key(String goFieldName) {
        return goFieldName.getBytes(StandardCharsets.US_ASCII);
    }

    /** Skips one value of any type, however nested, without recursion. */
    void skip() {
        MsgpackSkipper s = skipper;
        if (s == null) {
            s = skipper = new MsgpackSkipper();
        }
        s.reset(pos, 1);
        int status = s.advance(buf, 0, end, end);
        if (status == MsgpackSkipper.INVALID) {
            throw new WireException(Rejection.MALFORMED, "invalid msgpack byte 0xc1");
        }
        if (status != MsgpackSkipper.DONE) {
            throw truncated("skipped value");
        }
        pos = (int) s.pos;
    }

    // ---- scalars ----------------------------------------------------------------------------

    /**
     * An integer field of any msgpack integer family as a signed 64-bit value; nil is 0. A uint64
     * above {@link Long#MAX_VALUE} is wider than every field memberlist has, so it is
     * {@link Rejection#INTEGER_OVERFLOW}, as is a negative value when {@code unsigned}.
     */
    private long integer(String field, boolean unsigned) {
        int b = u8(field);
        if (b <= 0x7f) {
            return b;
        }
        if (b >= 0xe0) {
            if (unsigned) {
                throw overflow(field);
            }
            return (byte) b;
        }
        switch ((byte) b) {
            case Code.NIL:
                return 0;
            case Code.UINT8:
                need(1, field);
                return buf[pos++] & 0xff;
            case Code.UINT16:
                need(2, field);
                return be16();
            case Code.UINT32:
                need(4, field);
                return be32();
            case Code.UINT64: {
                need(8, field);
                long v = be64();
                if (v < 0) {
                    throw overflow(field); // above 2^63-1: wider than every field we decode
                }
                return v;
            }
            case Code.INT8:
                need(1, field);
                return checkSign(buf[pos++], unsigned, field);
            case Code.INT16:
                need(2, field);
                return checkSign((short) be16(), unsigned, field);
            case Code.INT32:
                need(4, field);
                return checkSign((int) be32(), unsigned, field);
            case Code.INT64:
                need(8, field);
                return checkSign(be64(), unsigned, field);
            default:
                throw wrongType(field, b);
        }
    }

    private static long checkSign(long v, boolean unsigned, String field) {
        if (unsigned && v < 0) {
            throw overflow(field);
        }
        return v;
    }

    /** An unsigned Go integer field of at most {@code max}; returns its bits (uint32 fits in an int's bits). */
    long uint(String field, long max) {
        long v = integer(field, true);
        if (v > max) {
            throw overflow(field);
        }
        return v;
    }

    /**
     * A Go {@code uint64} field (Serf's {@code LamportTime}). Values above {@link Long#MAX_VALUE}
     * are {@link Rejection#INTEGER_OVERFLOW}: Java carries them in a signed long, and no Lamport
     * clock of a real cluster gets near 2^63.
     */
    long uint64(String field) {
        return integer(field, true);
    }

    /** A Go {@code int64} field (a {@code time.Duration}): any integer family, any sign. */
    long int64(String field) {
        return integer(field, false);
    }

    /** Consumes a msgpack nil and returns true when the next value is one; otherwise leaves it. */
    boolean tryNil() {
        if (pos < end && buf[pos] == Code.NIL) {
            pos++;
            return true;
        }
        return false;
    }

    /**
     * The header of a Go map field: the number of entries, or -1 for nil. The entries (at least
     * two bytes each) must fit in the bytes left. Anything but a map or nil is
     * {@link Rejection#WRONG_FIELD_TYPE}.
     */
    int mapHeader(String field) {
        int b = u8(field);
        long n;
        if (b >= 0x80 && b <= 0x8f) {
            n = b & 0x0f;
        } else if (b == (Code.NIL & 0xff)) {
            return -1;
        } else if (b == (Code.MAP16 & 0xff)) {
            need(2, field);
            n = be16();
        } else if (b == (Code.MAP32 & 0xff)) {
            need(4, field);
            n = be32();
        } else {
            throw wrongType(field, b);
        }
        if (2 * n > end - pos) {
            throw truncated(field);
        }
        return (int) n;
    }

    /**
     * The header of a Go slice field other than {@code []byte}: the number of elements, or -1
     * for nil. The elements (at least one byte each) must fit in the bytes left. Anything but an
     * array or nil is {@link Rejection#WRONG_FIELD_TYPE}.
     */
    int arrayHeader(String field) {
        int b = u8(field);
        long n;
        if (b >= 0x90 && b <= 0x9f) {
            n = b & 0x0f;
        } else if (b == (Code.NIL & 0xff)) {
            return -1;
        } else if (b == (Code.ARRAY16 & 0xff)) {
            need(2, field);
            n = be16();
        } else if (b == (Code.ARRAY32 & 0xff)) {
            need(4, field);
            n = be32();
        } else {
            throw wrongType(field, b);
        }
        if (n > end - pos) {
            throw truncated(field);
        }
        return (int) n;
    }

    /** Position of the next value, for callers that need the bytes after a decoded value. */
    int position() {
        return pos;
    }

    /** A Go {@code uint32} field, returned as the same 32 bits in a Java int. */
    int uint32(String field) {
        return (int) uint(field, 0xffff_ffffL);
    }

    /** A Go {@code uint16} field. */
    int uint16(String field) {
        return (int) uint(field, 0xffff);
    }

    /**
     * A Go {@code int} field. Java carries it as an {@code int}, so values outside the int32 range
     * (legal for Go's 64-bit int, never produced by memberlist) are {@link Rejection#INTEGER_OVERFLOW}.
     */
    int goInt(String field) {
        long v = integer(field, false);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw overflow(field);
        }
        return (int) v;
    }

    /** A Go {@code bool} field: {@code c2}/{@code c3}, fixint 0/1, or nil. */
    boolean bool(String field) {
        int b = u8(field);
        switch ((byte) b) {
            case Code.TRUE, 0x01:
                return true;
            case Code.FALSE, 0x00, Code.NIL:
                return false;
            default:
                throw wrongType(field, b);
        }
    }

    /** Reads a str-family header (or nil, length 0) and checks that the payload is present. */
    private int strLen(String field) {
        int b = u8(field);
        long len;
        if (b >= 0xa0 && b <= 0xbf) {
            len = b & 0x1f;
        } else {
            switch ((byte) b) {
                case Code.NIL -> len = 0;
                case Code.STR8 -> {
                    need(1, field);
                    len = buf[pos++] & 0xff;
                }
                case Code.STR16 -> {
                    need(2, field);
                    len = be16();
                }
                case Code.STR32 -> {
                    need(4, field);
                    len = be32();
                }
                default -> throw wrongType(field, b);
            }
        }
        need(len, field);
        return (int) len;
    }

    /** A Go {@code string} field: str family or nil ("" ). Bin is refused, as go-msgpack 0.5.5 does. */
    String string(String field) {
        int len = strLen(field);
        if (len == 0) {
            return "";
        }
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    /**
     * A Go {@code []byte} field: str or bin family, an array of integers 0..255, a map (its keys and
     * values in turn, each an integer 0..255, as go-msgpack 0.5.5 decodes a map into a slice), or
     * nil (null). The result is a fresh array (or the shared empty array).
     */
    byte[] bytes(String field) {
        bytesView(field);
        if (viewArray != buf) {
            return viewArray; // nil, or an array materialised from a msgpack array or map
        }
        return viewLen == 0 ? EMPTY_BYTES : Arrays.copyOfRange(buf, viewOff, viewOff + viewLen);
    }

    /**
     * Like {@link #bytes} but without copying a str or bin payload: sets {@link #viewArray},
     * {@link #viewOff} and {@link #viewLen} to the bytes inside the input. Used directly for large
     * fields such as a compressed {@code Buf}.
     */
    void bytesView(String field) {
        int b = u8(field);
        long len;
        if (b >= 0xa0 && b <= 0xbf) {
            len = b & 0x1f;
        } else if (b >= 0x90 && b <= 0x9f) {
            view(byteArray(b & 0x0f, field));
            return;
        } else if (b >= 0x80 && b <= 0x8f) {
            view(byteArray(2L * (b & 0x0f), field));
            return;
        } else {
            switch ((byte) b) {
                case Code.NIL:
                    view(null);
                    return;
                case Code.STR8:
                case Code.BIN8:
                    need(1, field);
                    len = buf[pos++] & 0xff;
                    break;
                case Code.STR16:
                case Code.BIN16:
                    need(2, field);
                    len = be16();
                    break;
                case Code.STR32:
                case Code.BIN32:
                    need(4, field);
                    len = be32();
                    break;
                case Code.ARRAY16:
                    need(2, field);
                    view(byteArray(be16(), field));
                    return;
                case Code.ARRAY32:
                    need(4, field);
                    view(byteArray(be32(), field));
                    return;
                case Code.MAP16:
                    need(2, field);
                    view(byteArray(2L * be16(), field));
                    return;
                case Code.MAP32:
                    need(4, field);
                    view(byteArray(2L * be32(), field));
                    return;
                default:
                    throw wrongType(field, b);
            }
        }
        need(len, field);
        viewArray = buf;
        viewOff = pos;
        viewLen = (int) len;
        pos += (int) len;
    }

    private void view(byte[] array) {
        viewArray = array;
        viewOff = 0;
        viewLen = array == null ? 0 : array.length;
    }

    private byte[] byteArray(long n, String field) {
        need(n, field); // every element takes at least one byte
        byte[] out = n == 0 ? EMPTY_BYTES : new byte[(int) n];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) uint(field, 0xff);
        }
        return out;
    }

    /** The next {@code n} raw (not msgpack) bytes, copied; the caller checked {@link #remaining}. */
    byte[] rawBytes(int n) {
        need(n, "raw bytes");
        byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return out;
    }
}
