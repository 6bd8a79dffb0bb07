package dev.grapevine.transport;

import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.membership.CoreMetrics;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.Rejection;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Publishes a node's {@link NodeMetrics} to a Micrometer {@link MeterRegistry}. Micrometer is an
 * optional dependency: only this class refers to it, so applications without Micrometer never
 * load it.
 *
 * <p>Meters (every one tagged {@code node=<name>}):
 * <ul>
 *   <li>{@code grapevine.health.score} (gauge): Lifeguard's health score, 0 = healthy;</li>
 *   <li>{@code grapevine.members} (gauge, {@code state=alive|suspect|dead|left});</li>
 *   <li>{@code grapevine.packets.sent}, {@code grapevine.packets.received} (counters) and
 *       {@code grapevine.packet.bytes.sent}, {@code grapevine.packet.bytes.received} (counters,
 *       bytes): the core's plaintext packets;</li>
 *   <li>{@code grapevine.udp.bytes.sent}, {@code grapevine.udp.bytes.received},
 *       {@code grapevine.udp.send.failures} (counters): what the socket carried;</li>
 *   <li>{@code grapevine.rejections} (counter, {@code reason=<Rejection>} in lower case): dropped
 *       input;</li>
 *   <li>{@code grapevine.probes}, {@code grapevine.probe.failures}, {@code grapevine.probes.indirect}
 *       (counters); {@code grapevine.probe.rtt} (timer: count and total of direct-ack round trips)
 *       and {@code grapevine.probe.rtt.max} (gauge, seconds);</li>
 *   <li>{@code grapevine.suspicions}, {@code grapevine.deaths.declared}, {@code grapevine.refutations}
 *       (counters);</li>
 *   <li>{@code grapevine.pushpull} (timer: push/pulls this node started that completed, and their
 *       total duration), {@code grapevine.pushpull.max} (gauge, seconds),
 *       {@code grapevine.pushpull.failures}, {@code grapevine.pushpull.served} (counters);</li>
 *   <li>{@code grapevine.broadcast.queue} (gauge): broadcasts waiting;</li>
 *   <li>{@code grapevine.streams} (counter, {@code event=accepted|opened|refused|timeout}) and
 *       {@code grapevine.streams.frames.too.large} (counter);</li>
 *   <li>{@code grapevine.envelope.rejections} (counter, {@code reason=<EnvelopeRejection>} in lower
 *       case): packets and streams the encryption layer refused, e.g. {@code no_key_decrypts};
 *       {@code grapevine.envelope.unverified} (counter): plaintext accepted while
 *       {@code gossipVerifyIncoming} is off;</li>
 *   <li>{@code grapevine.keyring.recoveries} (counter, {@code outcome=recovered|failed}): keyring
 *       requests this node made over TLS because its packets no longer decrypted;
 *       {@code grapevine.keyring.requests} (counter, {@code outcome=served|refused}): keyring
 *       requests it answered or refused.</li>
 * </ul>
 *
 * <p>Values come from {@link GrapevineNode#metrics()}, taken at most once a second however many
 * meters a scrape reads, so they may be up to a second old. After the node is closed they keep its
 * last values. The registry holds the node (through the meters) until the meters are removed.
 *
 * <p><b>Threading.</b> {@link #bindTo} may be called from any thread; meters may be read from any
 * thread.
 */
public final class MicrometerMetrics {
    private static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private MicrometerMetrics() {
    }

    /**
     * Registers the node's meters with {@code registry}.
     *
     * @param node     a started node
     * @param registry where to register
     */
    public static void bindTo(GrapevineNode node, MeterRegistry registry) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(registry, "registry");
        Snapshots s = new Snapshots(node);
        Tags tags = Tags.of("node", node.name());

        // This gauge holds the snapshot source strongly; the other meters hold it weakly, as
        // Micrometer's function meters do, and so live exactly as long as the registry keeps this one.
        Gauge.builder("grapevine.health.score", s, x -> x.core().healthScore())
                .description("Lifeguard local health score (0 = healthy)").tags(tags).strongReference(true)
                .register(registry);
        for (MemberState state : MemberState.values()) {
            Gauge.builder("grapevine.members", s, x -> members(x.core(), state))
                    .description("Members known, by state").tags(tags.and("state", lower(state.name())))
                    .register(registry);
        }

        counter(registry, tags, s, "grapevine.packets.sent", null, "Packets the core sent", x -> x.core().packetsSent());
        counter(registry, tags, s, "grapevine.packets.received", null, "Packets handed to the core",
                x -> x.core().packetsReceived());
        counter(registry, tags, s, "grapevine.packet.bytes.sent", "bytes", "Plaintext packet bytes sent",
                x -> x.core().bytesSent());
        counter(registry, tags, s, "grapevine.packet.bytes.received", "bytes", "Plaintext packet bytes received",
                x -> x.core().bytesReceived());
        counter(registry, tags, s, "grapevine.udp.bytes.sent", "bytes", "Bytes written to the UDP socket",
                x -> x.get().packetBytesSent());
        counter(registry, tags, s, "grapevine.udp.bytes.received", "bytes", "Bytes read from the UDP socket",
                x -> x.get().packetBytesReceived());
        counter(registry, tags, s, "grapevine.udp.send.failures", null, "UDP sends the socket refused",
                x -> x.get().packetSendFailures());
        for (Rejection reason : Rejection.values()) {
            FunctionCounter.builder("grapevine.rejections", s,
                            x -> x.core().rejections().getOrDefault(reason, 0L).doubleValue())
                    .description("Dropped input, by reason").tags(tags.and("reason", lower(reason.name())))
                    .register(registry);
        }

        counter(registry, tags, s, "grapevine.probes", null, "Probes started", x -> x.core().probes());
        counter(registry, tags, s, "grapevine.probe.failures", null, "Probes without any ack",
                x -> x.core().probeFailures());
        counter(registry, tags, s, "grapevine.probes.indirect", null, "Probes that needed indirect pings",
                x -> x.core().indirectProbes());
        FunctionTimer.builder("grapevine.probe.rtt", s, x -> x.core().probeRttCount(),
                        x -> x.core().probeRttSumNanos(), TimeUnit.NANOSECONDS)
                .description("Round-trip time of direct probe acks").tags(tags).register(registry);
        Gauge.builder("grapevine.probe.rtt.max", s, x -> x.core().probeRttMaxNanos() / 1e9)
                .description("Longest direct probe round trip").baseUnit("seconds").tags(tags).register(registry);
        counter(registry, tags, s, "grapevine.suspicions", null, "Suspicions this node started",
                x -> x.core().suspicionsStarted());
        counter(registry, tags, s, "grapevine.deaths.declared", null, "Members this node declared dead",
                x -> x.core().deathsDeclared());
        counter(registry, tags, s, "grapevine.refutations", null, "Claims about this node it refuted",
                x -> x.core().refutations());

        FunctionTimer.builder("grapevine.pushpull", s, x -> x.get().pushPullCount(),
                        x -> x.get().pushPullNanosSum(), TimeUnit.NANOSECONDS)
                .description("Push/pulls this node started that completed").tags(tags).register(registry);
        Gauge.builder("grapevine.pushpull.max", s, x -> x.get().pushPullNanosMax() / 1e9)
                .description("Longest completed push/pull").baseUnit("seconds").tags(tags).register(registry);
        counter(registry, tags, s, "grapevine.pushpull.failures", null, "Push/pulls this node started that failed",
                x -> x.core().pushPullFailures());
        counter(registry, tags, s, "grapevine.pushpull.served", null, "Push/pulls this node answered",
                x -> x.core().pushPullsServed());
        Gauge.builder("grapevine.broadcast.queue", s, x -> x.core().queuedBroadcasts())
                .description("Broadcasts waiting to be sent").tags(tags).register(registry);

        stream(registry, tags, s, "accepted", x -> x.get().streamsAccepted());
        stream(registry, tags, s, "opened", x -> x.get().streamsOpened());
        stream(registry, tags, s, "refused", x -> x.get().streamsRefused());
        stream(registry, tags, s, "timeout", x -> x.get().streamTimeouts());
        counter(registry, tags, s, "grapevine.tls.handshake.failures", null,
                "TLS handshakes that failed (plaintext peers, untrusted or wrong certificates)",
                x -> x.get().tlsHandshakeFailures());
        counter(registry, tags, s, "grapevine.streams.frames.too.large", null,
                "Stream messages refused for exceeding the frame limit", x -> x.get().framesTooLarge());
        for (EnvelopeRejection reason : EnvelopeRejection.values()) {
            FunctionCounter.builder("grapevine.envelope.rejections", s,
                            x -> x.get().envelopeRejections().getOrDefault(reason, 0L).doubleValue())
                    .description("Packets and streams the encryption layer refused, by reason")
                    .tags(tags.and("reason", lower(reason.name()))).register(registry);
        }
        counter(registry, tags, s, "grapevine.envelope.unverified", null,
                "Plaintext accepted although encryption is on (gossipVerifyIncoming off)",
                x -> x.get().unverifiedAccepted());
        keyring(registry, tags, s, "grapevine.keyring.recoveries", "recovered",
                "Keyring requests this node made over TLS, by outcome", x -> x.get().keyringRecoveries());
        keyring(registry, tags, s, "grapevine.keyring.recoveries", "failed",
                "Keyring requests this node made over TLS, by outcome", x -> x.get().keyringRecoveryFailures());
        keyring(registry, tags, s, "grapevine.keyring.requests", "served",
                "Keyring requests this node answered, by outcome", x -> x.get().keyringRequestsServed());
        keyring(registry, tags, s, "grapevine.keyring.requests", "refused",
                "Keyring requests this node answered, by outcome", x -> x.get().keyringRequestsRefused());
    }

    private static void keyring(MeterRegistry registry, Tags tags, Snapshots s, String name, String outcome,
                                String description, ToDoubleFunction<Snapshots> f) {
        FunctionCounter.builder(name, s, f).description(description).tags(tags.and("outcome", outcome))
                .register(registry);
    }

    private static void counter(MeterRegistry registry, Tags tags, Snapshots s, String name, String unit,
                                String description, ToDoubleFunction<Snapshots> f) {
        FunctionCounter.builder(name, s, f).description(description).baseUnit(unit).tags(tags).register(registry);
    }

    private static void stream(MeterRegistry registry, Tags tags, Snapshots s, String event,
                               ToDoubleFunction<Snapshots> f) {
        FunctionCounter.builder("grapevine.streams", s, f).description("Stream connections, by event")
                .tags(tags.and("event", event)).register(registry);
    }

    private static double members(CoreMetrics m, MemberState state) {
        return switch (state) {
            case ALIVE -> m.alive();
            case SUSPECT -> m.suspect();
            case DEAD -> m.dead();
            case LEFT -> m.left();
        };
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** One {@link NodeMetrics} shared by the meters, refreshed when older than a second. Thread-safe. */
    private static final class Snapshots {
        private final GrapevineNode node;
        private volatile NodeMetrics last;
        private volatile long takenAt;

        Snapshots(GrapevineNode node) {
            this.node = node;
        }

        NodeMetrics get() {
            NodeMetrics m = last;
            long now = System.nanoTime();
            if (m == null || now - takenAt > MAX_AGE_NANOS) {
                m = node.metrics();
                last = m;
                takenAt = now;
            }
            return m;
        }

        CoreMetrics core() {
            return get().core();
        }
    }
}
