package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AwarenessTest {

    @Test
    void scoreSaturatesBetweenZeroAndMaxMinusOne() {
        Awareness a = new Awareness(8);
        a.apply(-1);
        assertEquals(0, a.score());
        a.apply(3);
        assertEquals(3, a.score());
        assertEquals(4_000, a.scale(1_000));
        a.apply(100);
        assertEquals(7, a.score());
        assertEquals(8_000, a.scale(1_000));
        a.apply(-2);
        assertEquals(5, a.score());
    }

    @Test
    void maxOfOneDisablesIt() {
        Awareness a = new Awareness(1);
        a.apply(5);
        assertEquals(0, a.score());
        assertEquals(1_000, a.scale(1_000));
    }
}
