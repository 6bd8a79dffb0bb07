package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Shows that {@link LeakDetectionExtension} is installed and catches a leak. */
class LeakDetectionTest {

    @Test
    void detectionRunsAtParanoidLevel() {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
    }

    @Test
    void aDeliberatelyLeakedBufferIsCaught() {
        LeakDetectionExtension.collectAndPoll();
        assertTrue(LeakDetectionExtension.drain().isEmpty(), "no leak before this test");

        leakOneBuffer();

        assertTrue(LeakDetectionExtension.awaitLeak(10_000), "the leaked buffer was reported within 10 s");
        List<String> leaks = LeakDetectionExtension.drain(); // cleared: this leak must not fail the suite
        assertFalse(leaks.isEmpty());
        assertTrue(leaks.get(0).contains("leakOneBuffer"), "the report shows where the buffer was allocated");
    }

    private static void leakOneBuffer() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.heapBuffer(32);
        leaked.writeInt(42);
        // no release(): the reference is dropped here
    }
}
