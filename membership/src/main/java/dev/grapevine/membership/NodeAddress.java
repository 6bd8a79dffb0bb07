package dev.grapevine.membership;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IP address and port, as memberlist carries them: 4 bytes for IPv4, 16 for IPv6 (including
 * IPv4-mapped {@code ::ffff:a.b.c.d}, which is kept as 16 bytes because memberlist compares
 * addresses byte for byte).
 *
 * <p>The core never resolves names: this type only holds literal addresses, so building one never
 * touches the network. Immutable; safe to share between threads.
 */
public final class NodeAddress {
    private final byte[] ip;
    private final int port;
    private final int hash;

    private NodeAddress(byte[] ip, int port) {
        this.ip = ip;
        this.port = port;
        this.hash = 31 * Arrays.hashCode(ip) + port;
    }

    /**
     * An address from raw IP bytes.
     *
     * @param ip   4 or 16 bytes (copied)
     * @param port 0..65535
     * @throws IllegalArgumentException when the length or port is out of range
     */
    public static NodeAddress of(byte[] ip, int port) {
        if (ip == null || (ip.length != 4 && ip.length != 16)) {
            throw new IllegalArgumentException("IP address must be 4 or 16 bytes, got "
                    + (ip == null ? "null" : ip.length));
        }
        checkPort(port);
        return new NodeAddress(ip.clone(), port);
    }

    /**
     * An address from a literal IP string ({@code 127.0.0.1}, {@code ::1}, {@code [::1]}); no DNS.
     *
     * @throws IllegalArgumentException when {@code host} is not an IP literal or the port is out of range
     */
    public static NodeAddress of(String host, int port) {
        return of(parseLiteral(host), port);
    }

    /**
     * Parses {@code host:port}, {@code [v6]:port}, or a bare literal with {@code defaultPort}.
     *
     * @throws IllegalArgumentException on anything else
     */
    public static NodeAddress parse(String hostPort, int defaultPort) {
        String s = hostPort.trim();
        String host;
        int port = defaultPort;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("missing ']' in " + hostPort);
            }
            host = s.substring(1, end);
            if (end + 1 < s.length()) {
                if (s.charAt(end + 1) != ':') {
                    throw new IllegalArgumentException("expected ':' after ']' in " + hostPort);
                }
                port = parsePort(s.substring(end + 2), hostPort);
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            int colon = s.indexOf(':');
            host = s.substring(0, colon);
            port = parsePort(s.substring(colon + 1), hostPort);
        } else {
            host = s;
        }
        return of(host, port);
    }

    /** The address of a socket address whose host is already resolved. */
    public static NodeAddress of(InetSocketAddress address) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + address);
        }
        return new NodeAddress(address.getAddress().getAddress(), checkPort(address.getPort()));
    }

    /** Wraps bytes the caller promises not to modify; for the codec path (length checked). */
    static NodeAddress ofTrusted(byte[] ip, int port) {
        return new NodeAddress(ip, port);
    }

    /** A copy of the IP bytes (4 or 16). */
    public byte[] ip() {
        return ip.clone();
    }

    /** The IP bytes, not copied: callers inside the core must not modify them. */
    byte[] rawIp() {
        return ip;
    }

    /** The port, 0..65535. */
    public int port() {
        return port;
    }

    /** True for a 4-byte (IPv4) address. */
    public boolean isIpv4() {
        return ip.length == 4;
    }

    /** The same IP with another port. */
    public NodeAddress withPort(int newPort) {
        return new NodeAddress(ip, checkPort(newPort));
    }

    /** This address as a JDK socket address (no DNS lookup). */
    public InetSocketAddress toInetSocketAddress() {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes is always a valid address", e);
        }
    }

    /**
     * The IP in its usual text form, without brackets: dotted quad for IPv4, RFC 5952 for IPv6
     * (lower case, leading zeros dropped, the longest run of two or more zero groups as {@code ::},
     * IPv4-mapped addresses as {@code ::ffff:a.b.c.d}).
     */
    public String host() {
        if (ip.length == 4) {
            return (ip[0] & 0xff) + "." + (ip[1] & 0xff) + "." + (ip[2] & 0xff) + "." + (ip[3] & 0xff);
        }
        boolean mapped = ip[10] == (byte) 0xff && ip[11] == (byte) 0xff;
        for (int i = 0; i < 10 && mapped; i++) {
            mapped = ip[i] == 0;
        }
        if (mapped) { // RFC 5952 section 5: the IPv4 part in dotted-quad form
            return "::ffff:" + (ip[12] & 0xff) + "." + (ip[13] & 0xff) + "." + (ip[14] & 0xff) + "." + (ip[15] & 0xff);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((ip[2 * i] & 0xff) << 8) | (ip[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeAddress a && a.port == port && Arrays.equals(a.ip, ip);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** {@code 1.2.3.4:7946} or {@code [::1]:7946}. */
    @Override
    public String toString() {
        return ip.length == 4 ? host() + ":" + port : "[" + host() + "]:" + port;
    }

    private static int checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        return port;
    }

    private static int parsePort(String s, String whole) {
        try {
            return checkPort(Integer.parseInt(s));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in " + whole);
        }
    }

    private static byte[] parseLiteral(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        boolean v4 = h.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
        boolean v6 = !v4 && h.indexOf(':') >= 0
                && h.chars().allMatch(c -> c == ':' || c == '.' || c == '%' || Character.digit(c, 16) >= 0
                        || Character.isLetterOrDigit(c));
        if (!v4 && !v6) {
            throw new IllegalArgumentException("not an IP literal (the core does no DNS): " + host);
        }
        if (v4) {
            String[] parts = h.split("\\.", -1);
            if (parts.length != 4) {
                throw new IllegalArgumentException("bad IPv4 literal: " + host);
            }
            byte[] out = new byte[4];
            for (int i = 0; i < 4; i++) {
                int v;
                try {
                    v = Integer.parseInt(parts[i]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad IPv4 literal: " + host);
                }
                if (v < 0 || v > 255 || parts[i].isEmpty() || parts[i].length() > 3) {
                    throw new IllegalArgumentException("bad IPv4 literal: " + host);
                }
                out[i] = (byte) v;
            }
            return out;
        }
        try {
            // A literal containing ':' is parsed without any lookup by the JDK.
            byte[] b = InetAddress.getByName(h).getAddress();
            if (b.length == 4) {
                // ::ffff:a.b.c.d is folded to IPv4 by the JDK; keep the 16-byte form the text asked for.
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(b, 0, mapped, 12, 4);
                return mapped;
            }
            return b;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad IPv6 literal: " + host);
        }
    }
}
