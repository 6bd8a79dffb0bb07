package dev.grapevine.serf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Serf's Lamport clock rules (lamport.go). */
class LamportClockTest {

    @Test
    void incrementAndWitness() {
        LamportClock c = new LamportClock();
        assertEquals(0, c.time());
        assertEquals(1, c.increment());
        assertEquals(1, c.time());
        c.witness(0); // older: nothing
        assertEquals(1, c.time());
        c.witness(1); // equal: one ahead of it
        assertEquals(2, c.time());
        c.witness(41);
        assertEquals(42, c.time());
        c.witness(10);
        assertEquals(42, c.time());
        assertEquals(43, c.increment());
    }

    @Test
    void saturatesInsteadOfWrapping() {
        LamportClock c = new LamportClock(Long.MAX_VALUE - 1);
        c.witness(Long.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, c.time());
        assertEquals(Long.MAX_VALUE, c.increment());
        assertThrows(IllegalArgumentException.class, () -> new LamportClock(-1));
        assertEquals("9223372036854775807", c.toString());
    }
}
