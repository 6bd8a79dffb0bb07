package dev.grapevine.serf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link KeyringOps} held in memory with memberlist 0.2.2's {@code Keyring} rules and error
 * messages, for tests and for nodes without a keyring file. {@link #failPersistWith} makes
 * {@link #persist()} fail, to exercise Serf's "failed to write keyring file" path.
 *
 * <p>Thread-safe (every method is synchronized).
 */
public final class InMemoryKeyring implements KeyringOps {
    private final List<byte[]> keys = new ArrayList<>();
    private String persistError;
    private int persists;

    /** An empty keyring (encryption enabled, no key yet). */
    public InMemoryKeyring() {
    }

    /**
     * A keyring holding {@code primary} and then {@code others}, as memberlist's
     * {@code NewKeyring(keys, primaryKey)}.
     *
     * @throws IllegalArgumentException when a key has a bad length
     */
    public InMemoryKeyring(byte[] primary, byte[]... others) {
        String err = install(primary);
        for (byte[] k : others) {
            if (err == null) {
                err = install(k);
            }
        }
        if (err != null) {
            throw new IllegalArgumentException(err);
        }
    }

    @Override
    public synchronized List<byte[]> keys() {
        List<byte[]> out = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            out.add(k.clone());
        }
        return out;
    }

    @Override
    public synchronized String install(byte[] key) {
        byte[] k = key == null ? new byte[0] : key;
        if (k.length != 16 && k.length != 24 && k.length != 32) {
            return "key size must be 16, 24 or 32 bytes";
        }
        if (indexOf(k) >= 0) {
            return null;
        }
        keys.add(k.clone());
        return null;
    }

    @Override
    public synchronized String use(byte[] key) {
        int i = indexOf(key == null ? new byte[0] : key);
        if (i < 0) {
            return "Requested key is not in the keyring";
        }
        keys.add(0, keys.remove(i));
        return null;
    }

    @Override
    public synchronized String remove(byte[] key) {
        byte[] k = key == null ? new byte[0] : key;
        if (!keys.isEmpty() && Arrays.equals(k, keys.get(0))) {
            return "Removing the primary key is not allowed";
        }
        int i = indexOf(k);
        if (i >= 0) {
            keys.remove(i);
        }
        return null;
    }

    @Override
    public synchronized String persist() {
        persists++;
        return persistError;
    }

    /** Makes later {@link #persist()} calls return {@code error} ({@code null}: succeed again). */
    public synchronized void failPersistWith(String error) {
        persistError = error;
    }

    /** How many times {@link #persist()} was called. */
    public synchronized int persists() {
        return persists;
    }

    private int indexOf(byte[] k) {
        for (int i = 0; i < keys.size(); i++) {
            if (Arrays.equals(keys.get(i), k)) {
                return i;
            }
        }
        return -1;
    }
}
