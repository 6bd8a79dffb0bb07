package dev.grapevine.membership.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.SplittableRandom;

/**
 * Coverage-guided fuzz target (Jazzer) for stream framing and stream decoding together: push/pull
 * with node states and user state, user messages, pings, acks, errors, compressed streams and
 * signed push/pulls, fed to a {@link StreamFramer} in pieces as a socket would deliver them.
 *
 * <p>A normal {@code mvn verify} replays the seed corpus
 * ({@code src/test/resources/dev/grapevine/membership/wire/StreamJazzerFuzzTestInputs/framing/}).
 * To fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn -pl membership -am test -Dtest=StreamJazzerFuzzTest -Dsurefire.failIfNoSpecifiedTests=false}.
 *
 * <p>Input: the first byte seeds the chunk sizes, the rest is the stream. Oracles: the framer
 * gives the same answer whole and in pieces, within a work bound linear in the input; when it
 * finds a message, decoding exactly that message gives the same outcome as decoding the whole
 * input (framer and decoder agree on where the message ends); when it wants more bytes, or
 * rejects, the decoder does not accept the input either; an accepted message re-encodes to one
 * with the same encoding, also when wrapped in compression.
 */
class StreamJazzerFuzzTest {
    private static final int MAX = Streams.MAX_STREAM_BYTES + StreamFramer.ENVELOPE_HEADER_BYTES;

    @FuzzTest
    void framing(byte[] input) {
        if (input.length == 0) {
            return;
        }
        SplittableRandom rnd = new SplittableRandom(input[0]);
        byte[] data = java.util.Arrays.copyOfRange(input, 1, input.length);

        StreamFramer whole = new StreamFramer(MAX);
        int expected = whole.frameLength(data, 0, data.length);
        StreamFramer pieces = new StreamFramer(MAX);
        int got = StreamFramer.NEED_MORE;
        int have = 0;
        long calls = 0;
        while (got == StreamFramer.NEED_MORE && have < data.length) {
            have = Math.min(data.length, have + 1 + rnd.nextInt(1 + rnd.nextInt(64)));
            got = pieces.frameLength(data, 0, have);
            calls++;
        }
        if (got == StreamFramer.NEED_MORE) {
            got = pieces.frameLength(data, 0, data.length);
            calls++;
        }
        assertEquals(expected, got, "whole vs pieces");
        assertTrue(pieces.steps() <= 2L * data.length + 20L * calls + 20,
                "framer work " + pieces.steps() + " for " + data.length + " bytes in " + calls + " calls");

        DecodeResult<Message> all = Streams.read(data, 0, data.length);
        WireFuzzTest.check(all);
        if (expected > 0) {
            assertTrue(expected <= data.length);
            DecodeResult<Message> framed = Streams.read(data, 0, expected);
            WireFuzzTest.check(framed);
            assertEquals(all.ok(), framed.ok(), "framer and decoder disagree on the end of the message");
            if (all.ok()) {
                assertEquals(all.value(), framed.value());
            }
        } else if (expected == StreamFramer.REJECTED) {
            assertNotNull(whole.rejection());
            assertFalse(all.ok(), "framer rejected (" + whole.rejection() + ": " + whole.detail()
                    + ") what the decoder accepts: " + (all.ok() ? all.value() : ""));
        } else {
            assertFalse(all.ok(), "framer wants more bytes for a message the decoder accepts: "
                    + (all.ok() ? all.value() : ""));
        }
        if (all.ok()) {
            roundTrip(all.value());
        }
    }

    /**
     * The stream encoding of a decoded message decodes to a message with the same encoding, plain
     * and compressed. (Encodings are compared, not values: an explicitly empty byte field decodes
     * to an empty array and is omitted when encoded, so it comes back as null; on the wire both
     * are the same.)
     */
    static void roundTrip(Message m) {
        byte[] enc = streamEncode(m);
        DecodeResult<Message> again = Streams.read(enc, 0, enc.length);
        assertTrue(again.ok(), () -> "re-encoded " + m + " is rejected: " + again);
        assertArrayEquals(enc, streamEncode(again.value()), () -> "re-encoding " + m + " is not stable");
        StreamFramer f = new StreamFramer(MAX);
        assertEquals(enc.length, f.frameLength(enc, 0, enc.length), "framer on a re-encoded " + m.type());
        if (enc.length <= 4096) {
            byte[] z = Packets.compress(enc);
            DecodeResult<Message> unz = Streams.read(z, 0, z.length);
            assertTrue(unz.ok(), () -> "compressed " + m + " is rejected: " + unz);
            assertArrayEquals(enc, streamEncode(unz.value()));
        }
    }

    private static byte[] streamEncode(Message m) {
        return m instanceof Message.User u ? WireEncoder.encodeStreamUser(u.payload()) : WireEncoder.encode(m);
    }
}
