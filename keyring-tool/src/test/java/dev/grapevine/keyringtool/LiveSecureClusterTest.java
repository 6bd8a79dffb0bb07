package dev.grapevine.keyringtool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.agent.SerfAgents;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.KeyringFile;
import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.sign.NodeIdentity;
import dev.grapevine.crypto.tls.NodeTls;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.transport.GrapevineNode;
import dev.grapevine.transport.TlsMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * keyring-tool's live commands against a 3-node Grapevine cluster on 127.0.0.1 with everything on:
 * encrypted gossip (keyring files), mutual TLS required on streams, and signing. The CA and every
 * certificate, the tool's included, are made with the tool's own {@code tls} commands.
 */
@Tag("integration")
class LiveSecureClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<GrapevineNode> nodes = new ArrayList<>();
    private final List<Keyring> rings = new ArrayList<>();
    private final byte[] oldKey = Keys.generate(32);
    private final String oldB64 = Keys.encode(oldKey);
    private Path ops;

    @BeforeEach
    void setUp() throws Exception {
        ok(Tool.run("tls", "ca", "create", "--out-cert", p("ca.pem"), "--out-key", p("ca.key")));
        for (String n : List.of("g1", "g2", "g3", "keyring-tool")) {
            ok(Tool.run("tls", "cert", "create", "--node", n, "--ca-cert", p("ca.pem"), "--ca-key", p("ca.key"),
                    "--out-cert", p(n + ".pem"), "--out-key", p(n + ".key")));
        }
        for (int i = 1; i <= 3; i++) {
            String name = "g" + i;
            Path file = dir.resolve(name + "-keyring.json");
            KeyringFile.of(file).write(List.of(oldKey));
            Keyring ring = Keyring.load(KeyringFile.of(file));
            rings.add(ring);
            Path cert = dir.resolve(name + ".pem");
            Path key = dir.resolve(name + ".key");
            GrapevineNode node = GrapevineNode.builder().name(name).bind("127.0.0.1:0").config(MembershipConfig.lan())
                    .serf(SerfConfig.defaults()).keyring(ring)
                    .tls(TlsMode.REQUIRED, NodeTls.load(dir.resolve("ca.pem"), cert, key))
                    .signing(NodeIdentity.load(cert, key), ClusterTrust.load(dir.resolve("ca.pem")))
                    .start();
            if (!nodes.isEmpty()) {
                node.join(seed());
            }
            nodes.add(node);
        }
        await("3 alive everywhere", () -> nodes.stream().allMatch(n -> n.numMembers() == 3));
        ops = dir.resolve("ops.json");
        KeyringFile.of(ops).write(List.of(oldKey));
    }

    @AfterEach
    void tearDown() {
        nodes.forEach(GrapevineNode::close);
    }

    private String p(String file) {
        return dir.resolve(file).toString();
    }

    private String seed() {
        return nodes.get(0).advertiseAddress().toString();
    }

    private static void ok(Tool.Result r) {
        assertEquals(0, r.code(), r.toString());
    }

    private static void await(String what, BooleanSupplier c) {
        try {
            assertTrue(SerfAgents.waitFor(c, WAIT), "timed out waiting for " + what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The tool's security flags: TLS (implied by the certificate) and signing with the same Ed25519 key. */
    private List<String> secure(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--tls-ca", p("ca.pem"), "--tls-cert", p("keyring-tool.pem"), "--tls-key",
                p("keyring-tool.key"), "--signing", "on"));
        return all;
    }

    private void awaitToolLeft() {
        await("keyring-tool recorded as left (not failed) by every node", () -> nodes.stream().allMatch(n ->
                n.serfMembers().stream().anyMatch(m -> m.name().equals("keyring-tool")
                        && m.status() == SerfMemberStatus.LEFT)));
    }

    private static List<String> b64(List<byte[]> keys) {
        return keys.stream().map(Keys::encode).toList();
    }

    @Test
    void listAndRotateOverTlsWithSigning() throws Exception {
        Tool.Result list = Tool.run(secure("keys", "list", "--cluster", seed(), "--keyring-file", ops.toString())
                .toArray(String[]::new));
        ok(list);
        assertTrue(list.out().contains(oldB64 + "  [3/3]  primary [3/3]"), list.toString());
        assertTrue(list.err().contains(" as keyring-tool (") && list.err().contains("TLS required, signing on"),
                "the tool's member takes the certificate's name: " + list);
        list.noKeyInErr(oldB64);
        awaitToolLeft();

        String newB64 = Keys.encode(Keys.generate(32));
        Tool.Result rotate = Tool.runWithStdin(newB64 + "\n", secure("keys", "rotate", "--cluster", seed(),
                "--keyring-file", ops.toString(), "--new-key", "-").toArray(String[]::new));
        ok(rotate);
        assertTrue(rotate.out().contains("Rotation complete"), rotate.toString());
        rotate.noKeyAnywhere(oldB64, newB64);
        for (int i = 0; i < rings.size(); i++) {
            assertEquals(List.of(newB64), b64(rings.get(i).keys()), "g" + (i + 1) + "'s keyring");
            assertEquals(List.of(newB64), b64(KeyringFile.of(dir.resolve("g" + (i + 1) + "-keyring.json")).read()),
                    "g" + (i + 1) + "'s keyring file");
        }
        assertEquals(List.of(newB64), b64(KeyringFile.of(ops).read()));
        await("3 alive everywhere after the rotation", () -> nodes.stream().allMatch(n -> n.serfMembers().stream()
                .filter(m -> m.status() == SerfMemberStatus.ALIVE).count() == 3));
    }

    @Test
    void withoutTheTlsFlagsTheClusterIsUnreachable() {
        Tool.Result r = Tool.run("keys", "list", "--cluster", seed(), "--keyring-file", ops.toString(), "--timeout",
                "1s");
        assertEquals(ExitCodes.UNREACHABLE, r.code(), r.toString());
        assertTrue(r.err().contains("cannot join the cluster"), r.toString());
        r.noKeyAnywhere(oldB64);
    }

    @Test
    void aCertificateNamingAnotherMemberThanNameIsAUsageError() {
        Tool.Result r = Tool.run(secure("keys", "list", "--cluster", seed(), "--keyring-file", ops.toString(),
                "--name", "ops-tool").toArray(String[]::new));
        assertEquals(ExitCodes.USAGE, r.code(), r.toString());
        assertTrue(r.err().contains("--tls-cert") && r.err().contains("names 'keyring-tool', not this node 'ops-tool'"),
                r.toString());
        Tool.Result noCa = Tool.run("keys", "list", "--cluster", seed(), "--keyring-file", ops.toString(),
                "--tls-cert", p("keyring-tool.pem"), "--tls-key", p("keyring-tool.key"));
        assertEquals(ExitCodes.USAGE, noCa.code(), noCa.toString());
        assertTrue(noCa.err().contains("--tls required needs --tls-ca"), noCa.toString());
    }
}
