package dev.grapevine.simulator;

import java.time.Duration;
import java.util.Objects;

/**
 * How the simulated network treats packets (UDP) and streams (TCP): delay, loss, duplication and
 * reordering. Partitions are not part of the model; they are set on the {@link Simulation}.
 *
 * <p><b>Packets.</b> Each packet is lost with probability {@link #loss()}; otherwise it arrives after
 * a delay drawn from {@link #latency()}, plus, with probability {@link #reorder()}, an extra delay
 * uniform in {@code [0, reorderDelay]} (which lets later packets overtake it). With probability
 * {@link #duplication()} a second copy is sent with its own delay.
 *
 * <p><b>Streams</b> never lose data but pay for loss in time, like TCP: each leg (request, then reply)
 * takes a latency draw plus, for every "lost segment" (drawn repeatedly with probability
 * {@link #loss()}, at most {@link #maxLostSegments()} times), a retransmission timeout that starts at
 * {@link #rto()} and doubles.
 *
 * <p>Immutable: every setter-style method returns a modified copy, so a model can be shared and
 * swapped at run time with {@link Simulation#network(NetworkModel)}. Thread-safe.
 */
public final class NetworkModel {
    private final Latency latency;
    private final double loss;
    private final double duplication;
    private final double reorder;
    private final long reorderDelayNanos;
    private final long rtoNanos;
    private final int maxLostSegments;

    private NetworkModel(Latency latency, double loss, double duplication, double reorder, long reorderDelayNanos,
                         long rtoNanos, int maxLostSegments) {
        this.latency = latency;
        this.loss = loss;
        this.duplication = duplication;
        this.reorder = reorder;
        this.reorderDelayNanos = reorderDelayNanos;
        this.rtoNanos = rtoNanos;
        this.maxLostSegments = maxLostSegments;
    }

    /** A LAN: mean one-way delay 1 ms (shifted exponential), no loss, no duplication, no reordering. */
    public static NetworkModel lan() {
        return new NetworkModel(Latency.shiftedExponential(Duration.ofMillis(1)), 0, 0, 0,
                Duration.ofMillis(10).toNanos(), Duration.ofMillis(200).toNanos(), 6);
    }

    /** Links between regions: {@link #lan()} with a mean one-way delay of 50 ms. */
    public static NetworkModel wan() {
        return lan().latency(Duration.ofMillis(50)).reorderDelay(Duration.ofMillis(100));
    }

    /** One host or a rack: {@link #lan()} with a mean one-way delay of 200 µs. */
    public static NetworkModel local() {
        return lan().latency(Duration.ofNanos(200_000)).reorderDelay(Duration.ofMillis(2));
    }

    /** A preset by name: {@code lan}, {@code wan} or {@code local}. */
    public static NetworkModel preset(String name) {
        return switch (Objects.requireNonNull(name, "name")) {
            case "lan" -> lan();
            case "wan" -> wan();
            case "local" -> local();
            default -> throw new IllegalArgumentException("unknown network preset '" + name
                    + "' (expected lan, wan or local)");
        };
    }

    /** The one-way delay distribution. */
    public Latency latency() {
        return latency;
    }

    /** A copy with this delay distribution. */
    public NetworkModel latency(Latency v) {
        return new NetworkModel(Objects.requireNonNull(v, "latency"), loss, duplication, reorder, reorderDelayNanos,
                rtoNanos, maxLostSegments);
    }

    /** A copy whose delays follow {@link Latency#shiftedExponential} with this mean. */
    public NetworkModel latency(Duration mean) {
        return latency(Latency.shiftedExponential(mean));
    }

    /** Probability that a packet is lost (and that a stream segment needs a retransmission). */
    public double loss() {
        return loss;
    }

    /** A copy with this loss probability, in {@code [0, 1]}. */
    public NetworkModel loss(double v) {
        return new NetworkModel(latency, probability("loss", v), duplication, reorder, reorderDelayNanos, rtoNanos,
                maxLostSegments);
    }

    /** Probability that a delivered packet is delivered twice. */
    public double duplication() {
        return duplication;
    }

    /** A copy with this duplication probability, in {@code [0, 1]}. */
    public NetworkModel duplication(double v) {
        return new NetworkModel(latency, loss, probability("duplication", v), reorder, reorderDelayNanos, rtoNanos,
                maxLostSegments);
    }

    /** Probability that a packet gets an extra random delay (in {@code [0, reorderDelay]}). */
    public double reorder() {
        return reorder;
    }

    /** A copy with this reordering probability, in {@code [0, 1]}. */
    public NetworkModel reorder(double v) {
        return new NetworkModel(latency, loss, duplication, probability("reorder", v), reorderDelayNanos, rtoNanos,
                maxLostSegments);
    }

    /** The largest extra delay of a reordered packet. */
    public Duration reorderDelay() {
        return Duration.ofNanos(reorderDelayNanos);
    }

    /** A copy with this largest extra delay for reordered packets. */
    public NetworkModel reorderDelay(Duration v) {
        return new NetworkModel(latency, loss, duplication, reorder, notNegative("reorderDelay", v), rtoNanos,
                maxLostSegments);
    }

    /** The first retransmission timeout of a stream segment (TCP's initial RTO; 200 ms by default). */
    public Duration rto() {
        return Duration.ofNanos(rtoNanos);
    }

    /** A copy with this initial retransmission timeout. */
    public NetworkModel rto(Duration v) {
        return new NetworkModel(latency, loss, duplication, reorder, reorderDelayNanos, notNegative("rto", v),
                maxLostSegments);
    }

    /** The most retransmissions one stream leg can suffer (6 by default). */
    public int maxLostSegments() {
        return maxLostSegments;
    }

    /** A copy with this retransmission cap, in {@code [0, 30]}. */
    public NetworkModel maxLostSegments(int v) {
        if (v < 0 || v > 30) {
            throw new IllegalArgumentException("maxLostSegments must be in [0, 30], got " + v);
        }
        return new NetworkModel(latency, loss, duplication, reorder, reorderDelayNanos, rtoNanos, v);
    }

    long reorderDelayNanos() {
        return reorderDelayNanos;
    }

    long rtoNanos() {
        return rtoNanos;
    }

    @Override
    public String toString() {
        return "NetworkModel[latency=" + latency + ", loss=" + loss + ", duplication=" + duplication + ", reorder="
                + reorder + " up to " + reorderDelayNanos / 1e6 + " ms, rto=" + rtoNanos / 1e6 + " ms x"
                + maxLostSegments + "]";
    }

    private static double probability(String field, double v) {
        if (!(v >= 0.0 && v <= 1.0)) {
            throw new IllegalArgumentException(field + " must be a probability in [0, 1], got " + v);
        }
        return v;
    }

    private static long notNegative(String field, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(field + " must be a non-negative duration, got " + d);
        }
        return d.toNanos();
    }
}
