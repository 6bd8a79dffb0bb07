package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The timing formulas against the figures memberlist produces (and the spec's §9 table). */
class ProtocolMathTest {

    private static final long MS = 1_000_000L;

    @ParameterizedTest(name = "mult={0} n={1} interval={2}ms -> {3}ms")
    @CsvSource({
        // memberlist LAN (mult 4, 1 s): n <= 10 -> 4 s, 100 -> 8 s, 1000 -> 12 s, 10000 -> 16 s
        "4, 1, 1000, 4000",
        "4, 2, 1000, 4000",
        "4, 5, 1000, 4000",
        "4, 10, 1000, 4000",
        "4, 50, 1000, 6792",     // log10(50) = 1.69897 -> 1698 thousandths
        "4, 100, 1000, 8000",
        "4, 1000, 1000, 12000",
        "4, 10000, 1000, 16000",
        "3, 10, 1000, 3000",     // local preset
        "6, 100, 5000, 60000",   // WAN preset: 6 x 2 x 5 s
        "5, 1000, 1000, 15000",
        "4, 0, 1000, 4000",      // n clamped to 1
    })
    void suspicionTimeoutMatchesMemberlist(int mult, int n, long intervalMs, long expectedMs) {
        assertEquals(expectedMs * MS, ProtocolMath.suspicionTimeout(mult, n, intervalMs * MS));
    }

    @ParameterizedTest(name = "c={0} k={1} elapsed={2}ms -> {5}ms")
    @CsvSource({
        // min 2 s, max 30 s, k = 3 expected confirmations (memberlist's suspicion_test table)
        "0, 3, 0, 2000, 30000, 30000",
        "1, 3, 2000, 2000, 30000, 14000",
        "2, 3, 3000, 2000, 30000, 4810",
        "3, 3, 4000, 2000, 30000, -2000",
        "4, 3, 5000, 2000, 30000, -3000",
        "5, 3, 10000, 2000, 30000, -8000",
        // LAN at n = 100: min 8 s, max 48 s, k = 2
        "0, 2, 0, 8000, 48000, 48000",
        "1, 2, 0, 8000, 48000, 22762",   // 48 - log(2)/log(3) * 40 = 22.762 s
        "2, 2, 0, 8000, 48000, 8000",
    })
    void remainingSuspicionTimeDecaysWithConfirmations(int c, int k, long elapsedMs, long minMs, long maxMs,
                                                       long expectedMs) {
        assertEquals(expectedMs * MS,
                ProtocolMath.remainingSuspicionTime(c, k, elapsedMs * MS, minMs * MS, maxMs * MS));
    }

    @ParameterizedTest(name = "mult={0} n={1} -> {2}")
    @CsvSource({
        "4, 1, 4", "4, 2, 4", "4, 9, 4", "4, 10, 8", "4, 99, 8", "4, 100, 12", "4, 999, 12",
        "4, 1000, 16", "4, 10000, 20", "2, 3, 2", "3, 55, 6",
    })
    void retransmitLimit(int mult, int n, int expected) {
        assertEquals(expected, ProtocolMath.retransmitLimit(mult, n));
    }

    @ParameterizedTest(name = "n={0} -> x{1}")
    @CsvSource({
        "1, 1", "32, 1", "33, 2", "64, 2", "65, 3", "128, 3", "129, 4", "256, 4", "1000, 6", "2000, 7",
        "10000, 10",
    })
    void pushPullIntervalScalesAboveThirtyTwoNodes(int n, int multiple) {
        long interval = Duration.ofSeconds(30).toNanos();
        assertEquals(multiple * interval, ProtocolMath.pushPullScale(interval, n));
    }
}
