package dev.grapevine.benchmarks.cluster;

import dev.grapevine.benchmarks.cluster.Observations.Kind;
import dev.grapevine.benchmarks.cluster.SerfLogLine.Parsed;

/**
 * The event lines a {@code bin/grapevine agent} prints on stdout, one per Serf event as its
 * listener receives it:
 *
 * <pre>
 * 2026-11-21T20:31:02.123Z member-join    gva-02  127.0.0.1:7947  role=web
 * 2026-11-21T20:31:09.870Z member-failed  gva-03  127.0.0.1:7948
 * 2026-11-21T20:31:12.004Z user-event     bench-event  ltime=4  payload=2 bytes
 * </pre>
 */
final class AgentLogLine {
    private AgentLogLine() {
    }

    /** The event a stdout line reports, or null for any other line. */
    static Parsed parse(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 3) {
            return null;
        }
        Kind k = switch (f[1]) {
            case "member-join" -> Kind.JOIN;
            case "member-failed" -> Kind.FAILED;
            case "member-leave" -> Kind.LEAVE;
            case "member-reap" -> Kind.REAP;
            case "member-update" -> Kind.UPDATE;
            case "user-event" -> Kind.USER;
            default -> null;
        };
        return k == null ? null : new Parsed(k, f[2]);
    }
}
