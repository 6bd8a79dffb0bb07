package dev.grapevine.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Defaults are Serf 0.9.4's DefaultConfig (protocol 5); validation names the field. */
class SerfConfigTest {

    @Test
    void defaultsAreSerfs() {
        SerfConfig c = SerfConfig.defaults();
        assertEquals(5, c.protocolVersion());
        assertEquals(Duration.ofSeconds(15), c.reapInterval());
        assertEquals(Duration.ofHours(24), c.reconnectTimeout());
        assertEquals(Duration.ofHours(24), c.tombstoneTimeout());
        assertEquals(Duration.ofMinutes(5), c.recentIntentTimeout());
        assertEquals(Duration.ofSeconds(60), c.flapTimeout());
        assertEquals(Duration.ofSeconds(5), c.broadcastTimeout());
        assertEquals(Duration.ofSeconds(1), c.leavePropagateDelay());
        assertEquals(512, c.eventBuffer());
        assertEquals(512, c.queryBuffer());
        assertEquals(16, c.queryTimeoutMult());
        assertEquals(1024, c.querySizeLimit());
        assertEquals(1024, c.queryResponseSizeLimit());
        assertEquals(512, c.userEventSizeLimit());
        assertEquals(4096, c.maxQueueDepth());
        assertTrue(c.enableNameConflictResolution());
        assertFalse(c.userCoalescing());
        assertEquals(c.toString(), c.toBuilder().build().toString());
    }

    @Test
    void validationNamesTheField() {
        expect("protocolVersion", b -> b.protocolVersion(1));
        expect("protocolVersion", b -> b.protocolVersion(6));
        expect("userEventSizeLimit", b -> b.userEventSizeLimit(9 * 1024 + 1));
        expect("eventBuffer", b -> b.eventBuffer(0));
        expect("queryBuffer", b -> b.queryBuffer(0));
        expect("reapInterval", b -> b.reapInterval(Duration.ZERO));
        expect("broadcastTimeout", b -> b.broadcastTimeout(Duration.ofSeconds(-1)));
        expect("leavePropagateDelay", b -> b.leavePropagateDelay(Duration.ofSeconds(-1)));
        expect("querySizeLimit", b -> b.querySizeLimit(10));
        expect("queryResponseSizeLimit", b -> b.queryResponseSizeLimit(70000));
        expect("queryTimeoutMult", b -> b.queryTimeoutMult(0));
        expect("maxQueueDepth", b -> b.maxQueueDepth(0));
        expect("tombstoneTimeout", b -> b.tombstoneTimeout(Duration.ZERO));
        assertEquals(9 * 1024, SerfConfig.builder().userEventSizeLimit(9 * 1024).build().userEventSizeLimit());
        assertTrue(SerfConfig.builder().userCoalescePeriod(Duration.ofSeconds(1))
                .userQuiescentPeriod(Duration.ofMillis(1)).build().userCoalescing());
    }

    private static void expect(String field, UnaryOperator<SerfConfig.Builder> change) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> change.apply(SerfConfig.builder()).build());
        assertTrue(e.getMessage().startsWith(field), e.getMessage());
    }
}
