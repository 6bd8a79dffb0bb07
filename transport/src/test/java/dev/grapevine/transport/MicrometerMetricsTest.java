package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link MicrometerMetrics} on a {@link SimpleMeterRegistry}, over two real nodes. */
@Tag("integration")
class MicrometerMetricsTest {

    @Test
    void publishesTheNodesMetrics() {
        try (TestNodes nodes = new TestNodes()) {
            GrapevineNode a = nodes.start("a", new RecordingListener());
            GrapevineNode b = nodes.start("b", new RecordingListener());
            b.join(TestNodes.seed(a));
            Await.until(Duration.ofSeconds(20), "two members", () -> b.metrics().core().alive() == 2);

            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            MicrometerMetrics.bindTo(b, registry);

            Gauge alive = registry.find("grapevine.members").tags("node", "b", "state", "alive").gauge();
            assertNotNull(alive);
            assertEquals(2.0, alive.value());
            assertEquals(0.0, registry.find("grapevine.members").tags("state", "dead").gauge().value());
            assertEquals(0.0, registry.find("grapevine.health.score").gauge().value());

            FunctionTimer pushPull = registry.find("grapevine.pushpull").functionTimer();
            assertNotNull(pushPull);
            assertTrue(pushPull.count() >= 1.0, "the join's push/pull (a catch-up one may follow it)");
            assertTrue(pushPull.totalTime(TimeUnit.NANOSECONDS) > 0);
            assertTrue(registry.find("grapevine.pushpull.max").gauge().value() > 0);
            assertNotNull(registry.find("grapevine.probe.rtt").functionTimer());

            FunctionCounter opened = registry.find("grapevine.streams").tags("event", "opened").functionCounter();
            assertTrue(opened.count() >= 1);
            assertEquals(0.0, registry.find("grapevine.streams").tags("event", "refused").functionCounter().count());
            assertNotNull(registry.find("grapevine.streams.frames.too.large").functionCounter());
            assertEquals(0.0, registry.find("grapevine.rejections").tags("reason", "crc_mismatch")
                    .functionCounter().count());
            assertEquals(dev.grapevine.membership.Rejection.values().length,
                    registry.find("grapevine.rejections").functionCounters().size());
            assertNotNull(registry.find("grapevine.broadcast.queue").gauge());
            assertEquals(dev.grapevine.crypto.EnvelopeRejection.values().length,
                    registry.find("grapevine.envelope.rejections").functionCounters().size());
            assertEquals(0.0, registry.find("grapevine.envelope.rejections").tags("reason", "no_key_decrypts")
                    .functionCounter().count());
            assertEquals(0.0, registry.find("grapevine.envelope.unverified").functionCounter().count());
            for (String outcome : new String[] {"recovered", "failed"}) {
                assertEquals(0.0, registry.find("grapevine.keyring.recoveries").tags("outcome", outcome)
                        .functionCounter().count());
            }
            for (String outcome : new String[] {"served", "refused"}) {
                assertEquals(0.0, registry.find("grapevine.keyring.requests").tags("outcome", outcome)
                        .functionCounter().count());
            }

            // Counters grow: wait past the one-second snapshot age and read again.
            double sent = registry.find("grapevine.packets.sent").functionCounter().count();
            Await.until(Duration.ofSeconds(10), "packet counters to grow",
                    () -> registry.find("grapevine.packets.sent").functionCounter().count() > sent);
            assertTrue(registry.find("grapevine.udp.bytes.received").functionCounter().count() > 0);

            b.close();
            assertEquals(2.0, alive.value(), "after close the meters keep the last values");
        }
    }
}
