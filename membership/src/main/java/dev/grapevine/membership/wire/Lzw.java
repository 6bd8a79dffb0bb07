package dev.grapevine.membership.wire;

import dev.grapevine.membership.Rejection;
import java.util.Arrays;
import java.util.Objects;

/**
 * LZW exactly as Go's {@code compress/lzw} with {@code lzw.LSB} order and literal width 8, the
 * only compression memberlist uses ({@code compressMsg} Algo 0, memberlist-wire.md §2.3).
 *
 * <pre>
 *  codes   0..255  literal bytes
 *          256     CLEAR: reset the dictionary and the code width
 *          257     EOF: end of data (mandatory)
 *          258..4095 dictionary entries, assigned in order
 *  width   9 bits, growing by one (to at most 12) as soon as the next code to be assigned
 *          reaches 2^width; codes are packed least-significant bit first
 * </pre>
 *
 * <p>The compressor reproduces Go's {@code lzw.NewWriter(w, lzw.LSB, 8)} output byte for byte,
 * including the behaviour of the Go releases that built Serf 0.9.4 in Debian (Go 1.17 and later):
 * the stream <b>starts with CLEAR</b>, a CLEAR is sent (at the current width) whenever the next
 * code would be 4095, and the stream ends with the last code, EOF and the partial final byte.
 * (Go before 1.17 did not send the leading CLEAR; decoders accept both, since a CLEAR in the
 * initial state changes nothing.)
 *
 * <p>The decompressor mirrors Go's reader, including its handling of the "KwKwK" code and of a
 * full 12-bit table (no more entries until the next CLEAR). It rejects a stream that ends without
 * EOF ({@link Rejection#BAD_COMPRESSION}, Go's "unexpected EOF"), a code above the next free
 * entry ({@link Rejection#BAD_COMPRESSION}, "invalid code") and output beyond {@code maxOut}
 * ({@link Rejection#TOO_LARGE}). Bytes after EOF are ignored, as Go ignores them.
 *
 * <p>Costs: the hash table of {@code compress} (64 KiB) and the dictionary of {@code decompress}
 * (about 16 KiB) live in a per-thread workspace that is reused from call to call, so a call
 * allocates only its result (memberlist tries to compress every packet, so this is a hot path).
 * The decompressed output grows as needed and is never sized from a claim.
 *
 * <p>Thread-safety: all methods are static, keep no shared state and are thread-safe.
 */
public final class Lzw {
    private static final int LIT_WIDTH = 8;
    private static final int CLEAR = 1 << LIT_WIDTH; // 256
    private static final int EOF = CLEAR + 1; // 257
    private static final int MAX_WIDTH = 12;
    private static final int MAX_CODE = (1 << MAX_WIDTH) - 1; // 4095
    private static final int TABLE_SIZE = 4 << MAX_WIDTH; // hash slots, as Go
    private static final int TABLE_MASK = TABLE_SIZE - 1;
    private static final int NO_CODE = 0xffff;

    /** Per-thread tables, reused across calls; each call leaves them clean for the next. */
    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private static final class Workspace {
        // compress: (key << 12 | code) per slot, 0 = empty, and the slots in use so only they are cleared
        final int[] table = new int[TABLE_SIZE];
        final int[] used = new int[1 << MAX_WIDTH];
        int usedCount;
        byte[] out = new byte[2048];
        // decompress: the dictionary
        final byte[] suffix = new byte[1 << MAX_WIDTH];
        final char[] prefix = new char[1 << MAX_WIDTH];
        final byte[] scratch = new byte[1 << MAX_WIDTH];

        void clearTable() {
            for (int i = 0; i < usedCount; i++) {
                table[used[i]] = 0;
            }
            usedCount = 0;
        }
    }

    private Lzw() {
    }

    /**
     * Compresses {@code in} as Go's {@code lzw.NewWriter(&buf, lzw.LSB, 8)} followed by one
     * {@code Write(in)} and {@code Close()}, which is how memberlist's {@code compressPayload} calls it.
     *
     * @param in the bytes to compress (may be empty)
     * @return a new array with the compressed stream
     */
    public static byte[] compress(byte[] in) {
        Objects.requireNonNull(in, "in");
        int n = in.length;
        Workspace ws = WORKSPACE.get();
        // Upper bound: one code of at most 12 bits per input byte, plus the CLEARs, the leading
        // CLEAR, the final code and EOF, plus the partial byte.
        long maxCodes = (long) n + n / 1000 + 4;
        int bound = (int) Math.min(Integer.MAX_VALUE - 8, maxCodes * MAX_WIDTH / 8 + 2);
        if (ws.out.length < bound && bound <= 1 << 20) {
            ws.out = new byte[Math.max(bound, ws.out.length * 2)];
        }
        BitWriter w = new BitWriter(bound <= ws.out.length ? ws.out : new byte[bound]);
        try {
            return compress(in, ws, w);
        } finally {
            ws.clearTable();
        }
    }

    private static byte[] compress(byte[] in, Workspace ws, BitWriter w) {
        int n = in.length;
        int width = LIT_WIDTH + 1;
        int hi = EOF; // last assigned code
        int overflow = 1 << width;
        int[] table = ws.table; // (key << 12 | code), 0 = empty; key = prefix << 8 | byte
        w.write(CLEAR, width);
        if (n == 0) {
            w.write(EOF, width);
            return w.finish();
        }
        int code = in[0] & 0xff;
        next:
        for (int i = 1; i < n; i++) {
            int literal = in[i] & 0xff;
            int key = (code << 8) | literal;
            int hash = ((key >>> 12) ^ key) & TABLE_MASK;
            for (int h = hash, t = table[h]; t != 0; h = (h + 1) & TABLE_MASK, t = table[h]) {
                if ((t >>> 12) == key) {
                    code = t & MAX_CODE;
                    continue next;
                }
            }
            w.write(code, width);
            code = literal;
            hi++;
            if (hi == overflow) {
                width++;
                overflow <<= 1;
            }
            if (hi == MAX_CODE) {
                w.write(CLEAR, width);
                width = LIT_WIDTH + 1;
                hi = EOF;
                overflow = 1 << width;
                ws.clearTable();
                continue;
            }
            int h = hash;
            while (table[h] != 0) {
                h = (h + 1) & TABLE_MASK;
            }
            table[h] = (key << 12) | hi;
            ws.used[ws.usedCount++] = h;
        }
        w.write(code, width);
        hi++;
        if (hi == overflow) {
            width++;
        }
        if (hi == MAX_CODE) {
            w.write(CLEAR, width);
            width = LIT_WIDTH + 1;
        }
        w.write(EOF, width);
        return w.finish();
    }

    /**
     * Decompresses a Go-compatible LZW stream.
     *
     * @param in     the bytes
     * @param off    where the stream starts
     * @param len    how many bytes it may span (bytes after the EOF code are ignored)
     * @param maxOut the most bytes the output may have
     * @return the decompressed bytes, or {@link Rejection#BAD_COMPRESSION} (no EOF code, invalid
     *         code) or {@link Rejection#TOO_LARGE} (output beyond {@code maxOut}); never throws for
     *         any content
     * @throws IndexOutOfBoundsException if {@code off}/{@code len} are not a range of {@code in}
     * @throws IllegalArgumentException  if {@code maxOut} is negative
     */
    public static DecodeResult<byte[]> decompress(byte[] in, int off, int len, int maxOut) {
        Objects.checkFromIndexSize(off, len, in.length);
        if (maxOut < 0) {
            throw new IllegalArgumentException("maxOut < 0: " + maxOut);
        }
        try {
            return DecodeResult.ok(decompressOrThrow(in, off, len, maxOut));
        } catch (WireException e) {
            return e.toResult();
        }
    }

    /** {@link #decompress} for callers inside the codec: rejections are thrown. */
    static byte[] decompressOrThrow(byte[] in, int off, int len, int maxOut) {
        final int end = off + len;
        int p = off;
        int bits = 0;
        int nBits = 0;
        int width = LIT_WIDTH + 1;
        int hi = EOF; // next entry to be assigned
        int overflow = 1 << width;
        int last = NO_CODE;
        Workspace ws = WORKSPACE.get();
        byte[] suffix = ws.suffix;
        char[] prefix = ws.prefix;
        byte[] scratch = ws.scratch;
        // Start near the typical ratio, at most 1 MiB, and grow by doubling up to maxOut.
        byte[] out = new byte[(int) Math.min(maxOut, Math.max(256L, Math.min(3L * len, 1 << 20)))];
        int o = 0;
        while (true) {
            while (nBits < width) {
                if (p == end) {
                    throw new WireException(Rejection.BAD_COMPRESSION, "LZW stream ends without EOF code");
                }
                bits |= (in[p++] & 0xff) << nBits;
                nBits += 8;
            }
            int code = bits & ((1 << width) - 1);
            bits >>>= width;
            nBits -= width;

            if (code < CLEAR) {
                if (o == out.length) {
                    out = grow(out, o + 1, maxOut);
                }
                out[o++] = (byte) code;
                if (last != NO_CODE) {
                    suffix[hi] = (byte) code;
                    prefix[hi] = (char) last;
                }
            } else if (code == CLEAR) {
                width = LIT_WIDTH + 1;
                hi = EOF;
                overflow = 1 << width;
                last = NO_CODE;
                continue;
            } else if (code == EOF) {
                return o == out.length ? out : Arrays.copyOf(out, o);
            } else if (code <= hi) {
                int c = code;
                int i = scratch.length - 1;
                if (code == hi && last != NO_CODE) {
                    // KwKwK: the entry being defined is last's string + its own first byte.
                    c = last;
                    while (c >= CLEAR) {
                        c = prefix[c];
                    }
                    scratch[i--] = (byte) c;
                    c = last;
                }
                while (c >= CLEAR) {
                    if (i <= 0) {
                        throw new WireException(Rejection.BAD_COMPRESSION, "LZW dictionary loop");
                    }
                    scratch[i--] = suffix[c];
                    c = prefix[c];
                }
                scratch[i] = (byte) c;
                int n = scratch.length - i;
                if (n > out.length - o) {
                    out = grow(out, (long) o + n, maxOut);
                }
                System.arraycopy(scratch, i, out, o, n);
                o += n;
                if (last != NO_CODE) {
                    suffix[hi] = (byte) c;
                    prefix[hi] = (char) last;
                }
            } else {
                throw new WireException(Rejection.BAD_COMPRESSION, "invalid LZW code " + code);
            }
            last = code;
            hi++;
            if (hi >= overflow) {
                if (width == MAX_WIDTH) {
                    last = NO_CODE;
                    hi--;
                } else {
                    width++;
                    overflow <<= 1;
                }
            }
        }
    }

    private static byte[] grow(byte[] out, long needed, int maxOut) {
        if (needed > maxOut) {
            throw new WireException(Rejection.TOO_LARGE, "decompressed data larger than " + maxOut + " bytes");
        }
        long size = Math.max(needed, Math.min((long) maxOut, 2L * out.length));
        return Arrays.copyOf(out, (int) size);
    }

    /** Packs codes least-significant bit first, as Go's {@code writeLSB}. */
    private static final class BitWriter {
        private byte[] buf;
        private int pos;
        private int bits;
        private int nBits;

        /** Writes into {@code buf} (a reused workspace buffer, or a fresh one); {@link #finish} copies out. */
        BitWriter(byte[] buf) {
            this.buf = buf;
        }

        void write(int code, int width) {
            bits |= code << nBits;
            nBits += width;
            while (nBits >= 8) {
                if (pos == buf.length) {
                    buf = Arrays.copyOf(buf, buf.length * 2);
                }
                buf[pos++] = (byte) bits;
                bits >>>= 8;
                nBits -= 8;
            }
        }

        /** The packed bytes, in a new array of exactly their length. */
        byte[] finish() {
            if (nBits > 0) {
                if (pos == buf.length) {
                    buf = Arrays.copyOf(buf, buf.length + 1);
                }
                buf[pos++] = (byte) bits;
            }
            return Arrays.copyOf(buf, pos);
        }
    }
}
