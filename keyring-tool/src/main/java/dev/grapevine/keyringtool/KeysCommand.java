package dev.grapevine.keyringtool;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.serf.KeyOperation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code keyring-tool keys ...}: Serf's key queries against a live cluster, spoken by the tool's
 * own short-lived member ({@link ClusterSession}); the equivalent of {@code serf keys} without an
 * agent's RPC, for Grapevine nodes and Serf agents alike, plus a safe {@code rotate}.
 */
@Command(name = "keys", description = "Install, use, remove, list or rotate the gossip keys of a live cluster (Serf's "
        + "key queries). The tool joins the cluster as a short-lived member (tag role=keyring-tool), asks every alive "
        + "member, and leaves gracefully.",
        subcommands = {KeysCommand.ListKeys.class, KeysCommand.Install.class, KeysCommand.Use.class,
            KeysCommand.Remove.class, KeysCommand.Rotate.class})
final class KeysCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command (list, install, use, remove, rotate)");
    }

    /** Options of every live command. */
    abstract static class Live implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--cluster", required = true, paramLabel = "HOST:PORT",
                description = "The gossip address of any member (Grapevine node or Serf agent).")
        String cluster;

        @Option(names = "--bind", paramLabel = "HOST:PORT", description = "Where the tool's member listens (default: "
                + "the local address that routes to --cluster, a free port).")
        String bind;

        @Option(names = "--name", paramLabel = "NAME", description = "The tool's member name (default: the name "
                + "in --tls-cert or --identity-cert when TLS or signing is on, else keyring-tool-<host>-<pid>).")
        String name;

        @Option(names = "--tls", paramLabel = "off|required", description = "Mutual TLS on the tool's streams, for a "
                + "cluster started with --tls required (default: required when --tls-cert is given, else off).")
        String tls;

        @Option(names = "--tls-ca", paramLabel = "FILE", description = "The cluster CA certificate(s), PEM (for TLS "
                + "and --signing on).")
        Path tlsCa;

        @Option(names = "--tls-cert", paramLabel = "FILE", description = "The tool's certificate from the cluster CA, "
                + "PEM; its SAN DNS entry is the tool's member name (make one with: keyring-tool tls cert create "
                + "--node keyring-tool ...).")
        Path tlsCert;

        @Option(names = "--tls-key", paramLabel = "FILE", description = "The private key of --tls-cert, PEM PKCS#8: "
                + "Ed25519 or ECDSA P-256.")
        Path tlsKey;

        @Option(names = "--signing", paramLabel = "off|on", description = "Sign the tool's membership claims and "
                + "messages, for a cluster started with --signing on: with --tls-cert/--tls-key (then Ed25519) unless "
                + "--identity-cert/--identity-key are given; needs --tls-ca (default: off).")
        String signing;

        @Option(names = "--identity-cert", paramLabel = "FILE", description = "Signing: a separate Ed25519 certificate "
                + "from the cluster CA naming the tool's member, PEM (with --identity-key).")
        Path identityCert;

        @Option(names = "--identity-key", paramLabel = "FILE", description = "Signing: the Ed25519 private key of "
                + "--identity-cert, PEM PKCS#8.")
        Path identityKey;

        @Option(names = "--timeout", paramLabel = "DURATION", converter = Durations.class,
                description = "How long each query waits for answers, e.g. 5s (default: Serf's, 3.2s up to 9 members, "
                        + "6.4s up to 99).")
        Duration timeout;

        @Option(names = "--relay-factor", defaultValue = "0", paramLabel = "N",
                description = "Members also relay each answer through N other members (0..5), for lossy networks "
                        + "(default: ${DEFAULT-VALUE}, as serf keys).")
        int relayFactor;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        Progress progress() {
            return new Progress(spec.commandLine().getErr());
        }

        byte[] key(String value, String option) {
            return Keys.parse(value, option, KeyringTool.root(spec).stdin());
        }

        /**
         * The TLS and signing settings, checked as the agent checks its own ({@link NodeSecurity});
         * TLS is required when a certificate is given unless {@code --tls off}.
         */
        NodeSecurity security() {
            String mode = tls != null ? tls : (tlsCert != null || tlsKey != null) ? "required" : "off";
            try {
                return NodeSecurity.load(name, new NodeSecurity.Flags(mode, tlsCa, tlsCert, tlsKey, signing,
                        identityCert, identityKey));
            } catch (IllegalArgumentException e) {
                throw ToolException.usage(e.getMessage());
            }
        }

        ClusterSession open(Keyring ring) {
            if (relayFactor < 0 || relayFactor > 5) {
                throw ToolException.usage("--relay-factor must be 0..5, not " + relayFactor);
            }
            NodeSecurity security = security();
            return ClusterSession.open(cluster, bind, security.enabled() ? security.nodeName() : name, timeout,
                    relayFactor, ring, security, progress());
        }
    }

    /** Live commands that take the gossip credentials as options. */
    abstract static class WithCredentials extends Live {
        @Option(names = "--keyring-file", paramLabel = "FILE", description = "A keyring file holding the cluster's "
                + "primary key (the tool encrypts its gossip with it). Changed to match after a successful "
                + "install, use or remove.")
        Path keyringFile;

        @Option(names = "--encrypt", paramLabel = "KEY", description = "The cluster's key, base64 (or - for standard "
                + "input), instead of --keyring-file.")
        String encrypt;

        /** The tool's gossip keyring, or null for plaintext. */
        Keyring credentials() {
            if (keyringFile != null && encrypt != null) {
                throw ToolException.usage("give --keyring-file or --encrypt, not both");
            }
            if (keyringFile != null) {
                List<byte[]> keys = KeyringFiles.read(keyringFile);
                try {
                    KeyringFiles.permissionWarning(keyringFile).ifPresent(spec.commandLine().getErr()::println);
                    return Keyring.create(keys, null);
                } finally {
                    KeyringFiles.wipe(keys);
                }
            }
            if (encrypt != null) {
                byte[] k = key(encrypt, "--encrypt");
                try {
                    return Keyring.of(k);
                } finally {
                    Arrays.fill(k, (byte) 0);
                }
            }
            return null;
        }
    }

    @Command(name = "list", description = "List the keys installed on the alive members: each key with [members "
            + "holding it/members asked] and how many use it as primary, then the members that failed or did not "
            + "answer. Exit 0 only when every alive member answered without error.")
    static final class ListKeys extends WithCredentials {
        @Override
        public Integer call() {
            Keyring ring = credentials();
            try (ClusterSession s = open(ring)) {
                Answers a = s.ask(KeyOperation.LIST, null, s.required(false), "Asking for installed keys");
                printListing(out(), a);
                if (!a.allOk()) {
                    throw ToolException.failed("failed to gather the keys of every member: "
                            + (a.total() - a.okCount()) + "/" + a.total() + " did not answer successfully");
                }
                return ExitCodes.OK;
            }
        }
    }

    /** Prints each key with [holders/total] and primary counts, then per-member failures. */
    static void printListing(PrintWriter out, Answers a) {
        Map<String, int[]> counts = new LinkedHashMap<>(); // key -> {holders, primaries}
        for (NodeAnswer n : a.byNode().values()) {
            if (!n.ok()) {
                continue;
            }
            for (String k : n.keys()) {
                counts.computeIfAbsent(k, x -> new int[2])[0]++;
            }
            if (!n.primary().isEmpty()) {
                counts.computeIfAbsent(n.primary(), x -> new int[2])[1]++;
            }
        }
        List<Map.Entry<String, int[]>> rows = new ArrayList<>(counts.entrySet());
        rows.sort(Comparator.<Map.Entry<String, int[]>>comparingInt(e -> -e.getValue()[1])
                .thenComparingInt(e -> -e.getValue()[0]).thenComparing(Map.Entry::getKey));
        int total = a.total();
        out.println("Keys of " + total + (total == 1 ? " member" : " members") + " ([holding/asked], primary on):");
        for (Map.Entry<String, int[]> e : rows) {
            int[] c = e.getValue();
            out.println("  " + e.getKey() + "  [" + c[0] + "/" + total + "]"
                    + (c[1] > 0 ? "  primary [" + c[1] + "/" + total + "]" : ""));
        }
        if (rows.isEmpty()) {
            out.println("  (no keys reported)");
        }
        printProblems(out, a);
    }

    static void printProblems(PrintWriter out, Answers a) {
        for (NodeAnswer n : a.problems()) {
            out.println("failed: " + n.node() + ": " + n.problem());
        }
        for (NodeAnswer n : a.byNode().values()) {
            if (n.ok() && !n.message().isEmpty()) {
                out.println("note: " + n.node() + ": " + n.message());
            }
        }
    }

    /** install / use / remove: one key query to every alive member. */
    abstract static class Change extends WithCredentials {
        @Option(names = "--key", required = true, paramLabel = "KEY", description = "The key, base64 (or - for "
                + "standard input).")
        String keyValue;

        abstract KeyOperation operation();

        /** "Installing", "Making primary", "Removing". */
        abstract String doing();

        /** "installed the key on", ... */
        abstract String done();

        /** The same change on the operator's keyring file, after success everywhere. */
        abstract KeyringFiles.Edit fileEdit(byte[] key);

        @Override
        public Integer call() {
            byte[] key = key(keyValue, "--key");
            try {
                Keyring ring = credentials();
                if (ring != null) {
                    prepare(ring, key);
                }
                try (ClusterSession s = open(ring)) {
                    Answers a = s.ask(operation(), key, s.required(false), doing() + " " + Keys.id(key));
                    printProblems(out(), a);
                    if (!a.allOk()) {
                        throw ToolException.failed("error " + doing().toLowerCase(java.util.Locale.ROOT) + " "
                                + Keys.id(key) + ": " + (a.total() - a.okCount()) + "/" + a.total()
                                + " members did not succeed");
                    }
                    if (ring != null && operation() == KeyOperation.USE) {
                        ring.use(key);
                    } else if (ring != null && operation() == KeyOperation.REMOVE) {
                        ring.remove(key);
                    }
                    out().println("Successfully " + done() + " " + a.total() + "/" + a.total()
                            + (a.total() == 1 ? " member." : " members."));
                }
                if (keyringFile != null) {
                    KeyringFiles.Outcome o = KeyringFiles.edit(keyringFile, fileEdit(key));
                    if (o.changed()) {
                        progress().note("updated " + keyringFile + " to match: " + o.note());
                    }
                }
                return ExitCodes.OK;
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        }

        /** Adjusts the tool's own keyring before asking (it must be able to decrypt the answers). */
        void prepare(Keyring ring, byte[] key) {
            ring.install(key);
        }
    }

    @Command(name = "install", description = "Install a key on every alive member (Serf's _serf_install-key).")
    static final class Install extends Change {
        @Override
        KeyOperation operation() {
            return KeyOperation.INSTALL;
        }

        @Override
        String doing() {
            return "Installing key";
        }

        @Override
        String done() {
            return "installed the key on";
        }

        @Override
        KeyringFiles.Edit fileEdit(byte[] key) {
            return ring -> {
                boolean had = ring.contains(key);
                ring.install(key);
                return had ? "already there" : "installed " + Keys.id(key);
            };
        }
    }

    @Command(name = "use", description = "Make an installed key the primary key of every alive member (Serf's "
            + "_serf_use-key). Install it everywhere first.")
    static final class Use extends Change {
        @Override
        KeyOperation operation() {
            return KeyOperation.USE;
        }

        @Override
        String doing() {
            return "Making primary key";
        }

        @Override
        String done() {
            return "changed the primary key on";
        }

        @Override
        KeyringFiles.Edit fileEdit(byte[] key) {
            return ring -> {
                ring.install(key);
                ring.use(key);
                return Keys.id(key) + " is primary";
            };
        }
    }

    @Command(name = "remove", description = "Remove a key from every alive member (Serf's _serf_remove-key); members "
            + "refuse to remove their primary key.")
    static final class Remove extends Change {
        @Override
        KeyOperation operation() {
            return KeyOperation.REMOVE;
        }

        @Override
        String doing() {
            return "Removing key";
        }

        @Override
        String done() {
            return "removed the key from";
        }

        @Override
        KeyringFiles.Edit fileEdit(byte[] key) {
            return ring -> {
                if (ring.remove(key) != null) {
                    throw ToolException.failed("the cluster removed " + Keys.id(key) + " but it is the primary key of "
                            + keyringFile + "; the file was not changed");
                }
                return "removed " + Keys.id(key);
            };
        }

        @Override
        void prepare(Keyring ring, byte[] key) {
            Optional<byte[]> primary = ring.primaryKey();
            if (primary.isPresent()) {
                try {
                    if (Arrays.equals(primary.get(), key)) {
                        throw ToolException.usage("--key " + Keys.id(key) + " is the primary key of the keyring given ("
                                + (keyringFile != null ? keyringFile : "--encrypt")
                                + "), which the tool gossips with; make another key primary first (keys use)");
                    }
                } finally {
                    Arrays.fill(primary.get(), (byte) 0);
                }
            }
        }
    }

    @Command(name = "rotate", description = {"Rotate the cluster to a new key, safely: install it, wait until every "
            + "member reports it; make it primary, wait until every member reports it as primary; remove the old key. "
            + "Each step re-asks members that did not answer (naming them), within --attempts and --step-timeout, and "
            + "the next step never starts while a member is not done: then it stops with a report naming the members "
            + "(exit 1). Run it again to resume: steps already done are skipped.",
        "The keyring file is the operator's copy: the tool gossips with its primary key, and it is rewritten after "
            + "each step (new key installed, then primary, then the old key removed).",
        "Members held as failed must answer too (they may come back with only the old key) unless --skip-failed."})
    static final class Rotate extends Live {
        @Option(names = "--keyring-file", required = true, paramLabel = "FILE", description = "The operator's keyring "
                + "file: its primary key is the current cluster key (the old key).")
        Path keyringFile;

        @Option(names = "--new-key", required = true, paramLabel = "KEY", description = "The new key, base64 (or - for "
                + "standard input); generate one with keygen.")
        String newKeyValue;

        @Option(names = "--old-key", paramLabel = "KEY", description = "The key to remove at the end (default: the "
                + "file's primary key; when the new key is already primary there, the file's only other key).")
        String oldKeyValue;

        @Option(names = "--dry-run", description = "Join, list the members' keys, print the plan, change nothing.")
        boolean dryRun;

        @Option(names = "--attempts", defaultValue = "5", paramLabel = "N",
                description = "Rounds of asking per step before stopping (default: ${DEFAULT-VALUE}).")
        int attempts;

        @Option(names = "--step-timeout", defaultValue = "2m", paramLabel = "DURATION", converter = Durations.class,
                description = "The longest one step may take before stopping (default: ${DEFAULT-VALUE}).")
        Duration stepTimeout;

        @Option(names = "--skip-failed", description = "Do not wait for members held as failed (they will need the new "
                + "key installed by hand before they can rejoin).")
        boolean skipFailed;

        @Override
        public Integer call() {
            if (attempts < 1 || attempts > 1000) {
                throw ToolException.usage("--attempts must be 1..1000, not " + attempts);
            }
            byte[] newKey = key(newKeyValue, "--new-key");
            byte[] oldKey = null;
            List<byte[]> fileKeys = KeyringFiles.read(keyringFile);
            try {
                KeyringFiles.permissionWarning(keyringFile).ifPresent(spec.commandLine().getErr()::println);
                oldKey = oldKey(fileKeys, newKey);
                Keyring ring = Keyring.create(fileKeys, null);
                Progress p = progress();
                try (ClusterSession s = open(ring)) {
                    if (dryRun) {
                        return plan(s, newKey, oldKey);
                    }
                    Rotation r = new Rotation(s, ring, newKey, oldKey,
                            new Rotation.Settings(attempts, stepTimeout, !skipFailed), p,
                            step -> writeFile(ring, step, p), System::nanoTime);
                    if (skipFailed && !s.failed().isEmpty()) {
                        p.note("skipping members held as failed: " + String.join(", ", s.failed()));
                    }
                    Rotation.Outcome o = r.run();
                    if (!o.completed()) {
                        Rotation.printStop(out(), o, s.failed(), keyringFile.toString());
                        throw ToolException.failed("rotation stopped at step " + o.stoppedAt().title + "; "
                                + o.problems().size() + " member(s) not done");
                    }
                    out().println("Rotation complete: every member uses the new key " + Keys.id(newKey)
                            + (oldKey == null ? "" : "; the old key " + Keys.id(oldKey) + " is removed everywhere")
                            + ". " + keyringFile + " holds the new key as primary.");
                    return ExitCodes.OK;
                }
            } finally {
                Arrays.fill(newKey, (byte) 0);
                if (oldKey != null) {
                    Arrays.fill(oldKey, (byte) 0);
                }
                KeyringFiles.wipe(fileKeys);
            }
        }

        private byte[] oldKey(List<byte[]> fileKeys, byte[] newKey) {
            byte[] old;
            if (oldKeyValue != null) {
                old = key(oldKeyValue, "--old-key");
                if (fileKeys.stream().noneMatch(k -> Arrays.equals(k, old))) {
                    Arrays.fill(old, (byte) 0);
                    throw ToolException.usage("--old-key is not in " + keyringFile);
                }
            } else if (!Arrays.equals(fileKeys.get(0), newKey)) {
                old = fileKeys.get(0).clone();
            } else if (fileKeys.size() == 1) {
                return null;
            } else if (fileKeys.size() == 2) {
                old = fileKeys.get(1).clone();
            } else {
                throw ToolException.usage("the new key is already the primary key of " + keyringFile + ", which holds "
                        + fileKeys.size() + " keys: say which one to remove with --old-key");
            }
            if (Arrays.equals(old, newKey)) {
                Arrays.fill(old, (byte) 0);
                throw ToolException.usage("--old-key and --new-key are the same key");
            }
            return old;
        }

        private void writeFile(Keyring ring, Rotation.Step step, Progress p) {
            List<byte[]> keys = ring.keys();
            try {
                if (!KeyringFiles.replace(keyringFile, keys)) {
                    return;
                }
                p.step("Updated " + keyringFile + " (" + keys.size() + (keys.size() == 1 ? " key" : " keys")
                        + ", primary " + Keys.id(keys.get(0)) + ")");
            } finally {
                KeyringFiles.wipe(keys);
            }
        }

        private int plan(ClusterSession s, byte[] newKey, byte[] oldKey) {
            Set<String> required = s.required(!skipFailed);
            Answers a = s.ask(KeyOperation.LIST, null, required, "Listing keys");
            String n = Keys.encode(newKey);
            String o = oldKey == null ? null : Keys.encode(oldKey);
            long holdNew = a.byNode().values().stream().filter(x -> x.has(n)).count();
            long primaryNew = a.byNode().values().stream().filter(x -> x.primaryIs(n)).count();
            long holdOld = o == null ? 0 : a.byNode().values().stream().filter(x -> x.has(o)).count();
            int total = a.total();
            PrintWriter out = out();
            out.println("Plan (dry run, nothing changed): rotate " + total + (total == 1 ? " member" : " members")
                    + " of " + cluster + " to the new key " + Keys.id(newKey) + ":");
            out.println("  1. install the new key on every member (held now by " + holdNew + "/" + total
                    + "), until all report it");
            out.println("  2. make it primary on every member (primary now on " + primaryNew + "/" + total
                    + "), until all report it");
            if (oldKey != null) {
                out.println("  3. remove the old key " + Keys.id(oldKey) + " from every member (held now by " + holdOld
                        + "/" + total + "), until none reports it");
            } else {
                out.println("  3. (no old key to remove)");
            }
            out.println("  after each step: rewrite " + keyringFile + " to match");
            out.println("Members: " + String.join(", ", a.byNode().keySet()));
            Set<String> failed = s.failed();
            if (!failed.isEmpty()) {
                out.println("Held as failed: " + String.join(", ", failed) + (skipFailed ? " (skipped)"
                        : " (the rotation waits for them)"));
            }
            printProblems(out, a);
            if (!a.allOk()) {
                throw ToolException.failed("dry run: " + (total - a.okCount()) + "/" + total
                        + " members did not list their keys; the rotation would stop at step 1 unless they come back");
            }
            return ExitCodes.OK;
        }
    }
}
