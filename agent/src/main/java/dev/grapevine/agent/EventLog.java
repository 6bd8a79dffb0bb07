package dev.grapevine.agent;

import dev.grapevine.membership.NodeAddress;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMember;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes membership events as one readable line each:
 *
 * <pre>
 * 2026-11-21T20:31:02.123Z member-join    node-2  127.0.0.1:7947  role=web
 * 2026-11-21T20:31:09.870Z member-failed  node-3  127.0.0.1:7948
 * 2026-11-21T20:31:12.004Z user-event     deploy  ltime=4  payload=2 bytes
 * </pre>
 *
 * <p>Payload bytes are never printed, only their length. Thread-safe (one print per line).
 */
final class EventLog {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private final PrintStream out;

    EventLog(PrintStream out) {
        this.out = out;
    }

    void log(SerfEvent e) {
        String line = format(e);
        if (line != null) {
            out.println(TIME.format(Instant.now()) + " " + line);
        }
    }

    /** The line for an event (without the time), or null for events not worth a line. */
    static String format(SerfEvent e) {
        if (e instanceof SerfEvent.MemberJoin j) {
            return member("member-join", j.member());
        } else if (e instanceof SerfEvent.MemberLeave l) {
            return member("member-leave", l.member());
        } else if (e instanceof SerfEvent.MemberFailed f) {
            return member("member-failed", f.member());
        } else if (e instanceof SerfEvent.MemberUpdate u) {
            return member("member-update", u.member());
        } else if (e instanceof SerfEvent.MemberReap r) {
            return member("member-reap", r.member());
        } else if (e instanceof SerfEvent.User u) {
            return String.format("%-14s %s  ltime=%d  payload=%d bytes%s", "user-event", u.name(), u.ltime(),
                    u.payload().length, u.coalesce() ? "  coalesce" : "");
        } else if (e instanceof SerfEvent.Query q) {
            return String.format("%-14s %s  from=%s  payload=%d bytes", "query", q.query().name(),
                    q.query().sourceNode(), q.query().payload().length);
        } else if (e instanceof SerfEvent.NameConflictResolved c) {
            return String.format("%-14s %s (%d of %d agree)", "name-conflict", c.won() ? "kept our name" : "LOST our name",
                    c.matching(), c.responses());
        }
        return null;
    }

    private static String member(String what, SerfMember m) {
        NodeAddress a = m.address();
        return String.format("%-14s %s  %s  %s", what, m.name(), a, tags(m.tags()));
    }

    static String tags(Map<String, String> tags) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> t : new TreeMap<>(tags).entrySet()) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(t.getKey()).append('=').append(t.getValue());
        }
        return sb.toString();
    }
}
