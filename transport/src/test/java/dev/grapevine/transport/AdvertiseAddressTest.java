package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.transport.AdvertiseAddress.Interface;
import dev.grapevine.transport.AdvertiseAddress.InterfaceSource;
import java.net.InetAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The advertise-address rule, on made-up interface lists (no real interfaces are read). */
class AdvertiseAddressTest {
    private static final InetAddress ANY4 = ip("0.0.0.0");
    private static final InetAddress ANY6 = ip("::");

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static Interface up(String name, String... addresses) {
        return new Interface(name, true, false, java.util.Arrays.stream(addresses).map(AdvertiseAddressTest::ip).toList());
    }

    private static InterfaceSource source(Interface... interfaces) {
        return () -> List.of(interfaces);
    }

    @Test
    void aSpecificBindAddressIsAdvertisedAsItIs() {
        InetAddress bind = ip("192.0.2.7");
        assertSame(bind, AdvertiseAddress.choose(bind, () -> {
            throw new AssertionError("interfaces are not listed for a specific bind");
        }));
        assertEquals(ip("::1"), AdvertiseAddress.choose(ip("::1"), source()));
    }

    @Test
    void wildcardPicksTheFirstPrivateAddressOfAnUpNonLoopbackInterface() {
        InterfaceSource s = source(
                new Interface("lo", true, true, List.of(ip("127.0.0.1"), ip("::1"))),
                new Interface("down0", false, false, List.of(ip("10.9.9.9"))),
                up("eth0", "fe80::1", "203.0.113.5", "172.20.0.4"),
                up("eth1", "10.0.0.2"));
        assertEquals(ip("172.20.0.4"), AdvertiseAddress.choose(ANY4, s));
    }

    @Test
    void withoutAPrivateAddressTheFirstOtherOneIsUsed() {
        InterfaceSource s = source(
                up("eth0", "169.254.3.3", "198.51.100.9"),
                up("eth1", "203.0.113.5"));
        assertEquals(ip("198.51.100.9"), AdvertiseAddress.choose(ANY4, s));
    }

    @Test
    void ipv4WildcardIgnoresIpv6Addresses() {
        InterfaceSource s = source(up("eth0", "fd00::5", "2001:db8::1", "198.51.100.9"));
        assertEquals(ip("198.51.100.9"), AdvertiseAddress.choose(ANY4, s));
    }

    @Test
    void ipv6WildcardPrefersIpv4ThenUniqueLocalIpv6() {
        assertEquals(ip("10.1.2.3"), AdvertiseAddress.choose(ANY6,
                source(up("eth0", "fd00::5", "10.1.2.3"))));
        assertEquals(ip("fd00::5"), AdvertiseAddress.choose(ANY6,
                source(up("eth0", "2001:db8::1", "198.51.100.9", "fd00::5"))), "a private IPv6 beats a public IPv4");
        assertEquals(ip("198.51.100.9"), AdvertiseAddress.choose(ANY6,
                source(up("eth0", "2001:db8::1", "198.51.100.9"))), "without private ones, IPv4 first");
        assertEquals(ip("2001:db8::1"), AdvertiseAddress.choose(ANY6,
                source(up("eth0", "fe80::2", "2001:db8::1"))));
    }

    @Test
    void failsWithAMessageAskingForAnAdvertiseAddress() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> AdvertiseAddress.choose(ANY4,
                source(new Interface("lo", true, true, List.of(ip("127.0.0.1"))), up("eth0", "fe80::1"))));
        assertTrue(e.getMessage().contains("advertise"), e.getMessage());
        IllegalStateException listing = assertThrows(IllegalStateException.class,
                () -> AdvertiseAddress.choose(ANY4, () -> {
                    throw new SocketException("no permission");
                }));
        assertTrue(listing.getMessage().contains("advertise"), listing.getMessage());
    }

    @Test
    void privateRanges() {
        for (String p : new String[] {"10.0.0.0", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                "100.64.0.1", "100.127.255.255", "fc00::1", "fdff::1"}) {
            assertTrue(AdvertiseAddress.isPrivate(ip(p)), p);
        }
        for (String p : new String[] {"9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0", "192.169.0.1",
                "100.63.255.255", "100.128.0.0", "8.8.8.8", "fe80::1", "2001:db8::1", "fe00::1"}) {
            assertFalse(AdvertiseAddress.isPrivate(ip(p)), p);
        }
    }
}
