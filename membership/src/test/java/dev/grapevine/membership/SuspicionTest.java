package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SuspicionTest {
    private static final long S = 1_000_000_000L;

    @Test
    void startsAtMaxAndShrinksWithDistinctNewAccusers() {
        Suspicion s = new Suspicion("a", 2, 8 * S, 48 * S, 0);
        assertEquals(48 * S, s.initialTimeout());
        assertFalse(s.confirm("a"), "the original accuser does not count");
        assertTrue(s.confirm("b"));
        assertFalse(s.confirm("b"), "duplicates do not count");
        assertEquals(1, s.confirmations());
        assertEquals(22_762_000_000L - 5 * S, s.remaining(5 * S));
        assertTrue(s.confirm("c"));
        assertFalse(s.confirm("d"), "no more than k confirmations");
        assertEquals(8 * S - 10 * S, s.remaining(10 * S));
    }

    @Test
    void withoutExpectedConfirmationsItIsTheMinimum() {
        Suspicion s = new Suspicion("a", 0, 4 * S, 24 * S, 0);
        assertEquals(4 * S, s.initialTimeout());
        assertFalse(s.confirm("b"));
    }
}
