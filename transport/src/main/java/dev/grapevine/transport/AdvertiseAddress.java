package dev.grapevine.transport;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Chooses the address a node advertises when none is configured, as memberlist does (its
 * {@code GetPrivateIP} fallback).
 *
 * <ul>
 *   <li>A specific bind address is advertised as it is.</li>
 *   <li>For a wildcard bind ({@code 0.0.0.0} or {@code ::}) the candidates are the addresses of
 *       interfaces that are up and not loopback, in the order the system lists them, leaving out
 *       loopback, link-local, multicast and wildcard addresses. {@code 0.0.0.0} considers IPv4
 *       addresses only; {@code ::} both families, IPv4 first. The first private address wins
 *       (RFC 1918 {@code 10/8}, {@code 172.16/12}, {@code 192.168/16}; RFC 6598
 *       {@code 100.64/10}; RFC 4193 {@code fc00::/7}); without one, the first candidate; without
 *       any, the choice fails and asks for an explicit advertise address.</li>
 * </ul>
 *
 * <p>The interface list is injected ({@link InterfaceSource}) so the rule can be tested without
 * the machine's real interfaces. Stateless; thread-safe.
 */
final class AdvertiseAddress {

    /** One network interface as the choice sees it. */
    record Interface(String name, boolean up, boolean loopback, List<InetAddress> addresses) {
        Interface {
            addresses = List.copyOf(addresses);
        }
    }

    /** Lists the machine's interfaces. */
    @FunctionalInterface
    interface InterfaceSource {
        List<Interface> interfaces() throws SocketException;

        /** The JDK's view of the machine ({@link NetworkInterface}). */
        static InterfaceSource system() {
            return () -> {
                List<Interface> out = new ArrayList<>();
                for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                    out.add(new Interface(nif.getName(), nif.isUp(), nif.isLoopback(),
                            Collections.list(nif.getInetAddresses())));
                }
                return out;
            };
        }
    }

    private AdvertiseAddress() {
    }

    /**
     * The address to advertise for a node bound to {@code bind}.
     *
     * @throws IllegalStateException when {@code bind} is a wildcard and no interface has a usable
     *                               address; the message asks for an explicit advertise address
     */
    static InetAddress choose(InetAddress bind, InterfaceSource source) {
        if (!bind.isAnyLocalAddress()) {
            return bind;
        }
        boolean ipv4Only = bind instanceof Inet4Address;
        List<Interface> interfaces;
        try {
            interfaces = source.interfaces();
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list network interfaces to choose an address to advertise ("
                    + e.getMessage() + "); set one explicitly with advertise(...) / --advertise", e);
        }
        InetAddress firstPrivate = null;
        InetAddress firstOther = null;
        // Two passes: IPv4 first, then (for "::") IPv6.
        for (int pass = 0; pass < (ipv4Only ? 1 : 2); pass++) {
            for (Interface nif : interfaces) {
                if (!nif.up() || nif.loopback()) {
                    continue;
                }
                for (InetAddress a : nif.addresses()) {
                    boolean v4 = a instanceof Inet4Address;
                    if ((pass == 0) != v4 || !usable(a)) {
                        continue;
                    }
                    if (isPrivate(a)) {
                        if (firstPrivate == null) {
                            firstPrivate = a;
                        }
                    } else if (firstOther == null) {
                        firstOther = a;
                    }
                }
            }
            if (firstPrivate != null) {
                return firstPrivate;
            }
        }
        if (firstOther != null) {
            return firstOther;
        }
        throw new IllegalStateException("bound to " + bind.getHostAddress() + " but found no "
                + (ipv4Only ? "IPv4 " : "") + "address to advertise on any interface that is up and not loopback;"
                + " set one explicitly with advertise(...) / --advertise");
    }

    /** RFC 1918, RFC 6598 (carrier-grade NAT, {@code 100.64/10}) and RFC 4193 (unique local IPv6). */
    static boolean isPrivate(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            int o0 = b[0] & 0xff;
            int o1 = b[1] & 0xff;
            return o0 == 10
                    || (o0 == 172 && (o1 & 0xf0) == 16)
                    || (o0 == 192 && o1 == 168)
                    || (o0 == 100 && (o1 & 0xc0) == 64);
        }
        return (b[0] & 0xfe) == 0xfc;
    }

    private static boolean usable(InetAddress a) {
        return !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isMulticastAddress()
                && !a.isAnyLocalAddress() && (a instanceof Inet4Address || a instanceof Inet6Address);
    }
}
