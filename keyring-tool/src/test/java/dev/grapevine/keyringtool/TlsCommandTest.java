package dev.grapevine.keyringtool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.pki.Pem;
import dev.grapevine.crypto.sign.NodeIdentity;
import dev.grapevine.crypto.tls.NodeTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tls ca create, tls cert create, identity create. */
class TlsCommandTest {
    @TempDir
    Path dir;

    private Path p(String name) {
        return dir.resolve(name);
    }

    private void ca(String... extra) {
        String[] base = {"tls", "ca", "create", "--out-cert", p("ca.pem").toString(), "--out-key", p("ca.key").toString()};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        Tool.Result r = Tool.run(args);
        assertEquals(0, r.code(), r.toString());
    }

    private Tool.Result cert(String cmd, String node, String... extra) {
        String[] base = cmd.equals("identity")
                ? new String[] {"identity", "create"} : new String[] {"tls", "cert", "create"};
        String[] rest = {"--node", node, "--ca-cert", p("ca.pem").toString(), "--ca-key", p("ca.key").toString(),
            "--out-cert", p(node + ".pem").toString(), "--out-key", p(node + ".key").toString()};
        String[] args = new String[base.length + rest.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(rest, 0, args, base.length, rest.length);
        System.arraycopy(extra, 0, args, base.length + rest.length, extra.length);
        return Tool.run(args);
    }

    @Test
    void caAndNodeCertificatesWorkForTlsAndSigning() throws Exception {
        ca("--algorithm", "p256", "--days", "30", "--name", "test CA");
        X509Certificate caCert = Pem.readCertificates(p("ca.pem")).get(0);
        assertTrue(caCert.getBasicConstraints() >= 0, "a CA certificate");
        assertEquals("CN=test CA", caCert.getSubjectX500Principal().getName());
        assertTrue(caCert.getNotAfter().toInstant().isBefore(Instant.now().plus(Duration.ofDays(31))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p("ca.key"))));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(p("ca.pem"))));

        Tool.Result web = cert("tls", "web-1", "--algorithm", "p256");
        assertEquals(0, web.code(), web.toString());
        assertTrue(web.out().contains("CN=web-1") && web.out().contains("ECDSA P-256"), web.toString());
        assertTrue(!web.out().contains("PRIVATE KEY") && !web.err().contains("PRIVATE KEY"));
        NodeTls tls = NodeTls.load(p("ca.pem"), p("web-1.pem"), p("web-1.key"));
        assertEquals("web-1", tls.localName());
        ClusterTrust trust = ClusterTrust.load(p("ca.pem"));
        assertNull(trust.check(Pem.readCertificates(p("web-1.pem")).get(0), "web-1"), "trusted as web-1");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p("web-1.key"))));

        Tool.Result id = cert("identity", "db-1");
        assertEquals(0, id.code(), id.toString());
        NodeIdentity identity = NodeIdentity.load(p("db-1.pem"), p("db-1.key"));
        assertEquals("db-1", identity.nodeName());
        assertEquals(32, identity.publicKey().length, "Ed25519");
        NodeTls.load(p("ca.pem"), p("db-1.pem"), p("db-1.key")); // the same certificate serves TLS

        Tool.Result ed = cert("tls", "api-1");
        assertEquals(0, ed.code(), ed.toString());
        NodeIdentity.load(p("api-1.pem"), p("api-1.key")); // ed25519 by default: also a signing identity
    }

    @Test
    void existingFilesAreKeptUnlessForced() throws Exception {
        ca();
        String before = Files.readString(p("ca.pem"));
        Tool.Result again = Tool.run("tls", "ca", "create", "--out-cert", p("ca.pem").toString(), "--out-key",
                p("ca.key").toString());
        assertEquals(ExitCodes.FAILED, again.code(), again.toString());
        assertTrue(again.err().contains("refusing to overwrite") && again.err().contains("--force"), again.toString());
        assertEquals(before, Files.readString(p("ca.pem")));
        ca("--force");
        assertTrue(!before.equals(Files.readString(p("ca.pem"))), "replaced with --force");
    }

    @Test
    void badInputIsAUsageError() throws Exception {
        ca("--algorithm", "ed25519");
        Tool.Result space = cert("tls", "has space");
        assertEquals(ExitCodes.USAGE, space.code(), space.toString());

        assertEquals(0, cert("tls", "leaf").code());
        Tool.Result notCa = Tool.run("tls", "cert", "create", "--node", "x", "--ca-cert", p("leaf.pem").toString(),
                "--ca-key", p("leaf.key").toString(), "--out-cert", p("x.pem").toString(), "--out-key",
                p("x.key").toString());
        assertEquals(ExitCodes.USAGE, notCa.code(), notCa.toString());
        assertTrue(notCa.err().contains("not a CA certificate"), notCa.toString());

        Files.writeString(p("junk.key"), "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n",
                StandardCharsets.US_ASCII);
        Tool.Result junk = Tool.run("tls", "cert", "create", "--node", "x", "--ca-cert", p("ca.pem").toString(),
                "--ca-key", p("junk.key").toString(), "--out-cert", p("x.pem").toString(), "--out-key",
                p("x.key").toString());
        assertEquals(ExitCodes.USAGE, junk.code(), junk.toString());
        assertTrue(!Files.exists(p("x.pem")) && !Files.exists(p("x.key")), "nothing written");

        Tool.Result missing = Tool.run("tls", "cert", "create", "--node", "x", "--ca-cert", p("nope.pem").toString(),
                "--ca-key", p("ca.key").toString(), "--out-cert", p("x.pem").toString(), "--out-key",
                p("x.key").toString());
        assertEquals(ExitCodes.USAGE, missing.code(), missing.toString());

        assertEquals(ExitCodes.USAGE, Tool.run("tls", "ca", "create", "--out-cert", p("a.pem").toString(),
                "--out-key", p("a.key").toString(), "--algorithm", "rsa").code());
        assertEquals(ExitCodes.USAGE, Tool.run("tls", "ca", "create", "--out-cert", p("a.pem").toString(),
                "--out-key", p("a.key").toString(), "--days", "0").code());
        assertEquals(ExitCodes.USAGE, Tool.run("tls", "ca", "create", "--out-cert", p("a.pem").toString(),
                "--out-key", p("a.pem").toString()).code());
    }
}
