package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class NodeAddressTest {

    @ParameterizedTest
    @CsvSource({
        "::1, ::1",
        "0:0:0:0:0:0:0:1, ::1",
        "2001:db8:0:0:0:0:2:1, 2001:db8::2:1",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",   // one zero group is not shortened
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",           // the longest run wins
        "fe80::, fe80::",
        "::, ::",
        "::ffff:10.0.0.1, ::ffff:10.0.0.1",             // mapped IPv4 stays 16 bytes
    })
    void ipv6IsPrintedTheRfc5952Way(String in, String out) {
        assertEquals(out, NodeAddress.of(in, 1).host());
    }

    @Test
    void parsesHostPortForms() {
        assertEquals("127.0.0.1:7946", NodeAddress.parse("127.0.0.1", 7946).toString());
        assertEquals("[::1]:80", NodeAddress.parse("[::1]:80", 7946).toString());
        assertEquals(16, NodeAddress.parse("[::ffff:1.2.3.4]:1", 0).ip().length);
        assertThrows(IllegalArgumentException.class, () -> NodeAddress.parse("example.com:1", 0));
        assertThrows(IllegalArgumentException.class, () -> NodeAddress.of("1.2.3", 1));
        assertThrows(IllegalArgumentException.class, () -> NodeAddress.of("1.2.3.4", 70000));
    }
}
