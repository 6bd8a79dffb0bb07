package dev.grapevine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMember;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.membership.NodeAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Flags and formats of the {@code grapevine} command. */
class AgentCommandTest {

    @Test
    void flagsParse() {
        AgentCommand c = new AgentCommand();
        new CommandLine(c).parseArgs("--name", "n1", "--bind", "127.0.0.1:7001", "--join", "a:1,b:2", "--join", "c:3",
                "--tag", "role=web", "--tag", "dc=east=1", "--preset", "wan", "--http", "8080");
        assertEquals("n1", c.name);
        assertEquals(List.of("a:1", "b:2", "c:3"), c.join);
        assertEquals(Map.of("role", "web", "dc", "east=1"), AgentCommand.parseTags(c.tags));
        assertEquals(MembershipConfig.wan().probeInterval(), AgentCommand.preset(c.preset).probeInterval());
    }

    @Test
    void badValuesAreRefusedWithTheFlagNamed() {
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> AgentCommand.parseTags(List.of("novalue")));
        assertTrue(t.getMessage().contains("--tag"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentCommand.preset("fast")).getMessage()
                .contains("--preset"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AgentCommand.httpAddress("x:y")).getMessage()
                .contains("--http"));
        int exit = new CommandLine(new Main()).execute("agent", "--bind", "127.0.0.1:0");
        assertEquals(2, exit, "a missing --name is a usage error");
    }

    @Test
    void httpDefaultsToLoopback() throws Exception {
        InetSocketAddress a = AgentCommand.httpAddress("8080");
        assertTrue(a.getAddress().isLoopbackAddress());
        assertEquals(8080, a.getPort());
        assertEquals("[::1]:9", AgentCommand.hostPort(AgentCommand.httpAddress("[::1]:9")));
    }

    @Test
    void eventLinesNameTheMemberAndNeverThePayload() {
        SerfMember m = new SerfMember("node-2", NodeAddress.of("127.0.0.1", 7947), Map.of("role", "web", "az", "1"),
                SerfMemberStatus.ALIVE, null, 1);
        assertEquals("member-join    node-2  127.0.0.1:7947  az=1,role=web", EventLog.format(new SerfEvent.MemberJoin(m)));
        String line = EventLog.format(new SerfEvent.User(4, "deploy", "secret-ish".getBytes(), true));
        assertEquals("user-event     deploy  ltime=4  payload=10 bytes  coalesce", line);
        assertEquals(Duration.ofSeconds(15), NodeAgentApi.LEAVE_TIMEOUT);
    }
}
