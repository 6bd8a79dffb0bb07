package dev.grapevine.benchmarks.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.grapevine.benchmarks.cluster.Observations.Kind;
import dev.grapevine.benchmarks.cluster.SerfLogLine.Parsed;
import org.junit.jupiter.api.Test;

/** The agent's stdout event lines (its EventLog format: time, kind padded to 14, subject, details). */
class AgentLogLineTest {

    @Test
    void memberAndUserEventLines() {
        assertEquals(new Parsed(Kind.JOIN, "gva-02"),
                AgentLogLine.parse("2026-11-21T20:31:02.123Z member-join    gva-02  127.0.0.1:7947  role=web"));
        assertEquals(new Parsed(Kind.FAILED, "gva-49"),
                AgentLogLine.parse("2026-11-21T20:31:09.870Z member-failed  gva-49  127.0.0.1:7948  "));
        assertEquals(new Parsed(Kind.LEAVE, "gva-48"),
                AgentLogLine.parse("2026-11-21T20:31:09.870Z member-leave   gva-48  127.0.0.1:7948  "));
        assertEquals(new Parsed(Kind.REAP, "gva-48"),
                AgentLogLine.parse("2026-11-21T20:31:09.870Z member-reap    gva-48  127.0.0.1:7948  "));
        assertEquals(new Parsed(Kind.UPDATE, "gva-01"),
                AgentLogLine.parse("2026-11-21T20:31:09.870Z member-update  gva-01  127.0.0.1:7948  a=b"));
        assertEquals(new Parsed(Kind.USER, "bench-event"),
                AgentLogLine.parse("2026-11-21T20:31:12.004Z user-event     bench-event  ltime=4  payload=2 bytes"));
    }

    @Test
    void otherLinesAreIgnored() {
        assertNull(AgentLogLine.parse("2026-11-21T20:31:12.004Z query          q  from=a  payload=0 bytes"));
        assertNull(AgentLogLine.parse("2026-11-21T20:31:12.004Z name-conflict  kept our name (3 of 3 agree)"));
        assertNull(AgentLogLine.parse(""));
        assertNull(AgentLogLine.parse("member-join"));
    }
}
