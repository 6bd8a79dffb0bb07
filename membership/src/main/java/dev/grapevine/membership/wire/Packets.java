package dev.grapevine.membership.wire;

import dev.grapevine.membership.Rejection;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * UDP packet framing of memberlist 0.2.2: compound, compress and CRC wrappers around messages
 * (memberlist-wire.md §1, §2). Encryption and the label header are outside this layer: hand
 * {@link #read} the plaintext.
 *
 * <pre>
 *  packet    = [12] [crc32 IEEE, BE, over rest] rest        (hasCrc, outermost only)
 *            | rest
 *  rest      = message | compound | compress
 *  compound  = [7] [N: uint8] [len_1: uint16 BE] ... [len_N: uint16 BE] [part_1] ... [part_N]
 *  compress  = [9] msgpack({Algo: 0, Buf: lzw(inner)})       inner = message | compound | compress
 *  part      = message | compound | compress                 (each part has its own type byte)
 *  message   = [0|1|2|3|4|5|11] msgpack(struct) | [8] raw user payload (to the end of the part)
 * </pre>
 *
 * <p>Reading follows memberlist's {@code ingestPacket}/{@code handleCommand}: wrappers are unwrapped
 * recursively, up to {@link #MAX_WRAPPER_DEPTH} compound/compress levels; a bad part does not stop
 * the other parts of a compound. Unlike memberlist 0.2.2 (which panics on them), an empty packet,
 * an empty part and an empty decompressed buffer are rejected as {@link Rejection#EMPTY}. All
 * decompressions of one packet together may produce at most {@link #MAX_DECOMPRESSED_PACKET_BYTES}.
 *
 * <p>Interop note: memberlist 0.2.2 computes the length-table size of a compound as
 * {@code uint8(N*2)}, which wraps for N &ge; 128, so it misreads compounds of more than
 * {@link #MAX_INTEROP_COMPOUND_PARTS} parts. {@link #compound} allows up to
 * {@link #MAX_COMPOUND_PARTS}; senders talking to 0.2.2 peers should stay at or below 127.
 * {@link #read} parses large compounds correctly.
 *
 * <p>Thread-safety: all methods are static, keep no shared mutable state and are thread-safe;
 * they allocate little beyond the decoded values (one {@code CRC32} per CRC-checked packet).
 */
public final class Packets {
    /** Bytes a compound adds once: the type byte and the part count. */
    public static final int COMPOUND_HEADER_OVERHEAD = 2;
    /** Bytes a compound adds per part: the uint16 length. */
    public static final int COMPOUND_PART_OVERHEAD = 2;
    /** Bytes a UDP user message adds to its payload: the {@code [8]} type byte. */
    public static final int USER_MSG_OVERHEAD = 1;
    /** Size of the hasCrc header: {@code [12]} and the 4-byte CRC. */
    public static final int CRC_HEADER_BYTES = 5;
    /** The most parts a compound can hold (the count is one byte). */
    public static final int MAX_COMPOUND_PARTS = 255;
    /** The most parts a compound may hold to be read correctly by memberlist 0.2.2 (see class notes). */
    public static final int MAX_INTEROP_COMPOUND_PARTS = 127;
    /**
     * The most bytes all decompressions within one UDP packet may produce together: 64 KiB, above
     * any packet a memberlist peer builds (it fills at most its {@code UDPBufferSize}, at most
     * 65507, before compressing). It bounds what one small datagram can cost: LZW turns 2.7 KB
     * into 1 MiB, about 10 ms of decoding on the node's one thread; 64 KiB costs well under 1 ms.
     * (A memberlist {@code SendBestEffort} payload above the documented {@code UDPBufferSize}
     * that still compresses into one datagram is the only thing refused that 0.2.2 would take.)
     */
    public static final int MAX_DECOMPRESSED_PACKET_BYTES = 64 << 10;
    /** The most compound/compress wrappers {@link #read} unwraps around one message (Go sends at most 2). */
    public static final int MAX_WRAPPER_DEPTH = 4;
    /** The most bytes a compound part can have (the length is a uint16). */
    public static final int MAX_COMPOUND_PART_BYTES = 0xffff;

    private Packets() {
    }

    /**
     * Builds a compound message, as memberlist's {@code makeCompoundMessage}.
     *
     * @param parts 1..{@value #MAX_COMPOUND_PARTS} complete messages, each with its type byte,
     *              1..{@value #MAX_COMPOUND_PART_BYTES} bytes long (an empty part would crash a
     *              memberlist 0.2.2 receiver)
     * @return {@code [7][N][lengths][parts]}
     * @throws IllegalArgumentException if the part count or a part length is out of range
     */
    public static byte[] compound(List<byte[]> parts) {
        Objects.requireNonNull(parts, "parts");
        int n = parts.size();
        if (n < 1 || n > MAX_COMPOUND_PARTS) {
            throw new IllegalArgumentException("compound needs 1.." + MAX_COMPOUND_PARTS + " parts, got " + n);
        }
        int size = COMPOUND_HEADER_OVERHEAD + COMPOUND_PART_OVERHEAD * n;
        for (int i = 0; i < n; i++) {
            byte[] p = Objects.requireNonNull(parts.get(i), "part");
            if (p.length < 1 || p.length > MAX_COMPOUND_PART_BYTES) {
                throw new IllegalArgumentException("compound part " + i + " has " + p.length
                        + " bytes; allowed 1.." + MAX_COMPOUND_PART_BYTES);
            }
            size += p.length;
        }
        byte[] out = new byte[size];
        out[0] = (byte) MessageType.COMPOUND.code();
        out[1] = (byte) n;
        int table = COMPOUND_HEADER_OVERHEAD;
        int pos = table + COMPOUND_PART_OVERHEAD * n;
        for (int i = 0; i < n; i++) {
            byte[] p = parts.get(i);
            out[table++] = (byte) (p.length >>> 8);
            out[table++] = (byte) p.length;
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
        }
        return out;
    }

    /**
     * Wraps a message (or compound) in a compressMsg, as memberlist's {@code compressPayload}.
     * On UDP, memberlist sends the result only when it is strictly smaller than the input; that
     * choice is the caller's.
     *
     * @param message the complete inner message, type byte included
     * @return {@code [9] msgpack({Algo: 0, Buf: Lzw.compress(message)})}
     */
    public static byte[] compress(byte[] message) {
        Objects.requireNonNull(message, "message");
        return WireEncoder.compressMsg(Lzw.compress(message));
    }

    /**
     * Puts the hasCrc header in front of a packet.
     *
     * @param packet the packet after compression (message, compound or compressMsg)
     * @return {@code [12][CRC-32/IEEE of packet, big-endian][packet]}
     */
    public static byte[] withCrc(byte[] packet) {
        Objects.requireNonNull(packet, "packet");
        CRC32 crc = new CRC32();
        crc.update(packet, 0, packet.length);
        long v = crc.getValue();
        byte[] out = new byte[CRC_HEADER_BYTES + packet.length];
        out[0] = (byte) MessageType.HAS_CRC.code();
        out[1] = (byte) (v >>> 24);
        out[2] = (byte) (v >>> 16);
        out[3] = (byte) (v >>> 8);
        out[4] = (byte) v;
        System.arraycopy(packet, 0, out, CRC_HEADER_BYTES, packet.length);
        return out;
    }

    /**
     * Reads one plaintext UDP packet and reports, in packet order, every message it holds and
     * every part it had to drop. Never throws for any content; exceptions thrown by the visitor
     * propagate to the caller (after which the rest of the packet is not read). Every call reports
     * at least one message, rejection or truncation.
     *
     * <p>Rejections reported (to {@link PacketVisitor#rejected}; one per bad part, the whole packet
     * when the problem is outside any part):
     * {@link Rejection#EMPTY} (empty packet, part, decompressed buffer, or a compound of 0 parts),
     * {@link Rejection#CRC_MISMATCH}, {@link Rejection#NESTED_CRC} (hasCrc below the outermost level),
     * {@link Rejection#MALFORMED} (also a hasCrc header shorter than 5 bytes),
     * {@link Rejection#COMPOUND_HEADER} (no part count, or a length table shorter than 2&middot;N:
     * the whole compound is dropped),
     * {@link Rejection#BAD_COMPRESSION}, {@link Rejection#TOO_LARGE} (decompression budget),
     * {@link Rejection#TOO_DEEP}, {@link Rejection#UNKNOWN_TYPE},
     * {@link Rejection#UNSUPPORTED_TYPE} (6 pushPull, 10 encrypt, 13 err, 244 label on UDP),
     * {@link Rejection#WRONG_FIELD_TYPE}, {@link Rejection#INTEGER_OVERFLOW}.
     * Parts missing at the end of a compound are reported once through
     * {@link PacketVisitor#truncated}; the complete parts before them are delivered.
     *
     * @param buf     the packet bytes (not modified, not retained)
     * @param off     where the packet starts
     * @param len     its length
     * @param visitor receives the messages and rejections
     * @throws IndexOutOfBoundsException if {@code off}/{@code len} are not a range of {@code buf}
     */
    public static void read(byte[] buf, int off, int len, PacketVisitor visitor) {
        Objects.checkFromIndexSize(off, len, buf.length);
        Objects.requireNonNull(visitor, "visitor");
        if (len == 0) {
            visitor.rejected(Rejection.EMPTY, "empty packet");
            return;
        }
        if ((buf[off] & 0xff) == MessageType.HAS_CRC.code()) {
            if (len < CRC_HEADER_BYTES) {
                visitor.rejected(Rejection.MALFORMED, "hasCrc header cut short: " + len + " bytes");
                return;
            }
            CRC32 crc = new CRC32();
            crc.update(buf, off + CRC_HEADER_BYTES, len - CRC_HEADER_BYTES);
            long expected = ((long) (buf[off + 1] & 0xff) << 24) | ((buf[off + 2] & 0xff) << 16)
                    | ((buf[off + 3] & 0xff) << 8) | (buf[off + 4] & 0xff);
            if (crc.getValue() != expected) {
                visitor.rejected(Rejection.CRC_MISMATCH, "CRC mismatch: computed "
                        + Long.toHexString(crc.getValue()) + ", header " + Long.toHexString(expected));
                return;
            }
            off += CRC_HEADER_BYTES;
            len -= CRC_HEADER_BYTES;
            if (len == 0) {
                visitor.rejected(Rejection.EMPTY, "empty packet after hasCrc header");
                return;
            }
        }
        dispatch(buf, off, len, 0, MAX_DECOMPRESSED_PACKET_BYTES, visitor);
    }

    /**
     * Handles one non-empty message, compound or compress at nesting {@code depth}.
     *
     * @param budget decompressed bytes still allowed for this packet
     * @return the budget left
     */
    private static int dispatch(byte[] buf, int off, int len, int depth, int budget, PacketVisitor visitor) {
        int type = buf[off] & 0xff;
        if (type == MessageType.COMPOUND.code()) {
            if (depth >= MAX_WRAPPER_DEPTH) {
                visitor.rejected(Rejection.TOO_DEEP, "compound nested deeper than " + MAX_WRAPPER_DEPTH);
                return budget;
            }
            return compoundParts(buf, off, len, depth, budget, visitor);
        }
        if (type == MessageType.COMPRESS.code()) {
            if (depth >= MAX_WRAPPER_DEPTH) {
                visitor.rejected(Rejection.TOO_DEEP, "compress nested deeper than " + MAX_WRAPPER_DEPTH);
                return budget;
            }
            byte[] inner;
            try {
                inner = WireDecoder.decompressBody(new MsgpackReader(buf, off + 1, len - 1), budget);
            } catch (WireException e) {
                visitor.rejected(e.reason, e.getMessage());
                return budget;
            } catch (RuntimeException e) {
                WireException w = WireDecoder.internalError(e);
                visitor.rejected(w.reason, w.getMessage());
                return budget;
            }
            if (inner.length == 0) {
                visitor.rejected(Rejection.EMPTY, "compressMsg holds no data");
                return budget;
            }
            return dispatch(inner, 0, inner.length, depth + 1, budget - inner.length, visitor);
        }
        if (type == MessageType.HAS_CRC.code()) {
            visitor.rejected(Rejection.NESTED_CRC, "hasCrc is only supported at the outermost level");
            return budget;
        }
        Message m;
        try {
            m = WireDecoder.decodeMessage(buf, off, len, true);
        } catch (WireException e) {
            visitor.rejected(e.reason, e.getMessage());
            return budget;
        } catch (RuntimeException e) {
            WireException w = WireDecoder.internalError(e);
            visitor.rejected(w.reason, w.getMessage());
            return budget;
        }
        visitor.message(m);
        return budget;
    }

    private static int compoundParts(byte[] buf, int off, int len, int depth, int budget, PacketVisitor visitor) {
        if (len < COMPOUND_HEADER_OVERHEAD) {
            visitor.rejected(Rejection.COMPOUND_HEADER, "compound without part count");
            return budget;
        }
        int n = buf[off + 1] & 0xff;
        if (n == 0) {
            // memberlist ignores it silently; reporting it keeps "every packet gives at least one event".
            visitor.rejected(Rejection.EMPTY, "compound with no parts");
            return budget;
        }
        int table = off + COMPOUND_HEADER_OVERHEAD;
        int end = off + len;
        if (end - table < COMPOUND_PART_OVERHEAD * n) {
            visitor.rejected(Rejection.COMPOUND_HEADER, "compound length table cut short: " + n + " parts, "
                    + (end - table) + " bytes");
            return budget;
        }
        int p = table + COMPOUND_PART_OVERHEAD * n;
        for (int i = 0; i < n; i++) {
            int partLen = ((buf[table + 2 * i] & 0xff) << 8) | (buf[table + 2 * i + 1] & 0xff);
            if (partLen > end - p) {
                visitor.truncated(n - i);
                return budget;
            }
            if (partLen == 0) {
                visitor.rejected(Rejection.EMPTY, "empty compound part " + i);
                continue;
            }
            budget = dispatch(buf, p, partLen, depth + 1, budget, visitor);
            p += partLen;
        }
        return budget;
    }
}
