package dev.grapevine.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.grapevine.agent.SerfAgents.Agent;
import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.KeyringFile;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.transport.GrapevineNode;
import dev.grapevine.transport.JoinException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encrypted gossip between Grapevine nodes and real Serf 0.9.4 agents on 127.0.0.1: {@code -encrypt},
 * {@code -keyring-file} with two keys, a node with the wrong key, and {@code serf keys} rotating
 * the Grapevine nodes' keyrings and keyring files. Skipped without the {@code serf} binary.
 */
@Tag("integration")
class SerfEncryptionInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    private SerfAgents serf;
    private final List<GrapevineNode> nodes = new ArrayList<>();

    @BeforeAll
    static void needSerf() {
        assumeTrue(SerfAgents.available(), "the serf binary is not installed (apt-get install serf)");
    }

    @BeforeEach
    void setUp() throws IOException {
        serf = new SerfAgents();
    }

    @AfterEach
    void tearDown() {
        nodes.forEach(GrapevineNode::close);
        serf.close();
    }

    private static byte[] newKey() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return k;
    }

    private static String b64(byte[] k) {
        return Base64.getEncoder().encodeToString(k);
    }

    private GrapevineNode node(String name, Keyring keyring) {
        GrapevineNode n = GrapevineNode.builder().name(name).bind("127.0.0.1:0").config(MembershipConfig.lan())
                .serf(SerfConfig.defaults()).tags(Map.of("lang", "java")).keyring(keyring).start();
        nodes.add(n);
        return n;
    }

    private Path keyringFile(String name, byte[]... keys) throws IOException {
        Path f = dir.resolve(name + ".json");
        KeyringFile.of(f).write(List.of(keys));
        return f;
    }

    private static SerfMemberStatus statusAt(GrapevineNode n, String name) {
        return n.serfMembers().stream().filter(m -> m.name().equals(name)).map(m -> m.status()).findFirst()
                .orElse(null);
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        assertTrue(SerfAgents.waitFor(condition, WAIT), "timed out waiting for " + what);
    }

    private void awaitAliveEverywhere(List<Agent> agents, List<GrapevineNode> grapevines) throws InterruptedException {
        int total = agents.size() + grapevines.size();
        await("everyone to see " + total + " alive", () -> grapevines.stream().allMatch(g -> g.serfMembers().stream()
                .filter(m -> m.status() == SerfMemberStatus.ALIVE).count() == total)
                && agents.stream().allMatch(a -> {
                    List<SerfAgents.SerfMember> ms = serf.members(a);
                    return ms != null && ms.stream().filter(m -> m.status().equals("alive")).count() == total;
                }));
    }

    @Test
    void aGrapevineNodeJoinsASerfClusterStartedWithEncrypt() throws Exception {
        byte[] k = newKey();
        Agent a1 = serf.start("serf-1", Map.of(), "-encrypt=" + b64(k));
        Agent a2 = serf.start("serf-2", Map.of(), "-encrypt=" + b64(k));
        assertTrue(serf.join(a2, a1.bind()));
        GrapevineNode g = node("grapevine-1", Keyring.of(k));
        assertEquals(1, g.join(a1.bind()));
        awaitAliveEverywhere(List.of(a1, a2), List.of(g));
        assertEquals(0, g.metrics().totalEnvelopeRejections(), g.metrics().envelopeRejections().toString());
        assertEquals(0, g.metrics().core().totalRejections(), g.metrics().core().rejections().toString());
        // The agent, too, decrypted everything the Grapevine node sent.
        String log = Files.readString(a1.log);
        assertTrue(!log.contains("Decrypt packet failed") && !log.contains("No installed keys"), serf.tail(a1));
    }

    @Test
    void serfWithAKeyringFileOfTwoKeysAcceptsEitherAsPrimary() throws Exception {
        byte[] k1 = newKey();
        byte[] k2 = newKey();
        Path serfKeys = keyringFile("serf-1", k1, k2);
        Agent a1 = serf.start("serf-1", Map.of(), "-keyring-file=" + serfKeys);
        GrapevineNode sameOrder = node("grapevine-k1", Keyring.of(k1, k2));
        GrapevineNode otherOrder = node("grapevine-k2", Keyring.of(k2, k1)); // encrypts with Serf's secondary key
        sameOrder.join(a1.bind());
        otherOrder.join(a1.bind());
        awaitAliveEverywhere(List.of(a1), List.of(sameOrder, otherOrder));
        assertEquals(0, sameOrder.metrics().totalEnvelopeRejections());
        assertEquals(0, otherOrder.metrics().totalEnvelopeRejections());
        String listed = output("serf", "keys", "-list", "-rpc-addr=" + a1.rpc());
        assertTrue(listed.contains(b64(k1)) && listed.contains(b64(k2)) && listed.contains("[3/3]"), listed);
    }

    @Test
    void aNodeWithTheWrongKeyIsNeverAdmittedAndItsTrafficIsCounted() throws Exception {
        byte[] k = newKey();
        Agent a1 = serf.start("serf-1", Map.of(), "-encrypt=" + b64(k));
        GrapevineNode member = node("grapevine-1", Keyring.of(k));
        member.join(a1.bind());
        awaitAliveEverywhere(List.of(a1), List.of(member));

        GrapevineNode intruder = node("intruder", Keyring.of(newKey()));
        assertThrows(JoinException.class, () -> intruder.join(a1.bind()));
        assertThrows(JoinException.class, () -> intruder.join(member.advertiseAddress().toString()));
        await("the member to count the intruder's refused stream", () -> member.metrics().envelopeRejections()
                .getOrDefault(EnvelopeRejection.NO_KEY_DECRYPTS, 0L) >= 1);
        await("the intruder to refuse Serf's error reply (sealed with the cluster key)", () -> intruder.metrics()
                .envelopeRejections().getOrDefault(EnvelopeRejection.NO_KEY_DECRYPTS, 0L) >= 1);
        await("serf to log the failed decryption", () -> {
            try {
                return Files.readString(a1.log).contains("No installed keys could decrypt the message");
            } catch (IOException e) {
                return false;
            }
        });
        assertTrue(serf.members(a1).stream().noneMatch(m -> m.name().equals("intruder")));
        assertEquals(null, statusAt(member, "intruder"));
        assertEquals(1, intruder.numMembers());
    }

    @Test
    void serfKeysRotatesTheGrapevineKeyringsAndTheirFiles() throws Exception {
        byte[] k1 = newKey();
        byte[] k2 = newKey();
        Agent a1 = serf.start("serf-1", Map.of(), "-keyring-file=" + keyringFile("serf-1", k1));
        Path f1 = keyringFile("grapevine-1", k1);
        Path f2 = keyringFile("grapevine-2", k1);
        Keyring r1 = Keyring.load(KeyringFile.of(f1));
        Keyring r2 = Keyring.load(KeyringFile.of(f2));
        GrapevineNode g1 = node("grapevine-1", r1);
        GrapevineNode g2 = node("grapevine-2", r2);
        g1.join(a1.bind());
        g2.join(a1.bind());
        List<Agent> agents = List.of(a1);
        List<GrapevineNode> grapevines = List.of(g1, g2);
        awaitAliveEverywhere(agents, grapevines);

        assertKeysCommand("Successfully installed key", "-install=" + b64(k2), a1);
        for (Path f : List.of(f1, f2)) {
            assertEquals(List.of(b64(k1), b64(k2)), fileKeys(f), f + " after -install");
        }
        String listed = output("serf", "keys", "-list", "-rpc-addr=" + a1.rpc());
        assertTrue(listed.lines().anyMatch(l -> l.contains(b64(k2)) && l.contains("[3/3]")), listed);

        assertKeysCommand("Successfully changed primary key", "-use=" + b64(k2), a1);
        for (Path f : List.of(f1, f2)) {
            assertEquals(List.of(b64(k2), b64(k1)), fileKeys(f), f + " after -use");
        }
        assertKeysCommand("Successfully removed key", "-remove=" + b64(k1), a1);
        for (Path f : List.of(f1, f2)) {
            assertEquals(List.of(b64(k2)), fileKeys(f), f + " after -remove");
        }
        assertEquals(1, r1.size());
        assertEquals(1, r2.size());
        String after = output("serf", "keys", "-list", "-rpc-addr=" + a1.rpc());
        assertTrue(after.lines().anyMatch(l -> l.contains(b64(k2)) && l.contains("[3/3]")) && !after.contains(b64(k1)),
                after);
        awaitAliveEverywhere(agents, grapevines);
        // Removing the primary is refused by every member, Grapevine nodes included.
        String refused = output("serf", "keys", "-remove=" + b64(k2), "-rpc-addr=" + a1.rpc());
        assertTrue(refused.contains("grapevine-1") && refused.contains("Removing the primary key is not allowed"),
                refused);
        assertEquals(List.of(b64(k2)), fileKeys(f1));
        for (GrapevineNode g : grapevines) {
            assertEquals(0, g.metrics().core().suspicionsStarted(), g.name() + " suspected someone during rotation");
        }
    }

    private static List<String> fileKeys(Path f) throws IOException {
        return KeyringFile.of(f).read().stream().map(SerfEncryptionInteropTest::b64).toList();
    }

    private void assertKeysCommand(String success, String flag, Agent a) throws Exception {
        Process p = new ProcessBuilder("serf", "keys", flag, "-rpc-addr=" + a.rpc()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "serf keys " + flag.substring(0, flag.indexOf('=')) + " timed out");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains(success), out);
    }

    private static String output(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
