package dev.grapevine.keyringtool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.serf.KeyOperation;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rotation's steps and safety rules, against an in-memory cluster. */
class RotationTest {
    private final byte[] oldKey = Keys.generate(32);
    private final byte[] newKey = Keys.generate(32);
    private final String oldB64 = Keys.encode(oldKey);
    private final String newB64 = Keys.encode(newKey);
    private final StringWriter progressText = new StringWriter();
    private final List<Rotation.Step> fileWrites = new ArrayList<>();
    private final AtomicLong clock = new AtomicLong();
    private FakeCluster cluster;
    private Keyring local;

    @BeforeEach
    void fiveMembersOnTheOldKey() {
        cluster = new FakeCluster();
        for (String n : List.of("a", "b", "c", "d", "e")) {
            cluster.member(n, oldKey);
        }
        local = Keyring.of(oldKey);
    }

    private Rotation.Outcome rotate(int attempts, boolean includeFailed) {
        Rotation r = new Rotation(cluster, local, newKey, oldKey,
                new Rotation.Settings(attempts, Duration.ofMinutes(2), includeFailed),
                new Progress(new PrintWriter(progressText, true)), fileWrites::add, clock::get);
        return r.run();
    }

    private void assertAllOnlyOnTheNewKey() {
        for (String n : cluster.members.keySet()) {
            assertEquals(List.of(newB64), cluster.keysOf(n), n);
        }
    }

    @Test
    void rotatesEveryMemberInThreeSafeSteps() {
        Rotation.Outcome o = rotate(5, true);
        assertTrue(o.completed(), o.toString());
        assertAllOnlyOnTheNewKey();
        assertEquals(List.of(), cluster.violations);
        assertEquals(List.of(Rotation.Step.INSTALL, Rotation.Step.USE, Rotation.Step.REMOVE), fileWrites);
        assertEquals(List.of(newKey.length), local.keys().stream().map(k -> k.length).toList());
        assertTrue(local.contains(newKey) && !local.contains(oldKey), "the tool's own keyring followed");
        assertEquals(List.of("LIST a,b,c,d,e", "INSTALL a,b,c,d,e", "LIST a,b,c,d,e", "LIST a,b,c,d,e",
                "USE a,b,c,d,e", "LIST a,b,c,d,e", "LIST a,b,c,d,e", "REMOVE a,b,c,d,e", "LIST a,b,c,d,e"),
                cluster.log);
        assertFalse(progressText.toString().contains(newB64) || progressText.toString().contains(oldB64),
                "no key in the progress output");
    }

    @Test
    void aRerunAfterCompletionChangesNothing() {
        assertTrue(rotate(5, true).completed());
        cluster.log.clear();
        local = Keyring.of(newKey);
        assertTrue(rotate(5, true).completed());
        assertEquals(List.of("LIST a,b,c,d,e", "LIST a,b,c,d,e", "LIST a,b,c,d,e"), cluster.log,
                "only listings: every step was already done");
    }

    @Test
    void aMemberThatNeverAnswersStopsTheRotationAtInstallNamingIt() {
        cluster.silent.add("c");
        Rotation.Outcome o = rotate(3, true);
        assertFalse(o.completed());
        assertEquals(Rotation.Step.INSTALL, o.stoppedAt());
        assertEquals(List.of("c"), o.problems().stream().map(NodeAnswer::node).toList());
        assertEquals("did not answer", o.problems().get(0).problem());
        assertEquals(0, cluster.count(KeyOperation.USE), "never moved on: " + cluster.log);
        assertEquals(0, cluster.count(KeyOperation.REMOVE));
        assertEquals(List.of(), cluster.violations);
        assertEquals(List.of(), fileWrites, "the keyring file is not touched when install did not complete");
        assertTrue(progressText.toString().contains("Re-asking 1 member not done: c (attempt 2 of 3)"), progressText.toString());
        for (String n : List.of("a", "b", "d", "e")) {
            assertEquals(List.of(oldB64, newB64), cluster.keysOf(n), "installed, old key still primary on " + n);
        }

        StringWriter report = new StringWriter();
        Rotation.printStop(new PrintWriter(report, true), o, java.util.Set.of("c"), "ops.json");
        assertTrue(report.toString().contains("  c (failed): did not answer"), report.toString());
        assertTrue(report.toString().contains("Nothing was made primary and nothing was removed"), report.toString());
    }

    @Test
    void aMemberThatComesBackDuringInstallIsAskedAgainAndTheRotationCompletes() {
        cluster.silent.add("b");
        cluster.beforeAsk = n -> {
            if (n == 4) {
                cluster.silent.remove("b"); // SIGCONT after the first rounds
            }
        };
        Rotation.Outcome o = rotate(5, true);
        assertTrue(o.completed(), o + "\n" + progressText);
        assertAllOnlyOnTheNewKey();
        assertEquals(List.of(), cluster.violations);
        assertTrue(cluster.log.contains("INSTALL b"), "re-asked by name: " + cluster.log);
    }

    @Test
    void aMemberPausedAfterInstallBlocksUseAndRemoveEverywhere() {
        cluster.beforeAsk = n -> {
            if (cluster.log.size() == 3) {
                cluster.silent.add("d"); // paused right after step 1 completed
            }
        };
        Rotation.Outcome o = rotate(4, true);
        assertFalse(o.completed());
        assertEquals(Rotation.Step.USE, o.stoppedAt());
        assertEquals(List.of("d"), o.problems().stream().map(NodeAnswer::node).toList());
        assertEquals(List.of("a", "b", "c", "e"), o.waiting());
        assertEquals(0, cluster.count(KeyOperation.USE), "no use while a member's keys are unknown: " + cluster.log);
        assertEquals(0, cluster.count(KeyOperation.REMOVE));
        assertEquals(List.of(Rotation.Step.INSTALL), fileWrites);
        assertEquals(List.of(), cluster.violations);
    }

    @Test
    void aMemberPausedAfterUseBlocksTheRemoval() {
        cluster.beforeAsk = n -> {
            if (cluster.log.size() == 6) {
                cluster.silent.add("a");
            }
        };
        Rotation.Outcome o = rotate(3, true);
        assertEquals(Rotation.Step.REMOVE, o.stoppedAt());
        assertEquals(List.of("a"), o.problems().stream().map(NodeAnswer::node).toList());
        assertEquals(0, cluster.count(KeyOperation.REMOVE), cluster.log.toString());
        assertEquals(List.of(newB64, oldB64), cluster.keysOf("a"),
                "a keeps both keys, new primary");
        assertEquals(List.of(), cluster.violations);
        assertTrue(local.contains(oldKey), "the tool keeps the old key too");
    }

    @Test
    void lostAnswersAreRecoveredByListing() {
        cluster.answersLost.add("e"); // e applies every query, but its answers never arrive
        cluster.beforeAsk = n -> {
            if (n == 2) {
                cluster.answersLost.remove("e");
            }
        };
        Rotation.Outcome o = rotate(5, true);
        assertTrue(o.completed(), o.toString());
        assertAllOnlyOnTheNewKey();
        assertEquals(List.of(), cluster.violations);
    }

    @Test
    void aMemberWithoutEncryptionStopsTheRotationWithItsMessage() {
        cluster.noKeyring.add("b");
        Rotation.Outcome o = rotate(2, true);
        assertEquals(Rotation.Step.INSTALL, o.stoppedAt());
        assertEquals("Keyring is empty (encryption not enabled)", o.problems().get(0).problem());
    }

    @Test
    void aMemberJoiningMidRotationWithOnlyTheOldKeyIsBroughtAlong() {
        cluster.onRequired = n -> {
            if (n == 4) {
                cluster.member("late", oldKey); // joined after step 1, between a listing and the use
            }
        };
        Rotation.Outcome o = rotate(5, true);
        assertTrue(o.completed(), o + "\n" + cluster.log);
        assertAllOnlyOnTheNewKey();
        assertEquals(List.of(), cluster.violations);
    }

    @Test
    void failedMembersBlockUnlessSkipped() {
        cluster.silent.add("e");
        cluster.failedMembers.add("e");
        assertEquals(Rotation.Step.INSTALL, rotate(2, true).stoppedAt());

        cluster.log.clear();
        fileWrites.clear();
        local = Keyring.of(oldKey);
        Rotation.Outcome skipped = rotate(2, false);
        assertTrue(skipped.completed(), skipped.toString());
        assertEquals(List.of(oldB64), cluster.keysOf("e"), "the skipped member was left alone");
        assertFalse(String.join(" ", cluster.log).contains("e"), cluster.log.toString());
    }

    @Test
    void theStepTimeoutBoundsTheRetries() {
        cluster.silent.add("c");
        cluster.beforeAsk = n -> clock.addAndGet(Duration.ofSeconds(50).toNanos());
        Rotation.Outcome o = rotate(1000, true);
        assertEquals(Rotation.Step.INSTALL, o.stoppedAt());
        assertTrue(cluster.log.size() <= 8, "2 minutes at 50 s a query: " + cluster.log);
    }

    @Test
    void withoutAnOldKeyTheRemovalIsSkipped() {
        Rotation r = new Rotation(cluster, local, newKey, null, new Rotation.Settings(3, Duration.ofMinutes(1), true),
                new Progress(new PrintWriter(progressText, true)), fileWrites::add, clock::get);
        assertTrue(r.run().completed());
        assertEquals(0, cluster.count(KeyOperation.REMOVE));
        assertEquals(List.of(newB64, oldB64), cluster.keysOf("a"));
    }
}
