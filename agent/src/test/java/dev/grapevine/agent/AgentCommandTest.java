package dev.grapevine.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMember;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.membership.NodeAddress;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
    void joinAttemptsAreBoundedAndValidated() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        int exit = new CommandLine(new Main()).execute("agent", "--name", "j1", "--bind", "127.0.0.1:0",
                "--join", "127.0.0.1:" + closed, "--join-attempts", "2", "--join-retry-seconds", "0");
        assertEquals(1, exit, "every attempt failed: exit 1, not a hang");
        assertEquals(2, new CommandLine(new Main()).execute("agent", "--name", "j1", "--bind", "127.0.0.1:0",
                "--join-attempts", "0"));
        assertEquals(2, new CommandLine(new Main()).execute("agent", "--name", "j1", "--bind", "127.0.0.1:0",
                "--join-retry-seconds", "-1"));
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

    // ---- --encrypt / --keyring-file ------------------------------------------------------------

    private static final String KEY32 = "4JhBYyi1maKN0Rf3tpyUFzIyHxZY037pCAwDmDJHJ60=";

    /** Runs {@code grapevine agent} with {@code args}; returns the exit code and what went to stderr. */
    private static Object[] run(String... args) {
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 5];
        all[0] = "agent";
        all[1] = "--name";
        all[2] = "n1";
        all[3] = "--bind";
        all[4] = "127.0.0.1:0";
        System.arraycopy(args, 0, all, 5, args.length);
        int exit = new CommandLine(new Main()).setErr(new PrintWriter(err, true)).execute(all);
        return new Object[] {exit, err.toString()};
    }

    private static void assertFails(int exit, String expected, Object[] outcome) {
        assertEquals(exit, outcome[0], () -> "exit code; stderr: " + outcome[1]);
        assertTrue(((String) outcome[1]).contains(expected), () -> "stderr: " + outcome[1]);
    }

    @Test
    void encryptAndKeyringFileFlagsParse(@TempDir Path dir) throws Exception {
        AgentCommand c = new AgentCommand();
        new CommandLine(c).parseArgs("--name", "n1", "--encrypt", KEY32, "--keyring-file", dir.resolve("k").toString());
        assertEquals(KEY32, c.encrypt);
        assertEquals(dir.resolve("k"), c.keyringFile);
        Keyring fromFlag = new AgentCommand().keyring(KEY32, null);
        assertArrayEquals(Base64.getDecoder().decode(KEY32), fromFlag.primaryKey().orElseThrow());
        assertFalse(fromFlag.file().isPresent(), "--encrypt alone is not persisted, as in Serf");
        for (int size : new int[] {16, 24}) {
            assertEquals(1, new AgentCommand().keyring(Base64.getEncoder().encodeToString(new byte[size]), null).size());
        }
        Path f = dir.resolve("keyring.json");
        Files.writeString(f, "[\n  \"" + KEY32 + "\",\n  \"" + Base64.getEncoder().encodeToString(new byte[16]) + "\"\n]");
        Keyring fromFile = new AgentCommand().keyring(null, f);
        assertEquals(2, fromFile.size());
        assertEquals(f, fromFile.file().orElseThrow().path());
        assertNull(new AgentCommand().keyring(null, null), "no flag: no encryption");
    }

    @Test
    void encryptWithKeyringFileIsRefusedAsInSerf(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("keyring.json");
        Files.writeString(f, "[\"" + KEY32 + "\"]");
        assertFails(2, "--encrypt cannot be combined with --keyring-file", run("--encrypt", KEY32, "--keyring-file",
                f.toString()));
    }

    @Test
    void gossipVerifyFlagsDefaultToTrueAndNeedAKey() {
        AgentCommand d = new AgentCommand();
        new CommandLine(d).parseArgs("--name", "n1");
        assertTrue(d.gossipVerifyIncoming && d.gossipVerifyOutgoing);
        AgentCommand c = new AgentCommand();
        new CommandLine(c).parseArgs("--name", "n1", "--gossip-verify-incoming", "false", "--gossip-verify-outgoing=false");
        assertFalse(c.gossipVerifyIncoming || c.gossipVerifyOutgoing);
        assertFails(2, "--gossip-verify-incoming and --gossip-verify-outgoing need --encrypt or --keyring-file",
                run("--gossip-verify-outgoing", "false"));
        assertFails(2, "Invalid value for option '--gossip-verify-incoming'", run("--gossip-verify-incoming", "maybe"));
    }

    @Test
    void aBadEncryptKeyFailsAtStartWithoutShowingIt() {
        Object[] notBase64 = run("--encrypt", "not*base64");
        assertFails(2, "'--encrypt': not valid base64", notBase64);
        String shortKey = Base64.getEncoder().encodeToString(new byte[20]);
        Object[] wrongLength = run("--encrypt", shortKey);
        assertFails(2, "the key is 20 bytes; it must be 16, 24 or 32 bytes", wrongLength);
        assertFalse(((String) wrongLength[1]).contains(shortKey));
    }

    @Test
    void aMissingOrBadKeyringFileFailsAtStartWithAClearMessage(@TempDir Path dir) throws Exception {
        assertFails(1, "does not exist", run("--keyring-file", dir.resolve("absent.json").toString()));
        assertFails(1, "is a directory", run("--keyring-file", dir.toString()));
        String secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ";
        Path[] bad = new Path[4];
        String[] contents = {"{\"keys\": []}", "[]", "[\"" + secret + "\"]",
            "[\"" + Base64.getEncoder().encodeToString(new byte[20]) + "\"]"};
        String[] expected = {"is not a JSON array of base64 strings", "contains no keys", "key #1",
            "is 20 bytes; AES keys must be 16, 24 or 32 bytes"};
        for (int i = 0; i < bad.length; i++) {
            bad[i] = dir.resolve("bad" + i + ".json");
            Files.writeString(bad[i], contents[i]);
            Object[] outcome = run("--keyring-file", bad[i].toString());
            assertFails(1, expected[i], outcome);
            assertTrue(((String) outcome[1]).contains(bad[i].toString()), "the message names the file");
            assertFalse(((String) outcome[1]).contains(secret), "never the content");
        }
    }
}
