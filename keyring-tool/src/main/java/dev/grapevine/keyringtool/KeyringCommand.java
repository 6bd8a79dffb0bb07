package dev.grapevine.keyringtool;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code keyring-tool keyring ...}: offline changes to a keyring file in Serf's format (the
 * {@code -keyring-file} of a Serf agent, or of a Grapevine node), through {@link KeyringFiles}:
 * locked read-modify-write, atomic owner-only writes, idempotent steps.
 */
@Command(name = "keyring", description = "Edit a keyring file offline (Serf's -keyring-file format: a JSON array of "
        + "base64 keys, primary first). Changes are atomic, owner-only (0600), and serialised between concurrent "
        + "keyring-tool runs.",
        subcommands = {KeyringCommand.Init.class, KeyringCommand.ListKeys.class, KeyringCommand.Install.class,
            KeyringCommand.Use.class, KeyringCommand.Remove.class})
final class KeyringCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command (init, list, install, use, remove)");
    }

    /** The options every keyring subcommand has. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--file", required = true, paramLabel = "FILE", description = "The keyring file.")
        Path file;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        byte[] key(String value, String option) {
            return Keys.parse(value, option, KeyringTool.root(spec).stdin());
        }

        void warnPermissions() {
            KeyringFiles.permissionWarning(file).ifPresent(err()::println);
        }
    }

    @Command(name = "init", description = "Create a keyring file holding one key (a new random 256-bit key unless "
            + "--key is given; it is not printed: see it with 'keyring list'). An existing file is never overwritten; "
            + "one that already has this key as primary is left as it is.")
    static final class Init extends Base {
        @Option(names = "--key", paramLabel = "KEY", description = "The key (base64, or - for standard input).")
        String keyValue;

        @Override
        public Integer call() {
            byte[] key = keyValue == null ? Keys.generate(32) : key(keyValue, "--key");
            try {
                KeyringFiles.Outcome o = KeyringFiles.create(file, key);
                (o.changed() ? out() : err()).println(o.changed() ? o.note() : "note: " + o.note());
                return ExitCodes.OK;
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        }
    }

    @Command(name = "list", description = "Print the keys of a keyring file, one per line, primary first (marked "
            + "'primary').")
    static final class ListKeys extends Base {
        @Override
        public Integer call() {
            List<byte[]> keys = KeyringFiles.read(file);
            try {
                warnPermissions();
                for (int i = 0; i < keys.size(); i++) {
                    out().println(Keys.encode(keys.get(i)) + (i == 0 ? "  primary" : ""));
                }
                return ExitCodes.OK;
            } finally {
                KeyringFiles.wipe(keys);
            }
        }
    }

    /** A subcommand that changes the file with one key. */
    abstract static class Change extends Base {
        @Option(names = "--key", required = true, paramLabel = "KEY",
                description = "The key (base64, or - for standard input).")
        String keyValue;

        abstract KeyringFiles.Edit edit(byte[] key);

        @Override
        public Integer call() {
            byte[] key = key(keyValue, "--key");
            try {
                KeyringFiles.Outcome o = KeyringFiles.edit(file, edit(key));
                warnPermissions();
                if (o.changed()) {
                    out().println(o.note());
                } else {
                    err().println("note: " + o.note());
                }
                return ExitCodes.OK;
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        }

        String size(int n) {
            return n + (n == 1 ? " key" : " keys");
        }
    }

    @Command(name = "install", description = "Add a key to a keyring file (not primary; see 'use'). Installing a "
            + "key that is already there changes nothing.")
    static final class Install extends Change {
        @Override
        KeyringFiles.Edit edit(byte[] key) {
            return ring -> {
                if (ring.contains(key)) {
                    return "key " + Keys.id(key) + " is already in " + file + "; nothing to do";
                }
                String e = ring.install(key);
                if (e != null) {
                    throw ToolException.usage("--key: " + e);
                }
                return "installed key " + Keys.id(key) + " in " + file + " (" + size(ring.size()) + "; primary unchanged)";
            };
        }
    }

    @Command(name = "use", description = "Make an installed key the primary key of a keyring file (the one used to "
            + "encrypt). Using the primary key changes nothing.")
    static final class Use extends Change {
        @Override
        KeyringFiles.Edit edit(byte[] key) {
            return ring -> {
                if (!ring.contains(key)) {
                    throw ToolException.failed("key " + Keys.id(key) + " is not in " + file
                            + "; install it first (keyring install)");
                }
                byte[] primary = ring.primaryKey().orElseThrow();
                try {
                    if (Arrays.equals(primary, key)) {
                        return "key " + Keys.id(key) + " is already the primary key of " + file + "; nothing to do";
                    }
                } finally {
                    Arrays.fill(primary, (byte) 0);
                }
                String e = ring.use(key);
                if (e != null) {
                    throw ToolException.failed(e);
                }
                return "key " + Keys.id(key) + " is now the primary key of " + file + " (" + size(ring.size()) + ")";
            };
        }
    }

    @Command(name = "remove", description = "Remove a key from a keyring file. The primary key cannot be removed "
            + "(make another key primary first); removing a key that is not there changes nothing.")
    static final class Remove extends Change {
        @Override
        KeyringFiles.Edit edit(byte[] key) {
            return ring -> {
                if (!ring.contains(key)) {
                    return "key " + Keys.id(key) + " is not in " + file + "; nothing to do";
                }
                String e = ring.remove(key);
                if (e != null) {
                    throw ToolException.failed("refusing to remove key " + Keys.id(key) + ": it is the primary key of "
                            + file + " (make another key primary first: keyring use)");
                }
                return "removed key " + Keys.id(key) + " from " + file + " (" + size(ring.size()) + " left)";
            };
        }
    }
}
