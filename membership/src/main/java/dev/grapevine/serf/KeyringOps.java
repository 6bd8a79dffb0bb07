package dev.grapevine.serf;

import java.util.List;

/**
 * The keyring operations Serf's internal key queries need (memberlist-wire.md §11.7), kept small so
 * that the real keyring (the crypto module) can implement it; {@link InMemoryKeyring} is the
 * reference implementation for tests.
 *
 * <p>Errors are returned as the message text Serf would send back (memberlist's keyring error
 * strings), {@code null} meaning success: they travel in the {@code Message} field of the key
 * response as they are.
 *
 * <p><b>Threading.</b> Called on the core's thread. A real keyring is also read by the packet
 * threads that encrypt and decrypt, so implementations must be thread-safe.
 */
public interface KeyringOps {

    /** Every key, primary first (copies or read-only arrays; never modified by the caller). */
    List<byte[]> keys();

    /**
     * Adds a key (memberlist's {@code AddKey}): the length must be 16, 24 or 32 bytes (else
     * {@code "key size must be 16, 24 or 32 bytes"}); a key already installed is a no-op; the first
     * key becomes primary.
     *
     * @return null on success, else the error message
     */
    String install(byte[] key);

    /**
     * Makes an installed key primary (memberlist's {@code UseKey}); else
     * {@code "Requested key is not in the keyring"}.
     *
     * @return null on success, else the error message
     */
    String use(byte[] key);

    /**
     * Removes a key (memberlist's {@code RemoveKey}): refused for the primary key with
     * {@code "Removing the primary key is not allowed"}; removing a key that is not installed
     * succeeds.
     *
     * @return null on success, else the error message
     */
    String remove(byte[] key);

    /**
     * Persists the keyring after a successful change (Serf's {@code writeKeyringFile}); the
     * default does nothing.
     *
     * @return null on success (or when there is nothing to write), else the error message
     */
    default String persist() {
        return null;
    }
}
