package dev.grapevine.crypto.pki;

/**
 * An iterative walk over BER/DER tag-length-value headers that bounds how deeply constructed
 * values nest, run before the JDK's or BouncyCastle's ASN.1 parsers see untrusted bytes: both
 * recurse once per level (the JDK for indefinite lengths, BouncyCastle always), so a few kilobytes
 * of nested SEQUENCE headers end in a {@link StackOverflowError} instead of a parse error. Found by
 * fuzzing. The walk itself uses no recursion and looks at each byte at most once.
 *
 * <p>Stateless; any thread.
 */
final class Asn1Depth {
    /** The outcome of a walk. */
    enum Shape {
        /** Well-formed, within the depth. */
        OK,
        /** Nested deeper than allowed (the walk stops there). */
        TOO_DEEP,
        /** A header or length that does not fit, an indefinite length where not allowed, or no single value. */
        MALFORMED
    }

    private Asn1Depth() {
    }

    /**
     * Walks {@code b}, which must hold exactly one value when {@code single}, else one or more.
     *
     * @param maxDepth         the deepest nesting of constructed values allowed (1 = no value inside another
     *                         constructed one)
     * @param allowIndefinite  whether BER's indefinite lengths are allowed (DER: no)
     */
    static Shape check(byte[] b, int maxDepth, boolean allowIndefinite, boolean single) {
        int[] ends = new int[maxDepth]; // end offset of each open constructed value; -1: indefinite
        int depth = 0;
        int pos = 0;
        int topLevel = 0;
        while (true) {
            // Close every container that ends here.
            while (depth > 0) {
                int end = ends[depth - 1];
                if (end >= 0 && pos == end) {
                    depth--;
                } else if (end < 0 && pos + 1 < b.length && b[pos] == 0 && b[pos + 1] == 0) {
                    pos += 2;
                    depth--;
                } else {
                    break;
                }
            }
            if (depth == 0) {
                if (pos == b.length) {
                    return topLevel == 1 || (!single && topLevel > 0) ? Shape.OK : Shape.MALFORMED;
                }
                if (single && topLevel == 1) {
                    return Shape.MALFORMED; // trailing bytes
                }
                topLevel++;
            }
            int limit = b.length;
            for (int d = depth - 1; d >= 0; d--) {
                if (ends[d] >= 0) {
                    limit = ends[d];
                    break;
                }
            }
            if (pos >= limit) {
                return Shape.MALFORMED;
            }
            int tag = b[pos++] & 0xff;
            boolean constructed = (tag & 0x20) != 0;
            if ((tag & 0x1f) == 0x1f) { // high tag number: base-128 digits, the last without bit 8
                int digits = 0;
                do {
                    if (pos >= limit || ++digits > 4) {
                        return Shape.MALFORMED;
                    }
                } while ((b[pos++] & 0x80) != 0);
            }
            if (pos >= limit) {
                return Shape.MALFORMED;
            }
            int first = b[pos++] & 0xff;
            long length;
            if (first < 0x80) {
                length = first;
            } else if (first == 0x80) {
                if (!allowIndefinite || !constructed) {
                    return Shape.MALFORMED;
                }
                length = -1;
            } else {
                int n = first & 0x7f;
                if (n > 4 || pos + n > limit) {
                    return Shape.MALFORMED;
                }
                length = 0;
                for (int i = 0; i < n; i++) {
                    length = length << 8 | (b[pos++] & 0xff);
                }
            }
            if (length >= 0 && length > limit - pos) {
                return Shape.MALFORMED;
            }
            if (constructed) {
                if (depth == maxDepth) {
                    return Shape.TOO_DEEP;
                }
                ends[depth++] = length < 0 ? -1 : pos + (int) length;
            } else {
                pos += (int) length;
            }
        }
    }
}
