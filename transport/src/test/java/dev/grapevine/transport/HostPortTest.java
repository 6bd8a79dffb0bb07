package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void forms() {
        assertEquals(new HostPort("10.0.0.1", 8000), HostPort.parse("10.0.0.1:8000", 7946));
        assertEquals(new HostPort("10.0.0.1", 7946), HostPort.parse("10.0.0.1", 7946));
        assertEquals(new HostPort("db.example", 1), HostPort.parse(" db.example:1 ", 7946));
        assertEquals(new HostPort("::1", 9000), HostPort.parse("[::1]:9000", 7946));
        assertEquals(new HostPort("::1", 7946), HostPort.parse("[::1]", 7946));
        assertEquals(new HostPort("fe80::1", 7946), HostPort.parse("fe80::1", 7946), "bare IPv6 literal");
        assertEquals(new HostPort("0.0.0.0", 0), HostPort.parse("0.0.0.0:0", 7946));
    }

    @Test
    void toStringBracketsIpv6() {
        assertEquals("[::1]:7946", new HostPort("::1", 7946).toString());
        assertEquals("a:1", new HostPort("a", 1).toString());
    }

    @Test
    void malformedInputNamesTheInput() {
        for (String bad : new String[] {"", ":80", "host:", "host:x", "host:70000", "[::1", "[::1]x", "[::1]:"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad, 7946),
                    bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }
}
