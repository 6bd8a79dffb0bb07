package dev.grapevine.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;

/**
 * A host and port as a user writes them: {@code host:port}, {@code [v6]:port}, a bare host (the
 * default port) or a bare IPv6 literal such as {@code ::1}. The host may be a name; nothing is
 * resolved until {@link #resolveAll()}. Immutable.
 *
 * @param host the host name or IP literal, without brackets
 * @param port 0..65535
 */
record HostPort(String host, int port) {

    /** memberlist's default port, for UDP and TCP alike. */
    static final int DEFAULT_PORT = 7946;

    HostPort {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /**
     * Parses {@code s}.
     *
     * @param defaultPort the port when {@code s} names none
     * @throws IllegalArgumentException naming {@code s} when it is malformed
     */
    static HostPort parse(String s, int defaultPort) {
        Objects.requireNonNull(s, "host:port");
        String t = s.trim();
        try {
            if (t.startsWith("[")) {
                int end = t.indexOf(']');
                if (end < 0) {
                    throw new IllegalArgumentException("missing ']'");
                }
                String host = t.substring(1, end);
                String rest = t.substring(end + 1);
                if (rest.isEmpty()) {
                    return new HostPort(host, defaultPort);
                }
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("expected ':' after ']'");
                }
                return new HostPort(host, parsePort(rest.substring(1)));
            }
            int colon = t.indexOf(':');
            if (colon < 0) {
                return new HostPort(t, defaultPort);
            }
            if (colon != t.lastIndexOf(':')) {
                return new HostPort(t, defaultPort); // a bare IPv6 literal
            }
            return new HostPort(t.substring(0, colon), parsePort(t.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad address '" + s + "': " + e.getMessage(), e);
        }
    }

    /**
     * Every address of the host (a DNS lookup for names; none for literals). Blocks for as long
     * as name resolution takes: never call it on an event loop.
     *
     * @throws UnknownHostException when the name does not resolve
     */
    List<InetAddress> resolveAll() throws UnknownHostException {
        return List.of(InetAddress.getAllByName(host));
    }

    /** The first address of the host; blocks like {@link #resolveAll()}. */
    InetAddress resolve() throws UnknownHostException {
        return InetAddress.getByName(host);
    }

    private static int parsePort(String p) {
        try {
            return Integer.parseInt(p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port '" + p + "'");
        }
    }

    /** {@code host:port}, with brackets around IPv6 literals. */
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
