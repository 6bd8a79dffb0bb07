package dev.grapevine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.keyringtool.NodeSecurity;
import dev.grapevine.transport.TlsMode;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The agent's TLS and signing flags: what they load, and the clear refusals at start. */
class AgentSecurityFlagsTest {
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

    private Path[] write(String file, IssuedCertificate c) {
        Path cert = dir.resolve(file + ".pem");
        Path key = dir.resolve(file + "-key.pem");
        c.write(cert, key);
        return new Path[] {cert, key};
    }

    private Path[] issue(String file, String name, KeyAlgorithm alg) {
        return write(file, ca.issue(name, alg, Duration.ofDays(1)));
    }

    private static NodeSecurity.Flags flags(String tls, Path ca, Path[] node, String signing, Path[] identity) {
        return new NodeSecurity.Flags(tls, ca, node == null ? null : node[0], node == null ? null : node[1], signing,
                identity == null ? null : identity[0], identity == null ? null : identity[1]);
    }

    private static String refusal(String name, NodeSecurity.Flags f) {
        return assertThrows(IllegalArgumentException.class, () -> NodeSecurity.load(name, f)).getMessage();
    }

    @Test
    void offByDefault() {
        NodeSecurity s = NodeSecurity.load("n1", flags(null, null, null, null, null));
        assertEquals(TlsMode.OFF, s.tlsMode());
        assertNull(s.tls());
        assertNull(s.identity());
        assertEquals("TLS off, signing off", s.describe());
    }

    @Test
    void tlsWithAnEcdsaCertificateAndSigningWithASeparateEd25519Identity() {
        Path[] node = issue("n1", "n1", KeyAlgorithm.ECDSA_P256);
        Path[] id = issue("n1-id", "n1", KeyAlgorithm.ED25519);
        NodeSecurity s = NodeSecurity.load("n1", flags("required", caPem, node, "on", id));
        assertEquals(TlsMode.REQUIRED, s.tlsMode());
        assertEquals("n1", s.tls().localName());
        assertEquals("n1", s.identity().nodeName());
        assertNotNull(s.trust());
        assertEquals("TLS required, signing on", s.describe());
    }

    @Test
    void signingUsesTheNodeCertificateWhenItIsEd25519() {
        Path[] node = issue("n1", "n1", KeyAlgorithm.ED25519);
        NodeSecurity s = NodeSecurity.load("n1", flags("off", caPem, node, "on", null));
        assertEquals(TlsMode.OFF, s.tlsMode());
        assertEquals("n1", s.identity().nodeName());
        String m = refusal("n1", flags("off", caPem, issue("n1-ec", "n1", KeyAlgorithm.ECDSA_P256), "on", null));
        assertTrue(m.contains("--tls-cert") && m.toLowerCase(java.util.Locale.ROOT).contains("ed25519") && m.contains("--identity-cert"), m);
    }

    @Test
    void aCertificateThatDoesNotNameTheNodeIsRefused() {
        String m = refusal("n1", flags("required", caPem, issue("other", "n2", KeyAlgorithm.ED25519), null, null));
        assertTrue(m.contains("--tls-cert") && m.contains("'n2'") && m.contains("SAN DNS"), m);
        m = refusal("n1", flags(null, caPem, issue("n1", "n1", KeyAlgorithm.ED25519), "on",
                issue("id", "n2", KeyAlgorithm.ED25519)));
        assertTrue(m.contains("--identity-cert") && m.contains("'n2'"), m);
    }

    @Test
    void untrustedOrExpiredCertificatesAreRefused() {
        ClusterCa other = ClusterCa.create("other CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        Path[] foreign = write("foreign", other.issue("n1", KeyAlgorithm.ED25519, Duration.ofDays(1)));
        String m = refusal("n1", flags("required", caPem, foreign, null, null));
        assertTrue(m.contains("--tls-cert") && m.contains("not trusted") && m.contains("--tls-ca"), m);
        Instant now = Instant.now();
        Path[] expired = write("expired", ca.issue("n1", KeyAlgorithm.ED25519.generate(), now.minus(Duration.ofDays(2)),
                now.minus(Duration.ofDays(1))));
        m = refusal("n1", flags("required", caPem, expired, null, null));
        assertTrue(m.contains("expired"), m);
        m = refusal("n1", flags(null, caPem, expired, "on", null));
        assertTrue(m.contains("expired"), m);
    }

    @Test
    void missingUnreadableOrMalformedFilesAreRefusedWithTheFlagNamed() throws Exception {
        Path[] node = issue("n1", "n1", KeyAlgorithm.ED25519);
        String m = refusal("n1", flags("required", null, node, null, null));
        assertTrue(m.contains("--tls required needs --tls-ca"), m);
        m = refusal("n1", flags("required", caPem, new Path[] {node[0], null}, null, null));
        assertTrue(m.contains("needs --tls-key"), m);
        m = refusal("n1", flags("required", dir.resolve("absent.pem"), node, null, null));
        assertTrue(m.contains("--tls-ca") && m.contains("absent.pem") && m.contains("not a readable file"), m);
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a PEM file\n");
        m = refusal("n1", flags("required", caPem, new Path[] {junk, node[1]}, null, null));
        assertTrue(m.contains("--tls-cert") && m.contains("junk.pem"), m);
        m = refusal("n1", flags("required", caPem, new Path[] {node[0], junk}, null, null));
        assertTrue(m.contains("junk.pem"), m);
        m = refusal("n1", flags("required", junk, node, null, null));
        assertTrue(m.contains("--tls-ca") && m.contains("junk.pem"), m);
        Path[] otherKey = issue("other", "n1", KeyAlgorithm.ED25519);
        m = refusal("n1", flags("required", caPem, new Path[] {node[0], otherKey[1]}, null, null));
        assertTrue(m.contains("--tls-cert/--tls-key"), m);
        assertTrue(!m.contains("PRIVATE KEY"), "no key material in messages: " + m);
    }

    @Test
    void inconsistentFlagsAreRefused() {
        Path[] node = issue("n1", "n1", KeyAlgorithm.ED25519);
        assertTrue(refusal("n1", flags("maybe", null, null, null, null)).contains("--tls must be off or required"));
        assertTrue(refusal("n1", flags(null, null, null, "yes", null)).contains("--signing must be off or on"));
        assertTrue(refusal("n1", flags(null, caPem, node, null, null)).contains("need --tls required or --signing on"));
        assertTrue(refusal("n1", flags(null, caPem, node, "on", new Path[] {node[0], null}))
                .contains("--identity-cert and --identity-key go together"));
        assertTrue(refusal("n1", flags("required", caPem, node, "off", node)).contains("are for --signing on"));
    }

    @Test
    void theCommandExitsWithAUsageErrorBeforeBindingAnything() {
        Path[] node = issue("n1", "n2", KeyAlgorithm.ED25519);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new Main());
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        int exit = cl.execute("agent", "--name", "n1", "--bind", "127.0.0.1:0", "--tls", "required",
                "--tls-ca", caPem.toString(), "--tls-cert", node[0].toString(), "--tls-key", node[1].toString());
        assertEquals(2, exit);
        String out = err.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("names 'n2', not this node 'n1'"), out);
    }

    @Test
    void flagsParse() {
        AgentCommand c = new AgentCommand();
        new CommandLine(c).parseArgs("--name", "n1", "--tls", "required", "--tls-ca", "ca.pem", "--tls-cert", "n1.pem",
                "--tls-key", "n1-key.pem", "--signing", "on", "--identity-cert", "id.pem", "--identity-key", "id-key.pem");
        NodeSecurity.Flags f = c.securityFlags();
        assertEquals(new NodeSecurity.Flags("required", Path.of("ca.pem"), Path.of("n1.pem"), Path.of("n1-key.pem"),
                "on", Path.of("id.pem"), Path.of("id-key.pem")), f);
        AgentCommand d = new AgentCommand();
        new CommandLine(d).parseArgs("--name", "n1");
        assertEquals("off", d.tls);
        assertEquals("off", d.signing);
    }
}
