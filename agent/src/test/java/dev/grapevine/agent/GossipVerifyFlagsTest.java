package dev.grapevine.agent;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.transport.GrapevineNode;
import dev.grapevine.transport.JoinException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code --gossip-verify-incoming/-outgoing} reach the node: memberlist's steps for turning
 * encryption on in a running cluster, over real sockets on 127.0.0.1.
 */
@Tag("integration")
class GossipVerifyFlagsTest {
    private static final String KEY = "4JhBYyi1maKN0Rf3tpyUFzIyHxZY037pCAwDmDJHJ60=";
    private final List<GrapevineNode> nodes = new ArrayList<>();

    @AfterEach
    void tearDown() {
        nodes.forEach(GrapevineNode::close);
    }

    /** A node configured as {@code grapevine agent --name NAME ARGS} would configure it. */
    private GrapevineNode agent(String name, String... args) throws Exception {
        AgentCommand c = new AgentCommand();
        List<String> all = new ArrayList<>(List.of("--name", name));
        all.addAll(List.of(args));
        new CommandLine(c).parseArgs(all.toArray(String[]::new));
        Keyring ring = c.keyring(c.encrypt, c.keyringFile);
        GrapevineNode.Builder b = GrapevineNode.builder().name(name).bind("127.0.0.1:0")
                .config(MembershipConfig.local()).serf(SerfConfig.defaults());
        c.applyGossipVerify(b, ring);
        GrapevineNode n = b.start();
        nodes.add(n);
        return n;
    }

    private static void awaitMembers(int n, GrapevineNode... of) throws InterruptedException {
        assertTrue(SerfAgents.waitFor(() -> java.util.Arrays.stream(of).allMatch(x -> x.numMembers() == n),
                Duration.ofSeconds(20)), "every node sees " + n + " members");
    }

    @Test
    void bothOffAcceptsAndSendsPlaintextThenOutgoingOnSendsEncrypted() throws Exception {
        // Step 1: a key, nothing verified: a plaintext member still joins it, both ways.
        GrapevineNode step1 = agent("step1", "--encrypt", KEY, "--gossip-verify-incoming", "false",
                "--gossip-verify-outgoing", "false");
        GrapevineNode plain = agent("plain");
        plain.join(step1.advertiseAddress().toString());
        awaitMembers(2, step1, plain);
        assertTrue(step1.metrics().unverifiedAccepted() > 0, "plaintext was accepted");

        // Step 2: outgoing on (encrypted), incoming still off: joins the step-1 node.
        GrapevineNode step2 = agent("step2", "--encrypt", KEY, "--gossip-verify-incoming=false");
        step2.join(step1.advertiseAddress().toString());
        awaitMembers(3, step1, step2);
    }

    @Test
    void theDefaultRefusesPlaintext() throws Exception {
        GrapevineNode strict = agent("strict", "--encrypt", KEY);
        GrapevineNode plain = agent("plain");
        assertThrows(JoinException.class, () -> plain.join(strict.advertiseAddress().toString()));
    }
}
