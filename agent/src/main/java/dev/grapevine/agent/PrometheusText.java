package dev.grapevine.agent;

import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.membership.CoreMetrics;
import dev.grapevine.membership.Rejection;
import dev.grapevine.transport.NodeMetrics;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a node's metrics in the Prometheus text exposition format (version 0.0.4), with the
 * metric names memberlist operators know, prefixed {@code grapevine_}. Stateless.
 */
final class PrometheusText {
    private PrometheusText() {
    }

    static String render(String node, NodeMetrics m) {
        CoreMetrics c = m.core();
        StringBuilder sb = new StringBuilder(4096);
        String l = "node=\"" + escape(node) + "\"";
        gauge(sb, "grapevine_health_score", "Lifeguard local health score (0 is healthy).", l, c.healthScore());
        sb.append("# HELP grapevine_members Members known, by state.\n# TYPE grapevine_members gauge\n");
        sample(sb, "grapevine_members", l + ",state=\"alive\"", c.alive());
        sample(sb, "grapevine_members", l + ",state=\"suspect\"", c.suspect());
        sample(sb, "grapevine_members", l + ",state=\"dead\"", c.dead());
        sample(sb, "grapevine_members", l + ",state=\"left\"", c.left());
        counter(sb, "grapevine_packets_sent_total", "UDP packets sent.", l, c.packetsSent());
        counter(sb, "grapevine_packets_received_total", "UDP packets received.", l, c.packetsReceived());
        counter(sb, "grapevine_packet_bytes_sent_total", "UDP bytes written to the socket.", l, m.packetBytesSent());
        counter(sb, "grapevine_packet_bytes_received_total", "UDP bytes read from the socket.", l,
                m.packetBytesReceived());
        sb.append("# HELP grapevine_rejections_total Inputs dropped, by reason.\n"
                + "# TYPE grapevine_rejections_total counter\n");
        for (Map.Entry<Rejection, Long> e : c.rejections().entrySet()) {
            sample(sb, "grapevine_rejections_total",
                    l + ",reason=\"" + e.getKey().name().toLowerCase(Locale.ROOT) + "\"", e.getValue());
        }
        counter(sb, "grapevine_probes_total", "Probes started.", l, c.probes());
        counter(sb, "grapevine_probe_failures_total", "Probes that got no ack at all.", l, c.probeFailures());
        sb.append("# HELP grapevine_probe_rtt_seconds Round-trip time of direct probe acks.\n"
                + "# TYPE grapevine_probe_rtt_seconds summary\n");
        sample(sb, "grapevine_probe_rtt_seconds_count", l, c.probeRttCount());
        sample(sb, "grapevine_probe_rtt_seconds_sum", l, c.probeRttSumNanos() / 1e9);
        gauge(sb, "grapevine_probe_rtt_seconds_max", "Largest probe round-trip time.", l, c.probeRttMaxNanos() / 1e9);
        counter(sb, "grapevine_suspicions_total", "Members this node started suspecting.", l, c.suspicionsStarted());
        counter(sb, "grapevine_refutations_total", "Claims about this node it had to refute.", l, c.refutations());
        sb.append("# HELP grapevine_push_pull_seconds Duration of push/pulls this node initiated.\n"
                + "# TYPE grapevine_push_pull_seconds summary\n");
        sample(sb, "grapevine_push_pull_seconds_count", l, m.pushPullCount());
        sample(sb, "grapevine_push_pull_seconds_sum", l, m.pushPullNanosSum() / 1e9);
        counter(sb, "grapevine_push_pulls_served_total", "Push/pulls answered.", l, c.pushPullsServed());
        counter(sb, "grapevine_push_pull_failures_total", "Initiated push/pulls that failed.", l, c.pushPullFailures());
        gauge(sb, "grapevine_broadcast_queue_depth", "Broadcasts waiting to be piggybacked.", l, c.queuedBroadcasts());
        counter(sb, "grapevine_streams_refused_total", "Inbound streams refused (too many at once).", l,
                m.streamsRefused());
        counter(sb, "grapevine_frames_too_large_total", "Stream messages refused for size.", l, m.framesTooLarge());
        counter(sb, "grapevine_stream_timeouts_total", "Streams that hit their timeout.", l, m.streamTimeouts());
        sb.append("# HELP grapevine_envelope_rejections_total Packets and streams the encryption layer refused, "
                + "by reason.\n# TYPE grapevine_envelope_rejections_total counter\n");
        for (Map.Entry<EnvelopeRejection, Long> e : m.envelopeRejections().entrySet()) {
            sample(sb, "grapevine_envelope_rejections_total",
                    l + ",reason=\"" + e.getKey().name().toLowerCase(Locale.ROOT) + "\"", e.getValue());
        }
        counter(sb, "grapevine_envelope_unverified_total",
                "Plaintext accepted although encryption is on (gossip verify incoming off).", l,
                m.unverifiedAccepted());
        return sb.toString();
    }

    private static void gauge(StringBuilder sb, String name, String help, String labels, double v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" gauge\n");
        sample(sb, name, labels, v);
    }

    private static void counter(StringBuilder sb, String name, String help, String labels, long v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" counter\n");
        sample(sb, name, labels, v);
    }

    private static void sample(StringBuilder sb, String name, String labels, double v) {
        sb.append(name).append('{').append(labels).append("} ");
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            sb.append((long) v);
        } else {
            sb.append(v);
        }
        sb.append('\n');
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
