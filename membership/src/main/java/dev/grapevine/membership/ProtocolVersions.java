package dev.grapevine.membership;

/**
 * memberlist's six protocol version bytes ({@code Vsn}): the memberlist protocol range and current
 * version, then the delegate's (the application's, for Serf: the Serf protocol).
 *
 * <p>On the wire this is a raw 6-byte string {@code [PMin, PMax, PCur, DMin, DMax, DCur]}.
 * Immutable; safe to share between threads.
 *
 * @param pMin lowest memberlist protocol understood
 * @param pMax highest memberlist protocol understood
 * @param pCur memberlist protocol spoken
 * @param dMin lowest delegate protocol understood
 * @param dMax highest delegate protocol understood
 * @param dCur delegate protocol spoken
 */
public record ProtocolVersions(int pMin, int pMax, int pCur, int dMin, int dMax, int dCur) {

    /** Lowest memberlist protocol this implementation understands. */
    public static final int PROTOCOL_MIN = 1;
    /** Highest memberlist protocol this implementation understands (CRC headers). */
    public static final int PROTOCOL_MAX = 5;

    private static final ProtocolVersions[] CACHE = new ProtocolVersions[64];

    /** Each value must fit in an unsigned byte. */
    public ProtocolVersions {
        for (int v : new int[] {pMin, pMax, pCur, dMin, dMax, dCur}) {
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("version byte out of range: " + v);
            }
        }
    }

    /**
     * Reads a Vsn array. Returns {@code null} unless it is exactly 6 bytes (memberlist 0.2.2 panics
     * on 1..5 bytes; we refuse them).
     */
    public static ProtocolVersions fromVsn(byte[] vsn) {
        if (vsn == null || vsn.length != 6) {
            return null;
        }
        ProtocolVersions v = new ProtocolVersions(vsn[0] & 0xff, vsn[1] & 0xff, vsn[2] & 0xff,
                vsn[3] & 0xff, vsn[4] & 0xff, vsn[5] & 0xff);
        return intern(v);
    }

    /** The 6-byte wire form. */
    public byte[] toVsn() {
        return new byte[] {(byte) pMin, (byte) pMax, (byte) pCur, (byte) dMin, (byte) dMax, (byte) dCur};
    }

    /** memberlist's sanity rule for alive messages: PMin and PMax non-zero and PMin ≤ PMax. */
    public boolean plausible() {
        return pMin != 0 && pMax != 0 && pMin <= pMax;
    }

    /**
     * Shares equal instances: clusters have a handful of distinct version arrays, and a member
     * table of thousands of nodes should not hold thousands of copies.
     */
    static ProtocolVersions intern(ProtocolVersions v) {
        int slot = (v.hashCode() & 0x7fffffff) % CACHE.length;
        ProtocolVersions cached = CACHE[slot];
        if (v.equals(cached)) {
            return cached;
        }
        CACHE[slot] = v; // benign race: worst case an extra instance
        return v;
    }
}
