package dev.grapevine.keyringtool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.transport.TlsMode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The TLS and signing flags the agent and the tool's live commands share: the node name taken
 * from the certificate when none is given, and the tool's own defaults (TLS implied by a
 * certificate). The agent's rules are tested in the agent module (AgentSecurityFlagsTest).
 */
class NodeSecurityTest {
    @TempDir
    Path dir;
    private ClusterCa ca;
    private Path caPem;

    @BeforeEach
    void setUp() {
        ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        caPem = dir.resolve("ca.pem");
        ca.write(caPem, dir.resolve("ca-key.pem"));
    }

    private Path[] issue(String file, String name, KeyAlgorithm alg) {
        Path cert = dir.resolve(file + ".pem");
        Path key = dir.resolve(file + "-key.pem");
        ca.issue(name, alg, Duration.ofDays(1)).write(cert, key);
        return new Path[] {cert, key};
    }

    @Test
    void withoutANameTheCertificateNamesTheNode() {
        Path[] tool = issue("tool", "keyring-tool", KeyAlgorithm.ED25519);
        NodeSecurity s = NodeSecurity.load(null, new NodeSecurity.Flags("required", caPem, tool[0], tool[1], "on",
                null, null));
        assertEquals("keyring-tool", s.nodeName());
        assertEquals(TlsMode.REQUIRED, s.tlsMode());
        assertEquals("keyring-tool", s.identity().nodeName());
        assertTrue(s.enabled());
        assertEquals("TLS required, signing on", s.describe());
        assertFalse(s.toString().contains("PRIVATE"), s.toString());

        // Signing only: the identity certificate names it.
        NodeSecurity signingOnly = NodeSecurity.load(null, new NodeSecurity.Flags("off", caPem, tool[0], tool[1], "on",
                null, null));
        assertEquals("keyring-tool", signingOnly.nodeName());
        assertEquals(TlsMode.OFF, signingOnly.tlsMode());
    }

    @Test
    void aSeparateIdentityMustNameTheSameNodeAsTheTlsCertificate() {
        Path[] tls = issue("tool", "keyring-tool", KeyAlgorithm.ECDSA_P256);
        Path[] other = issue("other", "someone-else", KeyAlgorithm.ED25519);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeSecurity.load(null,
                new NodeSecurity.Flags("required", caPem, tls[0], tls[1], "on", other[0], other[1])));
        assertTrue(e.getMessage().contains("--identity-cert") && e.getMessage().contains("'someone-else'")
                && e.getMessage().contains("'keyring-tool'"), e.getMessage());
    }

    @Test
    void offWhenNothingIsGiven() {
        NodeSecurity s = NodeSecurity.load(null, new NodeSecurity.Flags(null, null, null, null, null, null, null));
        assertFalse(s.enabled());
        assertNull(s.nodeName());
        assertNull(s.tls());
    }

    private static KeysCommand.ListKeys parse(String... args) {
        KeysCommand.ListKeys c = new KeysCommand.ListKeys();
        new CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void theToolRequiresTlsWhenGivenACertificateUnlessTlsOff() {
        Path[] tool = issue("tool", "keyring-tool", KeyAlgorithm.ED25519);
        NodeSecurity s = parse("--cluster", "127.0.0.1:7946", "--tls-ca", caPem.toString(), "--tls-cert",
                tool[0].toString(), "--tls-key", tool[1].toString()).security();
        assertEquals(TlsMode.REQUIRED, s.tlsMode());
        assertNull(s.identity(), "signing stays off unless asked");
        assertEquals("keyring-tool", s.nodeName());

        NodeSecurity signingOnly = parse("--cluster", "127.0.0.1:7946", "--tls", "off", "--signing", "on", "--tls-ca",
                caPem.toString(), "--tls-cert", tool[0].toString(), "--tls-key", tool[1].toString()).security();
        assertEquals(TlsMode.OFF, signingOnly.tlsMode());
        assertEquals("keyring-tool", signingOnly.identity().nodeName());

        assertFalse(parse("--cluster", "127.0.0.1:7946").security().enabled());

        ToolException named = assertThrows(ToolException.class, () -> parse("--cluster", "127.0.0.1:7946", "--name",
                "ops", "--tls-ca", caPem.toString(), "--tls-cert", tool[0].toString(), "--tls-key",
                tool[1].toString()).security());
        assertEquals(ExitCodes.USAGE, named.exitCode());
        assertTrue(named.getMessage().contains("names 'keyring-tool', not this node 'ops'"), named.getMessage());
    }

    @Test
    void everyLiveCommandTakesTheFlags() {
        for (String cmd : new String[] {"list", "install", "use", "remove", "rotate"}) {
            Tool.Result help = Tool.run("keys", cmd, "--help");
            for (String flag : new String[] {"--tls ", "--tls-ca", "--tls-cert", "--tls-key", "--signing",
                "--identity-cert", "--identity-key"}) {
                assertTrue(help.out().contains(flag), cmd + " lacks " + flag + ":\n" + help);
            }
        }
    }
}
