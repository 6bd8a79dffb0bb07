package dev.grapevine.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Atomic file writes for key material and the files next to it (keyring files, PEM keys and
 * certificates): the bytes go to a temporary file in the target's directory, created owner-only
 * ({@code 0600}) so that no other user can open it even for a moment, forced to disk, then renamed
 * over the target ({@code ATOMIC_MOVE}); the directory is synced after. A reader sees the old file or
 * the new one, never a part; a crash leaves at most a stray temporary file. A symbolic link at the
 * target is followed, so the link stays and the file it names is replaced.
 *
 * <p><b>Threading.</b> Static and stateless; any thread. Blocks on file I/O.
 */
public final class SecureFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");

    private SecureFiles() {
    }

    /**
     * Replaces {@code file}'s content atomically.
     *
     * @param file   the file to write (its directory must exist)
     * @param bytes  the new content
     * @param secret true for owner-only permissions ({@code 0600}); false leaves the file
     *               {@code 0644} (certificates)
     * @throws IOException if the file cannot be written; the old content is then untouched
     */
    public static void writeAtomically(Path file, byte[] bytes, boolean secret) throws IOException {
        Path target = followLink(file).toAbsolutePath();
        Path dir = target.getParent();
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        String prefix = "." + target.getFileName() + ".";
        Path tmp = posix
                ? Files.createTempFile(dir, prefix, ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                : Files.createTempFile(dir, prefix, ".tmp"); // Windows: inherits the directory's ACL
        boolean moved = false;
        try {
            if (posix) {
                Files.setPosixFilePermissions(tmp, secret ? OWNER_ONLY : WORLD_READABLE); // whatever the umask did
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
        syncDirectory(dir);
    }

    private static Path followLink(Path p) throws IOException {
        if (!Files.isSymbolicLink(p)) {
            return p;
        }
        try {
            return p.toRealPath();
        } catch (NoSuchFileException e) {
            Path link = Files.readSymbolicLink(p);
            Path parent = p.toAbsolutePath().getParent();
            return parent == null ? link : parent.resolve(link);
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every platform can open or sync a directory; the rename itself is atomic
        }
    }
}
