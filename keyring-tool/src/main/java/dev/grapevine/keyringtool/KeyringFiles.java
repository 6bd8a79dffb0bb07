package dev.grapevine.keyringtool;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.KeyringFile;
import dev.grapevine.crypto.KeyringFileException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reads and changes Serf keyring files ({@link KeyringFile}) for the tool, one change at a time.
 *
 * <p>A change is a read-modify-write under an exclusive lock: an OS file lock on a sidecar file
 * {@code <file>.lock} (created owner-only, left in place), taken by every keyring-tool process,
 * plus an in-process lock per path (the OS lock is per process). So concurrent changes through
 * keyring-tool never lose each other's keys: each one sees the file as the previous one wrote it.
 * The write itself is {@link KeyringFile#write}'s: a temporary owner-only file in the same
 * directory, renamed over the file atomically, so readers (Serf agents, Grapevine nodes, {@code
 * keyring list}) see the old content or the new one, never a mix, without taking the lock. Serf
 * agents rewriting the same file do not take the lock; do not change a file offline that a
 * running agent uses (use {@code keys ...} against the cluster).
 *
 * <p>Every refusal is a {@link ToolException} whose message names the file, never a key.
 *
 * <p><b>Threading.</b> Any thread; every method blocks on file I/O, and a change waits up to
 * {@link #LOCK_WAIT} for the lock.
 */
final class KeyringFiles {
    /** How long a change waits for another change of the same file to finish. */
    static final Duration LOCK_WAIT = Duration.ofSeconds(30);
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> SHARED = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    /** A change applied to the keyring read from the file; returns a note, or null, or throws {@link ToolException}. */
    interface Edit {
        String apply(Keyring ring);
    }

    /**
     * The outcome of a change.
     *
     * @param changed whether the file was rewritten
     * @param note    what happened, for the operator (no key material)
     * @param size    how many keys the file holds now
     */
    record Outcome(boolean changed, String note, int size) {
    }

    private KeyringFiles() {
    }

    /**
     * The file's keys, primary first (the caller wipes them).
     *
     * @throws ToolException (usage) when the file is missing, unreadable or invalid
     */
    static List<byte[]> read(Path file) {
        try {
            return KeyringFile.of(file).read();
        } catch (KeyringFileException e) {
            throw refused(file, e);
        }
    }

    /**
     * A warning when the file can be read or written by group or others, else empty.
     */
    static Optional<String> permissionWarning(Path file) {
        if (!POSIX) {
            return Optional.empty();
        }
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.stream().anyMatch(SHARED::contains)) {
                return Optional.of("warning: " + file + " is accessible by group or others (mode "
                        + PosixFilePermissions.toString(p) + "); keyring files should be owner-only: chmod 600 " + file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // nothing to say
        }
        return Optional.empty();
    }

    /**
     * Creates the file holding {@code key} alone. Idempotent: a file whose primary key is already
     * {@code key} is left as it is (with a note).
     *
     * @throws ToolException (failed) when another file is there, or the write fails
     */
    static Outcome create(Path file, byte[] key) {
        return locked(file, () -> {
            KeyringFile kf = KeyringFile.of(file);
            if (Files.exists(file) || Files.isSymbolicLink(file)) {
                List<byte[]> keys;
                try {
                    keys = kf.read();
                } catch (KeyringFileException e) {
                    throw ToolException.failed(file + " already exists and is not a usable keyring file ("
                            + e.reason() + "); not overwriting it");
                }
                try {
                    if (Arrays.equals(keys.get(0), key)) {
                        return new Outcome(false, file + " already holds this key as primary (" + keys.size()
                                + (keys.size() == 1 ? " key" : " keys") + "); nothing to do", keys.size());
                    }
                    throw ToolException.failed(file + " already exists (" + keys.size()
                            + (keys.size() == 1 ? " key" : " keys") + "); not overwriting it. Change it with "
                            + "keyring install/use/remove");
                } finally {
                    wipe(keys);
                }
            }
            write(kf, List.of(key));
            return new Outcome(true, "created " + file + " with 1 key " + Keys.id(key), 1);
        });
    }

    /**
     * Applies {@code edit} to the file's keyring under the lock and writes the result when the
     * keys changed.
     *
     * @throws ToolException (usage) when the file is missing or invalid; (failed) when the edit
     *                       refuses or the write fails
     */
    static Outcome edit(Path file, Edit edit) {
        return locked(file, () -> {
            KeyringFile kf = KeyringFile.of(file);
            List<byte[]> before = read(file);
            Keyring ring = Keyring.create(before, null);
            List<byte[]> after = null;
            try {
                String note = edit.apply(ring);
                after = ring.keys();
                boolean changed = !sameKeys(before, after);
                if (changed) {
                    write(kf, after);
                }
                return new Outcome(changed, note, after.size());
            } finally {
                wipe(before);
                if (after != null) {
                    wipe(after);
                }
            }
        });
    }

    /**
     * Replaces the file's keys with {@code keys} (primary first) under the lock, unless it already
     * holds exactly these; creates it if missing.
     *
     * @return whether the file was written
     * @throws ToolException (failed) when the write fails
     */
    static boolean replace(Path file, List<byte[]> keys) {
        return locked(file, () -> {
            KeyringFile kf = KeyringFile.of(file);
            try {
                List<byte[]> now = kf.read();
                try {
                    if (sameKeys(now, keys)) {
                        return false;
                    }
                } finally {
                    wipe(now);
                }
            } catch (KeyringFileException e) {
                // missing or invalid: write it
            }
            write(kf, keys);
            return true;
        });
    }

    static void wipe(List<byte[]> keys) {
        keys.forEach(k -> Arrays.fill(k, (byte) 0));
    }

    private static boolean sameKeys(List<byte[]> a, List<byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static void write(KeyringFile kf, List<byte[]> keys) {
        try {
            kf.write(keys);
        } catch (IOException e) {
            throw ToolException.failed("cannot write " + kf.path() + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); the file was left as it was");
        }
    }

    static ToolException refused(Path file, KeyringFileException e) {
        if (e.reason() == KeyringFileException.Reason.NOT_FOUND) {
            return ToolException.usage(file + ": no such keyring file (create one with: keyring-tool keyring init --file "
                    + file + ")");
        }
        return ToolException.usage(e.getMessage());
    }

    private interface LockedBody<T> {
        T run();
    }

    private static <T> T locked(Path file, LockedBody<T> body) {
        Path abs = file.toAbsolutePath().normalize();
        Path lockFile = abs.resolveSibling(abs.getFileName() + ".lock");
        ReentrantLock mine = IN_PROCESS.computeIfAbsent(lockFile, p -> new ReentrantLock());
        long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
        try {
            if (!mine.tryLock(LOCK_WAIT.toNanos(), TimeUnit.NANOSECONDS)) {
                throw ToolException.failed("timed out after " + LOCK_WAIT.toSeconds() + " s waiting for another change of "
                        + file);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ToolException.failed("interrupted while waiting to change " + file);
        }
        try (FileChannel ch = openLockFile(lockFile, file)) {
            FileLock lock = null;
            while (lock == null) {
                lock = ch.tryLock();
                if (lock == null) {
                    if (System.nanoTime() > deadline) {
                        throw ToolException.failed("timed out after " + LOCK_WAIT.toSeconds()
                                + " s waiting for another process changing " + file + " (lock " + lockFile + ")");
                    }
                    Thread.sleep(20); // another process holds the OS lock: poll it, bounded by the deadline
                }
            }
            try {
                return body.run();
            } finally {
                lock.release();
            }
        } catch (IOException e) {
            throw ToolException.failed("cannot lock " + file + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ToolException.failed("interrupted while waiting to change " + file);
        } finally {
            mine.unlock();
        }
    }

    private static FileChannel openLockFile(Path lockFile, Path file) throws IOException {
        Path dir = lockFile.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw ToolException.usage(file + ": the directory " + dir + " does not exist");
        }
        Set<StandardOpenOption> opts = EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileAttribute<?>[] attrs = POSIX
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        return FileChannel.open(lockFile, opts, attrs);
    }
}
