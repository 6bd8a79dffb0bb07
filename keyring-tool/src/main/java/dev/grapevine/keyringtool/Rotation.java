package dev.grapevine.keyringtool;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.serf.KeyOperation;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A key rotation on a live cluster, in three steps that each end only when every required member
 * reports the step done (Serf's list-keys query):
 * <ol>
 *   <li><b>install</b> the new key everywhere;</li>
 *   <li><b>use</b> it as primary everywhere, which is sent only once every required member
 *       reports holding it (a member encrypting with a key another member lacks would be cut off);</li>
 *   <li><b>remove</b> the old key everywhere, sent only once every required member reports the new
 *       key as primary (a member still encrypting with the old key would be cut off).</li>
 * </ol>
 * Each step runs in rounds: list every required member's keys; if some are not done, ask those (by
 * name) again, the ones that did not answer included, and list again; bounded by
 * {@link Settings#attempts} rounds and {@link Settings#stepTimeout}. When a step cannot complete,
 * the rotation stops and reports the members and why; it never moves to the next step. A step
 * already done (a rerun) passes at its first listing.
 *
 * <p>The tool's own keyring follows (new key installed first, made primary after step 2, old key
 * removed after step 3), and {@link #fileUpdate} is called after each step with the tool's keys,
 * so the operator's keyring file always holds what the cluster needs.
 *
 * <p><b>Threading.</b> One thread; {@link #run} blocks for the whole rotation.
 */
final class Rotation {

    /** The steps. */
    enum Step {
        INSTALL("1/3 install the new key"),
        USE("2/3 make the new key primary"),
        REMOVE("3/3 remove the old key");

        final String title;

        Step(String title) {
            this.title = title;
        }
    }

    /**
     * Bounds and choices.
     *
     * @param attempts      the most rounds of asking per step
     * @param stepTimeout   the longest one step may take (checked between rounds)
     * @param includeFailed whether members held as failed must answer too (true unless the
     *                      operator skips them)
     */
    record Settings(int attempts, Duration stepTimeout, boolean includeFailed) {
    }

    /**
     * How the rotation ended.
     *
     * @param completed true when every step completed
     * @param stoppedAt the step that could not complete, or null
     * @param problems  the members that kept the step from completing, with their last answer
     *                  (they did not answer, reported an error, or lack what the step needs)
     * @param waiting   the other members not done: ready, but waiting for the ones in {@code problems}
     */
    record Outcome(boolean completed, Step stoppedAt, List<NodeAnswer> problems, List<String> waiting) {
    }

    private final KeyCluster cluster;
    private final Keyring local;
    private final byte[] newKey;
    private final byte[] oldKey;
    private final String newB64;
    private final String oldB64;
    private final Settings settings;
    private final Progress progress;
    private final Consumer<Step> fileUpdate;
    private final LongSupplier nanoTime;

    /**
     * @param cluster    the cluster to rotate
     * @param local      the tool's own gossip keyring (must hold the old key); changed as the steps complete
     * @param newKey     the new key
     * @param oldKey     the key to remove at the end, or null to skip step 3
     * @param settings   bounds
     * @param progress   progress lines
     * @param fileUpdate called after each completed step (write the operator's keyring file)
     * @param nanoTime   the clock for the step timeout
     */
    Rotation(KeyCluster cluster, Keyring local, byte[] newKey, byte[] oldKey, Settings settings, Progress progress,
             Consumer<Step> fileUpdate, LongSupplier nanoTime) {
        this.cluster = cluster;
        this.local = local;
        this.newKey = newKey.clone();
        this.oldKey = oldKey == null ? null : oldKey.clone();
        this.newB64 = Keys.encode(newKey);
        this.oldB64 = oldKey == null ? null : Keys.encode(oldKey);
        this.settings = settings;
        this.progress = progress;
        this.fileUpdate = fileUpdate;
        this.nanoTime = nanoTime;
    }

    /** Runs the steps in order; stops at the first that cannot complete. */
    Outcome run() {
        try {
            local.install(newKey);
            for (Step step : Step.values()) {
                if (step == Step.REMOVE && oldKey == null) {
                    progress.note("no old key to remove (the keyring file holds only the new key); step 3 skipped");
                    break;
                }
                List<NodeAnswer> notDone = runStep(step);
                if (!notDone.isEmpty()) {
                    List<NodeAnswer> problems = new ArrayList<>();
                    List<String> waiting = new ArrayList<>();
                    for (NodeAnswer a : notDone) {
                        if (blocks(step, a)) {
                            problems.add(a);
                        } else {
                            waiting.add(a.node());
                        }
                    }
                    if (problems.isEmpty()) {
                        problems = notDone;
                        waiting = List.of();
                    }
                    return new Outcome(false, step, problems, waiting);
                }
                switch (step) {
                    case INSTALL -> { }
                    case USE -> local.use(newKey);
                    case REMOVE -> local.remove(oldKey);
                }
                fileUpdate.accept(step);
            }
            return new Outcome(true, null, List.of(), List.of());
        } finally {
            Arrays.fill(newKey, (byte) 0);
            if (oldKey != null) {
                Arrays.fill(oldKey, (byte) 0);
            }
        }
    }

    /** Whether a member's listing shows {@code step} done. */
    boolean done(Step step, NodeAnswer a) {
        return switch (step) {
            case INSTALL -> a.has(newB64);
            case USE -> a.has(newB64) && a.primaryIs(newB64);
            case REMOVE -> a.primaryIs(newB64) && !a.has(oldB64);
        };
    }

    /**
     * Whether a member not done keeps others from moving on: it did not answer or failed, or it
     * lacks the previous step (use waits for every member to hold the new key; remove for every
     * member to use it).
     */
    private boolean blocks(Step step, NodeAnswer a) {
        return !a.ok() || !a.has(newB64) || step == Step.REMOVE && !a.primaryIs(newB64);
    }

    /** One step's rounds; returns the members not done when it gives up (empty when done). */
    private List<NodeAnswer> runStep(Step step) {
        progress.step("Step " + step.title + " " + Keys.id(step == Step.REMOVE ? oldKey : newKey));
        long deadline = nanoTime.getAsLong() + settings.stepTimeout().toNanos();
        for (int round = 1; ; round++) {
            Set<String> targets = cluster.required(settings.includeFailed());
            Answers listing = cluster.ask(KeyOperation.LIST, null, targets, "Listing keys");
            List<NodeAnswer> notDone = new ArrayList<>();
            for (NodeAnswer a : listing.byNode().values()) {
                if (!done(step, a)) {
                    notDone.add(a);
                }
            }
            if (notDone.isEmpty()) {
                progress.step("Step " + step.title + ": done on all " + listing.total() + " members");
                return List.of();
            }
            if (round > settings.attempts() || nanoTime.getAsLong() - deadline > 0) {
                return notDone;
            }
            Set<String> names = new TreeSet<>();
            notDone.forEach(a -> names.add(a.node()));
            progress.step((round == 1 ? "Asking " : "Re-asking ") + names.size() + (names.size() == 1 ? " member" : " members")
                    + " not done: " + Progress.names(names) + " (attempt " + round + " of " + settings.attempts() + ")");
            correct(step, listing, notDone);
        }
    }

    /**
     * Sends what the members not done need, in order, never a use or remove that could cut a
     * member off: a member that lacks the new key (or did not answer) is asked to install it; use
     * is sent only when every member listed holds the new key; remove only when every member
     * listed uses it as primary.
     */
    private void correct(Step step, Answers listing, List<NodeAnswer> notDone) {
        Set<String> install = new TreeSet<>();
        Set<String> use = new TreeSet<>();
        Set<String> remove = new TreeSet<>();
        for (NodeAnswer a : notDone) {
            if (!a.has(newB64)) {
                install.add(a.node());
            } else if (step != Step.INSTALL && !a.primaryIs(newB64)) {
                use.add(a.node());
            } else if (step == Step.REMOVE) {
                remove.add(a.node());
            }
        }
        boolean allHold = listing.byNode().values().stream().allMatch(a -> a.has(newB64));
        boolean allPrimary = listing.byNode().values().stream().allMatch(a -> a.primaryIs(newB64));
        if ((!use.isEmpty() && allHold || !remove.isEmpty() && allPrimary)
                && !listing.byNode().keySet().containsAll(cluster.required(settings.includeFailed()))) {
            // A member joined since the listing: it may lack the new key; list again before a use or remove.
            Set<String> joined = new TreeSet<>(cluster.required(settings.includeFailed()));
            joined.removeAll(listing.byNode().keySet());
            progress.detail("members joined since the listing (" + Progress.names(joined) + "); listing again");
            allHold = false;
            allPrimary = false;
        }
        if (!install.isEmpty()) {
            report(cluster.ask(KeyOperation.INSTALL, newKey, install, "Installing the new key " + Keys.id(newKey)));
        }
        if (!use.isEmpty()) {
            if (allHold) {
                report(cluster.ask(KeyOperation.USE, newKey, use, "Making the new key primary " + Keys.id(newKey)));
            } else {
                progress.detail("not asking " + Progress.names(use) + " to use the new key yet: not every member "
                        + "holds it");
            }
        }
        if (!remove.isEmpty()) {
            if (allPrimary) {
                report(cluster.ask(KeyOperation.REMOVE, oldKey, remove, "Removing the old key " + Keys.id(oldKey)));
            } else {
                progress.detail("not asking " + Progress.names(remove) + " to remove the old key yet: not every "
                        + "member uses the new key");
            }
        }
    }

    private void report(Answers answers) {
        for (NodeAnswer a : answers.problems()) {
            progress.detail(a.node() + ": " + a.problem());
        }
    }

    /** Prints the stop report: the step, the members and why, and what state the cluster is in. */
    static void printStop(PrintWriter out, Outcome o, Set<String> failed, String file) {
        out.println("Rotation stopped at step " + o.stoppedAt().title + ": " + o.problems().size()
                + (o.problems().size() == 1 ? " member keeps" : " members keep") + " it from completing:");
        for (NodeAnswer a : o.problems()) {
            out.println("  " + a.node() + (failed.contains(a.node()) ? " (failed)" : "") + ": " + describe(o.stoppedAt(),
                    a));
        }
        if (!o.waiting().isEmpty()) {
            out.println("Waiting for them (not asked yet, so that no member is cut off): " + String.join(", ",
                    o.waiting()));
        }
        switch (o.stoppedAt()) {
            case INSTALL -> out.println("Nothing was made primary and nothing was removed; " + file
                    + " still has the old key as primary.");
            case USE -> out.println("Every member holds the new key; some may already use it as primary. Nothing was "
                    + "removed; " + file + " holds both keys (old primary).");
            case REMOVE -> out.println("Every member uses the new key; the old key is still installed where listed. "
                    + file + " holds the new key as primary.");
        }
        out.println("Fix or restart these members (or wait until they are back), then run the same command again: "
                + "steps already done are skipped.");
    }

    private static String describe(Step step, NodeAnswer a) {
        if (a.status() != NodeAnswer.Status.OK) {
            return a.problem();
        }
        return switch (step) {
            case INSTALL -> "does not hold the new key";
            case USE -> a.keys().isEmpty() ? "holds no key" : "still uses another key as primary";
            case REMOVE -> a.message().isEmpty() ? "still holds the old key" : "still holds the old key (" + a.message() + ")";
        };
    }
}
