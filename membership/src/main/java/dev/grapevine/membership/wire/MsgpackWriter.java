package dev.grapevine.membership.wire;

import java.nio.charset.StandardCharsets;
import org.msgpack.core.MessagePack.Code;

/**
 * Writes msgpack values exactly as go-msgpack 0.5.5 with a default {@code MsgpackHandle} does, into
 * a {@code byte[]} sized in advance (the {@code size*} methods give the exact sizes).
 *
 * <p>The forms (memberlist-wire.md §4):
 * <ul>
 *   <li>non-negative integers, signed or unsigned: the smallest <em>unsigned</em> form (positive
 *       fixint, {@code cc}, {@code cd}, {@code ce}, {@code cf}); negative: negative fixint,
 *       {@code d0..d3};</li>
 *   <li>strings <em>and</em> byte slices: the str family without str8 (fixstr, {@code da} str16,
 *       {@code db} str32), never bin; a null slice is nil ({@code c0});</li>
 *   <li>maps: fixmap, then map16/map32 (memberlist structs have at most 8 fields).</li>
 * </ul>
 * Format bytes are msgpack-core's {@link Code} constants. Using msgpack-core's packer with
 * {@code withStr8FormatSupport(false)} gives the same bytes (checked by a test); this writer exists
 * because it needs no buffer chunks, no exceptions and no copy at the end.
 *
 * <p>Not thread-safe; one instance per encoded message.
 */
final class MsgpackWriter {
    final byte[] buf;
    int pos;

    MsgpackWriter(int size) {
        this.buf = new byte[size];
    }

    // ---- sizes -------------------------------------------------------------------------------

    /** Size of a non-negative integer (treated as unsigned 64-bit). */
    static int uintSize(long v) {
        if (v >= 0 && v <= 0x7f) {
            return 1;
        } else if (v >= 0 && v <= 0xff) {
            return 2;
        } else if (v >= 0 && v <= 0xffff) {
            return 3;
        } else if (v >= 0 && v <= 0xffff_ffffL) {
            return 5;
        }
        return 9;
    }

    /** Size of a signed Go {@code int} value: unsigned forms when non-negative. */
    static int intSize(long v) {
        if (v >= 0) {
            return uintSize(v);
        } else if (v >= -32) {
            return 1;
        } else if (v >= Byte.MIN_VALUE) {
            return 2;
        } else if (v >= Short.MIN_VALUE) {
            return 3;
        } else if (v >= Integer.MIN_VALUE) {
            return 5;
        }
        return 9;
    }

    /** Size of a str-family header for a payload of {@code len} bytes. */
    static int strHeaderSize(int len) {
        return len < 32 ? 1 : len < 0x10000 ? 3 : 5;
    }

    /** Size of a byte slice written in the str family, or nil. */
    static int bytesSize(byte[] b) {
        return b == null ? 1 : strHeaderSize(b.length) + b.length;
    }

    /** Size of a string whose UTF-8 form is {@code utf8Len} bytes. */
    static int strSize(int utf8Len) {
        return strHeaderSize(utf8Len) + utf8Len;
    }

    /** Size of a map header. */
    static int mapHeaderSize(int n) {
        return n < 16 ? 1 : n < 0x10000 ? 3 : 5;
    }

    /** Size of an array header. */
    static int arrayHeaderSize(int n) {
        return n < 16 ? 1 : n < 0x10000 ? 3 : 5;
    }

    /** A map key (a Go field name) pre-encoded as fixstr + ASCII bytes. */
    static byte[] key(String name) {
        byte[] ascii = name.getBytes(StandardCharsets.US_ASCII);
        if (ascii.length >= 32) {
            throw new IllegalArgumentException("key too long: " + name);
        }
        byte[] k = new byte[ascii.length + 1];
        k[0] = (byte) (Code.FIXSTR_PREFIX | ascii.length);
        System.arraycopy(ascii, 0, k, 1, ascii.length);
        return k;
    }

    // ---- writes ------------------------------------------------------------------------------

    void u8(int b) {
        buf[pos++] = (byte) b;
    }

    void be16(int v) {
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    void be32(long v) {
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    void be64(long v) {
        be32(v >>> 32);
        be32(v & 0xffff_ffffL);
    }

    /** Copies pre-encoded bytes (a key from {@link #key}, or a raw payload). */
    void raw(byte[] b) {
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    void mapHeader(int n) {
        if (n < 16) {
            u8(Code.FIXMAP_PREFIX | n);
        } else if (n < 0x10000) {
            u8(Code.MAP16);
            be16(n);
        } else {
            u8(Code.MAP32);
            be32(n);
        }
    }

    void arrayHeader(int n) {
        if (n < 16) {
            u8(Code.FIXARRAY_PREFIX | n);
        } else if (n < 0x10000) {
            u8(Code.ARRAY16);
            be16(n);
        } else {
            u8(Code.ARRAY32);
            be32(n);
        }
    }

    void nil() {
        u8(Code.NIL);
    }

    /** A non-negative integer (unsigned 64-bit) in the smallest unsigned form. */
    void uint(long v) {
        if (v >= 0 && v <= 0x7f) {
            u8((int) v);
        } else if (v >= 0 && v <= 0xff) {
            u8(Code.UINT8);
            u8((int) v);
        } else if (v >= 0 && v <= 0xffff) {
            u8(Code.UINT16);
            be16((int) v);
        } else if (v >= 0 && v <= 0xffff_ffffL) {
            u8(Code.UINT32);
            be32(v);
        } else {
            u8(Code.UINT64);
            be64(v);
        }
    }

    /** A signed Go {@code int}: unsigned forms when non-negative, as go-msgpack 0.5.5 does. */
    void sint(long v) {
        if (v >= 0) {
            uint(v);
        } else if (v >= -32) {
            u8((int) v);
        } else if (v >= Byte.MIN_VALUE) {
            u8(Code.INT8);
            u8((int) v);
        } else if (v >= Short.MIN_VALUE) {
            u8(Code.INT16);
            be16((int) v);
        } else if (v >= Integer.MIN_VALUE) {
            u8(Code.INT32);
            be32(v);
        } else {
            u8(Code.INT64);
            be64(v);
        }
    }

    void bool(boolean b) {
        u8(b ? Code.TRUE : Code.FALSE);
    }

    void strHeader(int len) {
        if (len < 32) {
            u8(Code.FIXSTR_PREFIX | len);
        } else if (len < 0x10000) {
            u8(Code.STR16);
            be16(len);
        } else {
            u8(Code.STR32);
            be32(len);
        }
    }

    /** A byte slice in the str family; null is nil. */
    void bytes(byte[] b) {
        if (b == null) {
            u8(Code.NIL);
            return;
        }
        strHeader(b.length);
        raw(b);
    }

    /** A string whose UTF-8 length was computed with {@link Utf8#length}. */
    void str(String s, int utf8Len) {
        strHeader(utf8Len);
        pos = Utf8.encode(s, buf, pos);
    }
}
