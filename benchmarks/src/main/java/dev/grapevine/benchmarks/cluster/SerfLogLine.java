package dev.grapevine.benchmarks.cluster;

import dev.grapevine.benchmarks.cluster.Observations.Kind;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The member and user-event lines of a Serf 0.9.4 agent's log, as its {@code monitor} RPC streams
 * them. Serf logs each member event when it applies it ({@code serf.go}: handleNodeJoin,
 * handleNodeLeave, handleNodeLeaveIntent, reap), before the agent's coalescer, which holds member
 * events for 1 to 3 s before any event handler sees them; the agent logs {@code Received event}
 * as it dispatches an event (immediately for a user event sent without coalescing).
 *
 * <pre>
 * 2024/05/01 12:00:00 [INFO] serf: EventMemberJoin: serf-03 127.0.0.1
 * 2024/05/01 12:00:00 [INFO] serf: EventMemberFailed: serf-04 127.0.0.1
 * 2024/05/01 12:00:00 [INFO] serf: EventMemberLeave: serf-03 127.0.0.1
 * 2024/05/01 12:00:00 [INFO] serf: EventMemberLeave (forced): serf-03 127.0.0.1
 * 2024/05/01 12:00:00 [INFO] serf: EventMemberReap: serf-03
 * 2024/05/01 12:00:00 [INFO] serf: EventMemberUpdate: serf-03
 * 2024/05/01 12:00:00 [INFO] agent: Received event: user-event: bench-1
 * </pre>
 */
final class SerfLogLine {
    private SerfLogLine() {
    }

    /** A parsed line: what happened, to whom (or the user event's name). */
    record Parsed(Kind kind, String subject) {
    }

    private static final Pattern MEMBER = Pattern.compile(
            "\\[INFO\\] serf: EventMember(Join|Failed|Leave|Reap|Update)(?: \\(forced\\))?: (\\S+)");
    private static final Pattern USER = Pattern.compile("\\[INFO\\] agent: Received event: user-event: (\\S+)");

    /** The event a log line reports, or null for any other line. */
    static Parsed parse(String line) {
        Matcher m = MEMBER.matcher(line);
        if (m.find()) {
            Kind k = switch (m.group(1)) {
                case "Join" -> Kind.JOIN;
                case "Failed" -> Kind.FAILED;
                case "Leave" -> Kind.LEAVE;
                case "Reap" -> Kind.REAP;
                default -> Kind.UPDATE;
            };
            return new Parsed(k, m.group(2));
        }
        Matcher u = USER.matcher(line);
        if (u.find()) {
            return new Parsed(Kind.USER, u.group(1));
        }
        return null;
    }
}
