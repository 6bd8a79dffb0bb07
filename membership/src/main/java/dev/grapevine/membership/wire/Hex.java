package dev.grapevine.membership.wire;

import java.util.HexFormat;

/** Printing helpers for byte arrays in {@code toString()} output. */
final class Hex {
    private static final HexFormat HEX = HexFormat.of();

    private Hex() {
    }

    static String of(byte[] b) {
        if (b == null) {
            return "nil";
        }
        if (b.length > 64) {
            return HEX.formatHex(b, 0, 64) + "...(" + b.length + " bytes)";
        }
        return HEX.formatHex(b);
    }

    /** An IPv4 or IPv6 address in its usual text form; other lengths as hex. */
    static String ip(byte[] b) {
        if (b == null || b.length == 0) {
            return "-";
        }
        if (b.length == 4) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
        }
        if (b.length == 16) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < 16; i += 2) {
                if (i > 0) {
                    sb.append(':');
                }
                sb.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff)));
            }
            return sb.append(']').toString();
        }
        return "0x" + HEX.formatHex(b);
    }
}
