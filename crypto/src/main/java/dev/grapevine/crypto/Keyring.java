package dev.grapevine.crypto;

import dev.grapevine.serf.KeyringOps;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The AES keys a node encrypts and decrypts gossip with, as memberlist's {@code Keyring}: an
 * ordered list whose first key is the <em>primary</em>, the only one used to encrypt; every key is
 * tried to decrypt, primary first. Keys are 16, 24 or 32 bytes (AES-128, -192, -256). An empty
 * keyring means no encryption (memberlist: encryption is on when the keyring holds a key).
 *
 * <p>The changes are memberlist's, with its error strings (they travel back to {@code serf keys}
 * as they are): {@link #install} adds a key (a no-op when present; the first key becomes primary),
 * {@link #use} makes an installed key primary, {@link #remove} drops a key but refuses the primary.
 * A removed key's bytes are wiped. With a {@link KeyringFile} attached, {@link #persist()} writes
 * the keys to it (the Serf layer calls it after every successful change, as Serf writes its
 * {@code -keyring-file}).
 *
 * <pre>{@code
 * Keyring ring = Keyring.load(KeyringFile.of(Path.of("/etc/grapevine/keyring.json")));
 * GrapevineNode node = GrapevineNode.builder().name("web-1").keyring(ring).serf(SerfConfig.defaults()).start();
 * }</pre>
 *
 * <p><b>Threading.</b> Thread-safe. Changes are serialised by a lock and publish a new immutable
 * snapshot (copy-on-write); the packet path reads the current snapshot with one volatile read and
 * never locks. A packet sealed or opened while a change is published uses the snapshot it read.
 * {@link #persist()} blocks on file I/O (a few milliseconds); so may {@link #load}.
 *
 * <p><b>Secrets.</b> {@link #toString()} shows the number of keys only; key bytes leave the
 * keyring only as copies ({@link #keys()}, {@link #primaryKey()}), which the caller should wipe.
 * The JDK's AES implementation keeps its own expanded copy of the last key each per-thread
 * {@code Cipher} was initialised with, until that cipher is initialised with another key.
 */
public final class Keyring implements KeyringOps {
    /** memberlist's {@code ValidateKey} error. */
    static final String ERR_KEY_SIZE = "key size must be 16, 24 or 32 bytes";
    /** memberlist's {@code UseKey} error. */
    static final String ERR_NOT_INSTALLED = "Requested key is not in the keyring";
    /** memberlist's {@code RemoveKey} error. */
    static final String ERR_REMOVE_PRIMARY = "Removing the primary key is not allowed";

    private final Object lock = new Object();
    private final KeyringFile file;
    private volatile Snapshot snapshot;

    private Keyring(List<byte[]> keys, KeyringFile file) {
        this.file = file;
        List<AesKey> ring = new ArrayList<>();
        for (byte[] k : keys) {
            if (k == null || !validKeyLength(k.length)) {
                ring.forEach(AesKey::destroy);
                throw new IllegalArgumentException(ERR_KEY_SIZE + " (key #" + (ring.size() + 1) + " is "
                        + (k == null ? "null" : k.length + " bytes") + ")");
            }
            if (indexOf(ring, k) < 0) {
                ring.add(new AesKey(k.clone()));
            }
        }
        this.snapshot = new Snapshot(ring.toArray(new AesKey[0]));
    }

    /**
     * An empty keyring: no encryption until a key is {@linkplain #install installed} (for example
     * by {@code serf keys -install}). Not attached to a file.
     *
     * @return a new keyring
     */
    public static Keyring empty() {
        return new Keyring(List.of(), null);
    }

    /**
     * A keyring holding {@code primary} and then {@code others} (duplicates ignored), as
     * memberlist's {@code NewKeyring(keys, primary)}. Not attached to a file. The arrays are copied.
     *
     * @param primary the key to encrypt with
     * @param others  further keys to decrypt with
     * @return a new keyring
     * @throws IllegalArgumentException when a key is not 16, 24 or 32 bytes long
     */
    public static Keyring of(byte[] primary, byte[]... others) {
        List<byte[]> keys = new ArrayList<>();
        keys.add(primary);
        keys.addAll(Arrays.asList(others));
        return new Keyring(keys, null);
    }

    /**
     * A keyring holding {@code keys} (primary first, duplicates ignored), attached to {@code file}
     * when it is not null, so that {@link #persist()} writes it. Nothing is written now. The
     * arrays are copied.
     *
     * @param keys the keys, primary first; may be empty
     * @param file where {@link #persist()} writes, or null
     * @return a new keyring
     * @throws IllegalArgumentException when a key is not 16, 24 or 32 bytes long
     */
    public static Keyring create(List<byte[]> keys, KeyringFile file) {
        return new Keyring(List.copyOf(keys), file);
    }

    /**
     * The keyring stored in {@code file}, attached to it (Serf's {@code -keyring-file}).
     *
     * @param file an existing keyring file
     * @return a new keyring holding the file's keys, primary first
     * @throws KeyringFileException when the file is missing, unreadable or invalid (typed reason;
     *                              the message never shows key material)
     */
    public static Keyring load(KeyringFile file) throws KeyringFileException {
        List<byte[]> keys = file.read();
        try {
            return new Keyring(keys, file);
        } finally {
            keys.forEach(k -> Arrays.fill(k, (byte) 0));
        }
    }

    /** Whether {@code n} is a valid AES key length (16, 24 or 32). */
    static boolean validKeyLength(int n) {
        return n == 16 || n == 24 || n == 32;
    }

    // =============================================================================================
    // Reading (any thread)
    // =============================================================================================

    /**
     * Copies of every key, primary first. Any thread; takes the lock briefly.
     *
     * @return fresh arrays, owned by the caller
     */
    @Override
    public List<byte[]> keys() {
        synchronized (lock) {
            Snapshot s = snapshot;
            List<byte[]> out = new ArrayList<>(s.keys.length);
            for (AesKey k : s.keys) {
                out.add(k.getEncoded());
            }
            return out;
        }
    }

    /**
     * A copy of the primary key. Any thread.
     *
     * @return the primary key, or empty when the keyring is empty
     */
    public Optional<byte[]> primaryKey() {
        synchronized (lock) {
            Snapshot s = snapshot;
            return s.keys.length == 0 ? Optional.empty() : Optional.of(s.keys[0].getEncoded());
        }
    }

    /**
     * How many keys the keyring holds. Any thread; does not block.
     *
     * @return 0 when encryption is off
     */
    public int size() {
        return snapshot.keys.length;
    }

    /**
     * Whether the keyring holds no key (then nothing is encrypted). Any thread; does not block.
     *
     * @return true when empty
     */
    public boolean isEmpty() {
        return snapshot.keys.length == 0;
    }

    /**
     * Whether {@code key} is installed. Any thread; does not block.
     *
     * @param key the key bytes
     * @return true when installed
     */
    public boolean contains(byte[] key) {
        return key != null && indexOf(Arrays.asList(snapshot.keys), key) >= 0;
    }

    /**
     * The file {@link #persist()} writes.
     *
     * @return the attached file, or empty
     */
    public Optional<KeyringFile> file() {
        return Optional.ofNullable(file);
    }

    /** The current keys for the packet path: one volatile read, no lock. */
    Snapshot snapshot() {
        return snapshot;
    }

    // =============================================================================================
    // Changes (any thread; serialised)
    // =============================================================================================

    /**
     * Adds a key (memberlist's {@code AddKey}); the first key becomes primary; a key already
     * installed is a no-op. The array is copied.
     *
     * @param key 16, 24 or 32 bytes
     * @return null on success, else {@code "key size must be 16, 24 or 32 bytes"}
     */
    @Override
    public String install(byte[] key) {
        if (key == null || !validKeyLength(key.length)) {
            return ERR_KEY_SIZE;
        }
        synchronized (lock) {
            Snapshot s = snapshot;
            if (indexOf(Arrays.asList(s.keys), key) >= 0) {
                return null;
            }
            AesKey[] next = Arrays.copyOf(s.keys, s.keys.length + 1);
            next[s.keys.length] = new AesKey(key.clone());
            snapshot = new Snapshot(next);
            return null;
        }
    }

    /**
     * Makes an installed key primary (memberlist's {@code UseKey}); the others keep their order.
     *
     * @param key the key bytes
     * @return null on success, else {@code "Requested key is not in the keyring"}
     */
    @Override
    public String use(byte[] key) {
        synchronized (lock) {
            Snapshot s = snapshot;
            int i = key == null ? -1 : indexOf(Arrays.asList(s.keys), key);
            if (i < 0) {
                return ERR_NOT_INSTALLED;
            }
            if (i > 0) {
                AesKey[] next = new AesKey[s.keys.length];
                next[0] = s.keys[i];
                for (int from = 0, to = 1; from < s.keys.length; from++) {
                    if (from != i) {
                        next[to++] = s.keys[from];
                    }
                }
                snapshot = new Snapshot(next);
            }
            return null;
        }
    }

    /**
     * Removes a key (memberlist's {@code RemoveKey}) and wipes its bytes; removing a key that is
     * not installed succeeds and changes nothing.
     *
     * @param key the key bytes
     * @return null on success, else {@code "Removing the primary key is not allowed"}
     */
    @Override
    public String remove(byte[] key) {
        synchronized (lock) {
            Snapshot s = snapshot;
            if (key == null || s.keys.length == 0) {
                return null;
            }
            if (s.keys[0].matches(key)) {
                return ERR_REMOVE_PRIMARY;
            }
            int i = indexOf(Arrays.asList(s.keys), key);
            if (i < 0) {
                return null;
            }
            AesKey gone = s.keys[i];
            AesKey[] next = new AesKey[s.keys.length - 1];
            System.arraycopy(s.keys, 0, next, 0, i);
            System.arraycopy(s.keys, i + 1, next, i, s.keys.length - i - 1);
            snapshot = new Snapshot(next);
            gone.destroy();
            return null;
        }
    }

    /**
     * Writes the keys to the attached file (atomically, 0600), as Serf's
     * {@code writeKeyringFile}; does nothing without a file. Blocks on file I/O.
     *
     * @return null on success or without a file, else {@code "Failed to write keyring file: ..."}
     *         (Serf's message, naming the I/O error, never a key)
     */
    @Override
    public String persist() {
        if (file == null) {
            return null;
        }
        synchronized (lock) {
            List<byte[]> keys = keys();
            try {
                file.write(keys);
                return null;
            } catch (IOException e) {
                return "Failed to write keyring file: " + describe(e);
            } finally {
                keys.forEach(k -> Arrays.fill(k, (byte) 0));
            }
        }
    }

    @Override
    public String toString() {
        int n = snapshot.keys.length;
        return "Keyring[" + n + (n == 1 ? " key" : " keys") + (file == null ? "" : ", file " + file.path()) + "]";
    }

    private static int indexOf(List<AesKey> keys, byte[] key) {
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i).matches(key)) {
                return i;
            }
        }
        return -1;
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + m;
    }

    /**
     * The keys at one moment, primary first. Immutable: a change publishes a new snapshot. A key
     * removed since may be destroyed; using it then fails ({@link AesKey#getEncoded()} throws).
     */
    static final class Snapshot {
        final AesKey[] keys;

        Snapshot(AesKey[] keys) {
            this.keys = keys;
        }

        /** The primary key, or null when empty. */
        AesKey primary() {
            return keys.length == 0 ? null : keys[0];
        }
    }
}
