package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.wire.StreamFramer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The keyring-recovery messages: encoding, decoding, and refusal of everything malformed. */
class KeyringMessagesTest {

    static byte[] key(int length, int seed) {
        byte[] k = new byte[length];
        Arrays.fill(k, (byte) seed);
        k[0] = (byte) length;
        return k;
    }

    @Test
    void aRequestCarriesADigestOfThePrimaryKeyOnly() {
        byte[] k = key(32, 9);
        byte[] r = KeyringMessages.request(k);
        assertEquals(5 + 2 + 32, r.length);
        assertArrayEquals(new byte[] {(byte) 243, 0, 0, 0, 34, 1, 1}, Arrays.copyOf(r, 7));
        assertTrue(KeyringMessages.isKeyringMessage(r));
        assertArrayEquals(KeyringMessages.digest(k), KeyringMessages.requestDigest(r));
        assertFalse(Arrays.equals(KeyringMessages.digest(k), KeyringMessages.digest(key(32, 10))));
        assertFalse(java.util.HexFormat.of().formatHex(r).contains(java.util.HexFormat.of().formatHex(k, 1, 17)),
                "no key bytes in the request");
        assertEquals(r.length, new StreamFramer(1 << 20).frameLength(r, 0, r.length));

        byte[] op = r.clone();
        op[6] = 2;
        assertNull(KeyringMessages.requestDigest(op), "op 2 is keys");
        assertNull(KeyringMessages.requestDigest(Arrays.copyOf(r, r.length + 1)), "a trailing byte");
        assertNull(KeyringMessages.requestDigest(Arrays.copyOf(r, r.length - 1)), "truncated");
        assertNull(KeyringMessages.requestDigest(KeyringMessages.current()));
        assertFalse(KeyringMessages.isKeyringMessage(new byte[0]));
        assertFalse(KeyringMessages.isKeyringMessage(new byte[] {6}));
    }

    @Test
    void currentIsAnAnswerWithoutKeys() {
        KeyringMessages.Answer a = KeyringMessages.decodeAnswer(KeyringMessages.current());
        assertTrue(a.ok());
        assertTrue(a.current());
        assertEquals(List.of(), a.keys());
        assertEquals("Answer[current]", a.toString());
        assertFalse(KeyringMessages.decodeAnswer(KeyringMessages.keys(List.of(key(16, 1)))).current());
    }

    @Test
    void keysRoundTripPrimaryFirstForEveryKeyLength() {
        List<byte[]> keys = List.of(key(32, 1), key(16, 2), key(24, 3));
        byte[] m = KeyringMessages.keys(keys);
        assertEquals(5 + 3 + 33 + 17 + 25, m.length);
        assertEquals(m.length, new StreamFramer(1 << 20).frameLength(m, 0, m.length), "the framer cuts it whole");
        KeyringMessages.Answer a = KeyringMessages.decodeAnswer(m);
        assertTrue(a.ok(), a.toString());
        assertEquals(3, a.keys().size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(keys.get(i), a.keys().get(i));
        }
        assertEquals("Answer[3 keys]", a.toString(), "no key bytes in toString");
        a.wipe();
        assertArrayEquals(new byte[32], a.keys().get(0), "wiped");
    }

    @Test
    void theLargestKeysMessageFitsTheFramersLimit() {
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < KeyringMessages.MAX_KEYS; i++) {
            keys.add(key(32, i));
        }
        byte[] m = KeyringMessages.keys(keys);
        assertEquals(KeyringMessages.MAX_MESSAGE_BYTES, m.length);
        assertTrue(m.length <= StreamFramer.MAX_KEYRING_FRAME_BYTES);
        assertEquals(m.length, new StreamFramer(1 << 20).frameLength(m, 0, m.length));
        assertEquals(KeyringMessages.MAX_KEYS, KeyringMessages.decodeAnswer(m).keys().size());
        keys.add(key(32, 200));
        assertThrows(IllegalArgumentException.class, () -> KeyringMessages.keys(keys));
        assertThrows(IllegalArgumentException.class, () -> KeyringMessages.keys(List.of()));
        assertThrows(IllegalArgumentException.class, () -> KeyringMessages.keys(List.of(new byte[20])));
    }

    @Test
    void anErrorAnswerIsARefusalWithPrintableText() {
        KeyringMessages.Answer a = KeyringMessages.decodeAnswer(KeyringMessages.refusal("no keyring\n\u0007"));
        assertFalse(a.ok());
        assertEquals("refused: no keyring??", a.refusal());
        assertEquals(List.of(), a.keys());
    }

    @Test
    void malformedAnswersAreRefusedWithAReason() {
        byte[] good = KeyringMessages.keys(List.of(key(16, 1), key(16, 2)));
        List<byte[]> bad = new ArrayList<>();
        bad.add(new byte[0]);
        bad.add(KeyringMessages.request(key(16, 1))); // op 1
        bad.add(new byte[] {6, 0}); // another message type
        bad.add(new byte[] {13, 0}); // a broken errResp
        bad.add(Arrays.copyOf(good, good.length - 1)); // truncated, length field says more
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        trailing[4]++; // length field matches, one byte after the last key
        bad.add(trailing);
        byte[] version = good.clone();
        version[5] = 2;
        bad.add(version);
        byte[] zero = good.clone();
        zero[7] = 0;
        bad.add(zero);
        byte[] more = good.clone();
        more[7] = 3; // three keys announced, two present
        bad.add(more);
        byte[] keyLength = good.clone();
        keyLength[8] = 17;
        bad.add(keyLength);
        byte[] dup = KeyringMessages.keys(List.of(key(16, 1), key(16, 2)));
        System.arraycopy(dup, 9, dup, 9 + 17, 16); // second key = first key
        bad.add(dup);
        for (int i = 0; i < bad.size(); i++) {
            KeyringMessages.Answer a = KeyringMessages.decodeAnswer(bad.get(i));
            assertFalse(a.ok(), "case " + i);
            assertEquals(List.of(), a.keys(), "case " + i);
            assertFalse(a.refusal().isEmpty());
        }
        assertTrue(KeyringMessages.decodeAnswer(dup).refusal().contains("duplicate"));
    }

    @Test
    void randomBytesNeverThrow() {
        Random r = new Random(243);
        byte[] good = KeyringMessages.keys(List.of(key(32, 1), key(24, 2), key(16, 3)));
        for (int i = 0; i < 20_000; i++) {
            byte[] m;
            if (i % 2 == 0) {
                m = new byte[r.nextInt(80)];
                r.nextBytes(m);
                if (m.length > 0 && r.nextBoolean()) {
                    m[0] = (byte) 243;
                }
            } else {
                m = good.clone();
                m[r.nextInt(m.length)] ^= (byte) (1 + r.nextInt(255));
            }
            KeyringMessages.Answer a = KeyringMessages.decodeAnswer(m);
            assertTrue(a.ok() ? !a.keys().isEmpty() : a.keys().isEmpty());
        }
    }
}
