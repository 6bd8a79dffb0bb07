package dev.grapevine.membership.wire;

import org.msgpack.core.MessagePack.Code;

/**
 * Skips msgpack values without decoding them, iteratively and resumably.
 *
 * <p>Nested values need no stack: skipping a map of {@code n} entries is the same as skipping
 * {@code 2n} more values, and an array of {@code n} elements {@code n} more, so the whole state is
 * one counter of values still to skip ({@link #pending}) and a position ({@link #pos}). Hostile
 * nesting therefore cannot exhaust the Java stack, and a caller that gets {@link #NEED_MORE} can call
 * {@link #advance} again later, when more bytes have arrived, without re-reading anything but the
 * one value header it stopped at.
 *
 * <p>Positions are relative to a base offset that the caller passes on each call, so the bytes may
 * move to a bigger array between calls as long as the prefix stays the same.
 *
 * <p>Not thread-safe: one instance per reader or per {@link StreamFramer}.
 */
final class MsgpackSkipper {
    /** All pending values were skipped. */
    static final int DONE = 0;
    /** The bytes end inside a value; call again with more. */
    static final int NEED_MORE = 1;
    /** A value would end beyond the hard limit. */
    static final int OVER_LIMIT = 2;
    /** The byte {@code 0xc1}, which msgpack never uses. */
    static final int INVALID = 3;

    /** Position of the next value header, relative to the base offset. */
    long pos;
    /** How many values are still to be skipped. */
    long pending;
    /** How many value headers were examined (a measure of work for tests). */
    long steps;

    /** Starts skipping {@code count} consecutive values at relative position {@code pos}. */
    void reset(long pos, long count) {
        this.pos = pos;
        this.pending = count;
    }

    /**
     * Skips as many of the pending values as the available bytes hold.
     *
     * @param buf   the bytes
     * @param base  offset in {@code buf} of relative position 0
     * @param avail how many bytes from {@code base} are available now
     * @param limit relative position no value may extend beyond ({@code >= avail}); a value or a
     *              count of values that cannot fit before it gives {@link #OVER_LIMIT}
     * @return {@link #DONE}, {@link #NEED_MORE}, {@link #OVER_LIMIT} or {@link #INVALID}; on
     *         anything but {@code DONE}, {@link #pos} is at the header of the value not yet skipped
     */
    int advance(byte[] buf, int base, long avail, long limit) {
        long p = pos;
        long left = pending;
        try {
            while (left > 0) {
                if (left > limit - p) {
                    return OVER_LIMIT; // every value takes at least one byte
                }
                if (p >= avail) {
                    return NEED_MORE;
                }
                steps++;
                int b = buf[base + (int) p] & 0xff;
                long size; // bytes the header and payload take, beyond which more values may follow
                long more = 0; // values this one contains
                if (b <= 0x7f || b >= 0xe0) {
                    size = 1; // fixints
                } else if (b <= 0x8f) {
                    size = 1;
                    more = 2L * (b & 0x0f);
                } else if (b <= 0x9f) {
                    size = 1;
                    more = b & 0x0f;
                } else if (b <= 0xbf) {
                    size = 1 + (b & 0x1f);
                } else {
                    switch ((byte) b) {
                        case Code.NIL, Code.FALSE, Code.TRUE -> size = 1;
                        case Code.NEVER_USED -> {
                            return INVALID;
                        }
                        case Code.UINT8, Code.INT8 -> size = 2;
                        case Code.UINT16, Code.INT16 -> size = 3;
                        case Code.UINT32, Code.INT32, Code.FLOAT32 -> size = 5;
                        case Code.UINT64, Code.INT64, Code.FLOAT64 -> size = 9;
                        case Code.FIXEXT1 -> size = 3;
                        case Code.FIXEXT2 -> size = 4;
                        case Code.FIXEXT4 -> size = 6;
                        case Code.FIXEXT8 -> size = 10;
                        case Code.FIXEXT16 -> size = 18;
                        case Code.BIN8, Code.STR8 -> {
                            if (avail - p < 2) {
                                return needMoreOrOver(p, 2, avail, limit);
                            }
                            size = 2 + u8(buf, base, p + 1);
                        }
                        case Code.BIN16, Code.STR16 -> {
                            if (avail - p < 3) {
                                return needMoreOrOver(p, 3, avail, limit);
                            }
                            size = 3 + u16(buf, base, p + 1);
                        }
                        case Code.BIN32, Code.STR32 -> {
                            if (avail - p < 5) {
                                return needMoreOrOver(p, 5, avail, limit);
                            }
                            size = 5 + u32(buf, base, p + 1);
                        }
                        case Code.EXT8 -> {
                            if (avail - p < 2) {
                                return needMoreOrOver(p, 2, avail, limit);
                            }
                            size = 3 + u8(buf, base, p + 1);
                        }
                        case Code.EXT16 -> {
                            if (avail - p < 3) {
                                return needMoreOrOver(p, 3, avail, limit);
                            }
                            size = 4 + u16(buf, base, p + 1);
                        }
                        case Code.EXT32 -> {
                            if (avail - p < 5) {
                                return needMoreOrOver(p, 5, avail, limit);
                            }
                            size = 6 + u32(buf, base, p + 1);
                        }
                        case Code.ARRAY16 -> {
                            if (avail - p < 3) {
                                return needMoreOrOver(p, 3, avail, limit);
                            }
                            size = 3;
                            more = u16(buf, base, p + 1);
                        }
                        case Code.ARRAY32 -> {
                            if (avail - p < 5) {
                                return needMoreOrOver(p, 5, avail, limit);
                            }
                            size = 5;
                            more = u32(buf, base, p + 1);
                        }
                        case Code.MAP16 -> {
                            if (avail - p < 3) {
                                return needMoreOrOver(p, 3, avail, limit);
                            }
                            size = 3;
                            more = 2L * u16(buf, base, p + 1);
                        }
                        case Code.MAP32 -> {
                            if (avail - p < 5) {
                                return needMoreOrOver(p, 5, avail, limit);
                            }
                            size = 5;
                            more = 2L * u32(buf, base, p + 1);
                        }
                        default -> throw new AssertionError(b); // every byte value is covered above
                    }
                }
                if (size > limit - p) {
                    return OVER_LIMIT;
                }
                if (size > avail - p) {
                    return NEED_MORE;
                }
                p += size;
                left += more - 1;
            }
            return DONE;
        } finally {
            pos = p;
            pending = left;
        }
    }

    private static int needMoreOrOver(long p, int headerSize, long avail, long limit) {
        return headerSize > limit - p ? OVER_LIMIT : NEED_MORE;
    }

    private static int u8(byte[] b, int base, long p) {
        return b[base + (int) p] & 0xff;
    }

    private static int u16(byte[] b, int base, long p) {
        int i = base + (int) p;
        return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }

    private static long u32(byte[] b, int base, long p) {
        int i = base + (int) p;
        return ((long) (b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }
}
