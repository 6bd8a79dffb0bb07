package dev.grapevine.serf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** memberlist 0.2.2's Keyring rules and error strings. */
class InMemoryKeyringTest {
    static final byte[] A = KeyQueryTest.key(1, 32);
    static final byte[] B = KeyQueryTest.key(2, 16);
    static final byte[] C = KeyQueryTest.key(3, 24);

    @Test
    void keyringRules() {
        InMemoryKeyring k = new InMemoryKeyring();
        assertEquals(0, k.keys().size());
        assertNull(k.remove(A), "nothing to remove");
        assertEquals("key size must be 16, 24 or 32 bytes", k.install(new byte[15]));
        assertEquals("key size must be 16, 24 or 32 bytes", k.install(null));
        assertNull(k.install(A));
        assertNull(k.install(B));
        assertNull(k.install(A), "already installed: a no-op");
        assertEquals(2, k.keys().size());
        assertArrayEquals(A, k.keys().get(0), "the first key is primary");
        assertEquals("Requested key is not in the keyring", k.use(C));
        assertNull(k.install(C));
        assertNull(k.use(C));
        assertArrayEquals(C, k.keys().get(0));
        assertArrayEquals(A, k.keys().get(1), "use-key keeps the others in order");
        assertArrayEquals(B, k.keys().get(2));
        assertEquals("Removing the primary key is not allowed", k.remove(C));
        assertNull(k.remove(A));
        assertEquals(2, k.keys().size());
        assertNull(k.persist());
        k.failPersistWith("boom");
        assertEquals("boom", k.persist());
        assertEquals(2, k.persists());
        assertThrows(IllegalArgumentException.class, () -> new InMemoryKeyring(new byte[3]));
        assertEquals(3, new InMemoryKeyring(A, B, C).keys().size());
    }
}
