package dev.grapevine.benchmarks.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.grapevine.benchmarks.cluster.Observations.Kind;
import dev.grapevine.benchmarks.cluster.SerfLogLine.Parsed;
import org.junit.jupiter.api.Test;

class SerfLogLineTest {

    @Test
    void memberEventLinesAsSerf094LogsThem() {
        assertEquals(new Parsed(Kind.JOIN, "serf-03"),
                SerfLogLine.parse("2025/11/21 20:00:01 [INFO] serf: EventMemberJoin: serf-03 127.0.0.1"));
        assertEquals(new Parsed(Kind.FAILED, "serf-49"),
                SerfLogLine.parse("2025/11/21 20:00:01 [INFO] serf: EventMemberFailed: serf-49 127.0.0.1\n"));
        assertEquals(new Parsed(Kind.LEAVE, "serf-48"),
                SerfLogLine.parse("2025/11/21 20:00:01 [INFO] serf: EventMemberLeave: serf-48 127.0.0.1"));
        assertEquals(new Parsed(Kind.LEAVE, "serf-48"),
                SerfLogLine.parse("2025/11/21 20:00:01 [INFO] serf: EventMemberLeave (forced): serf-48 127.0.0.1"));
        assertEquals(new Parsed(Kind.REAP, "serf-48"),
                SerfLogLine.parse("2025/11/21 20:00:01 [INFO] serf: EventMemberReap: serf-48"));
        assertEquals(new Parsed(Kind.UPDATE, "serf-02"),
                SerfLogLine.parse("2025/11/21 20:00:01 [INFO] serf: EventMemberUpdate: serf-02"));
    }

    @Test
    void userEventsAsTheAgentDispatchesThem() {
        assertEquals(new Parsed(Kind.USER, "bench-event"),
                SerfLogLine.parse("2025/11/21 20:00:01 [INFO] agent: Received event: user-event: bench-event"));
        assertNull(SerfLogLine.parse("2025/11/21 20:00:01 [INFO] agent: Received event: member-join"));
    }

    @Test
    void otherLinesAreIgnored() {
        assertNull(SerfLogLine.parse("2025/11/21 20:00:01 [INFO] memberlist: Suspect serf-49 has failed, no acks received"));
        assertNull(SerfLogLine.parse("2025/11/21 20:00:01 [INFO] memberlist: Marking serf-49 as failed, suspect timeout reached"));
        assertNull(SerfLogLine.parse("2025/11/21 20:00:01 [DEBUG] serf: messageJoinType: serf-03"));
        assertNull(SerfLogLine.parse("2025/11/21 20:00:01 [INFO] agent.ipc: Graceful leave triggered"));
        assertNull(SerfLogLine.parse(""));
    }
}
