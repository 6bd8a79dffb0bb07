package dev.grapevine.membership;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of a core's counters and gauges, for metrics exporters and the simulator's report.
 * Counters only grow during a core's life. Immutable; safe to share between threads.
 *
 * @param packetsSent        UDP packets handed to the host
 * @param bytesSent          their total size (before host layers such as encryption)
 * @param packetsReceived    UDP packets handed to the core
 * @param bytesReceived      their total size
 * @param rejections         dropped inputs by reason (only reasons seen at least once)
 * @param probes             probes started
 * @param probeFailures      probes that ended without any ack
 * @param indirectProbes     probes that needed indirect pings
 * @param probeRttCount      direct acks timed
 * @param probeRttSumNanos   sum of their round-trip times
 * @param probeRttMaxNanos   the largest
 * @param suspicionsStarted  members this node started suspecting
 * @param confirmations      extra accusers counted against existing suspicions
 * @param deathsDeclared     members this node declared dead when its suspicion timer expired
 * @param refutations        times this node refuted a claim about itself
 * @param pushPullsStarted   push/pulls this node initiated (joins included)
 * @param pushPullsServed    push/pulls this node answered
 * @param pushPullFailures   initiated push/pulls that failed
 * @param catchUps           catch-up push/pulls started after news (included in pushPullsStarted)
 * @param staleClaims        signed claims older than what this node holds (replays, or news overtaken in
 *                           flight), dropped before any signature work (signing mode)
 * @param conflicts          name conflicts seen
 * @param healthScore        current Lifeguard health score (0 = healthy)
 * @param alive              members alive, the local node included
 * @param suspect            members suspect
 * @param dead               members dead and not yet reaped
 * @param left               members left and not yet reaped
 * @param queuedBroadcasts   broadcasts waiting in the core's queues
 */
public record CoreMetrics(
        long packetsSent, long bytesSent, long packetsReceived, long bytesReceived,
        Map<Rejection, Long> rejections,
        long probes, long probeFailures, long indirectProbes,
        long probeRttCount, long probeRttSumNanos, long probeRttMaxNanos,
        long suspicionsStarted, long confirmations, long deathsDeclared, long refutations,
        long pushPullsStarted, long pushPullsServed, long pushPullFailures, long catchUps, long staleClaims, long conflicts,
        int healthScore, int alive, int suspect, int dead, int left, int queuedBroadcasts) {

    /** Copies the rejection map. */
    public CoreMetrics {
        rejections = Collections.unmodifiableMap(new EnumMap<>(rejections.isEmpty()
                ? new EnumMap<>(Rejection.class) : rejections));
    }

    /** Total rejections over all reasons. */
    public long totalRejections() {
        long t = 0;
        for (long v : rejections.values()) {
            t += v;
        }
        return t;
    }
}
