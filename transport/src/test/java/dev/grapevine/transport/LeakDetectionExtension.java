package dev.grapevine.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails tests that leak Netty buffers.
 *
 * <p>Registered for every test class of this module by JUnit's extension auto-detection
 * ({@code junit-platform.properties} and {@code META-INF/services}), so its static initializer
 * runs before any test touches a buffer. It installs a {@link ResourceLeakDetectorFactory} whose
 * detectors record each leak they report (and still log it), and raises the detection level to
 * paranoid (every buffer tracked) if the build did not already (surefire passes
 * {@code -Dio.netty.leakDetection.level=paranoid}). The factory must be in place before
 * {@code AbstractByteBuf} is initialised, which is why installation is static.
 *
 * <p>Netty reports a leak only after the leaked buffer was garbage-collected, and only while
 * tracking a later allocation. After each test the extension fails the test if leaks were
 * recorded by then; after each test class it also collects garbage and allocates a buffer, so
 * leaks of the class's last tests are reported too, and fails the class if any were.
 */
public final class LeakDetectionExtension implements AfterEachCallback, AfterAllCallback {
    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();

    static {
        if (ResourceLeakDetector.getLevel().ordinal() < ResourceLeakDetector.Level.PARANOID.ordinal()) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    /** Public for JUnit's service loading. */
    public LeakDetectionExtension() {
    }

    @Override
    public void afterEach(ExtensionContext context) {
        failOnLeaks("test " + context.getDisplayName());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        collectAndPoll();
        failOnLeaks("test class " + context.getDisplayName());
    }

    /**
     * Collects garbage and allocates tracked buffers so that leaks of buffers already unreachable
     * are reported now.
     */
    static void collectAndPoll() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            ByteBuf probe = PooledByteBufAllocator.DEFAULT.heapBuffer(8);
            probe.release();
            ByteBuf probe2 = ByteBufAllocator.DEFAULT.directBuffer(8);
            probe2.release();
        }
    }

    /** Collects and polls until a leak is recorded or {@code timeoutMillis} pass. */
    static boolean awaitLeak(long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (LEAKS.isEmpty() && System.nanoTime() - deadline < 0) {
            collectAndPoll();
        }
        return !LEAKS.isEmpty();
    }

    /** Takes every leak recorded so far (so they no longer fail anything). */
    static List<String> drain() {
        List<String> out = new ArrayList<>();
        for (String s; (s = LEAKS.poll()) != null; ) {
            out.add(s);
        }
        return out;
    }

    private static void failOnLeaks(String where) {
        List<String> leaks = drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty buffer leak(s) detected by the end of " + where
                    + ":\n" + String.join("\n---\n", leaks));
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                   long maxActive) {
            return new RecordingDetector<>(resource, samplingInterval);
        }

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            return new RecordingDetector<>(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add("LEAK of " + resourceType + records);
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add("LEAK of " + resourceType + " (untraced)");
            super.reportUntracedLeak(resourceType);
        }
    }
}
