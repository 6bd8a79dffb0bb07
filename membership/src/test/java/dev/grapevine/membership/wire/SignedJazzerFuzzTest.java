package dev.grapevine.membership.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzz targets (Jazzer) for signing mode's wire formats: the signed envelope
 * (type 241, on UDP) and the signed push/pull (type 242, on streams).
 *
 * <p>A normal {@code mvn verify} replays the seed corpus
 * ({@code src/test/resources/dev/grapevine/membership/wire/SignedJazzerFuzzTestInputs/<method>/}).
 * To fuzz for real, one method per run:
 * {@code JAZZER_FUZZ=1 mvn -pl membership -am test -Dtest=SignedJazzerFuzzTest#envelope -Dsurefire.failIfNoSpecifiedTests=false}.
 *
 * <p>Oracles, beyond {@link WireFuzzTest}'s (no exception, a result for every input, never the
 * "internal decoder error" safety net): an accepted envelope is exactly its input, re-encodes to
 * it, and its signed bytes are built from the signer's bytes as received; an accepted signed
 * push/pull re-encodes stably, compressed or not.
 */
class SignedJazzerFuzzTest {
    private static final byte[] DOMAIN = "grapevine-signed-v1".getBytes(StandardCharsets.US_ASCII);

    /** Any bytes as an envelope: alone, as a UDP packet, as a compound part. */
    @FuzzTest
    void envelope(byte[] data) {
        DecodeResult<Message.Signed> r = SignedCodec.decode(data, 0, data.length);
        WireFuzzTest.check(r);
        if (r.ok()) {
            checkEnvelope(r.value(), data);
        }
        Packets.read(data, 0, data.length, new WireFuzzTest.Checking());
        if (data.length > 0 && data.length <= Packets.MAX_COMPOUND_PART_BYTES) {
            byte[] c = Packets.compound(List.of(data, data));
            Packets.read(c, 0, c.length, new WireFuzzTest.Checking());
        }
        WireFuzzTest.check(WireDecoder.decode(data, 0, data.length));
    }

    /** Any bytes as the body of a type-242 message whose length header is right. */
    @FuzzTest
    void pushPull(byte[] body) {
        byte[] msg = new byte[5 + body.length];
        msg[0] = (byte) MessageType.SIGNED_PUSH_PULL.code();
        msg[1] = (byte) (body.length >>> 24);
        msg[2] = (byte) (body.length >>> 16);
        msg[3] = (byte) (body.length >>> 8);
        msg[4] = (byte) body.length;
        System.arraycopy(body, 0, msg, 5, body.length);
        DecodeResult<Message> r = Streams.read(msg, 0, msg.length);
        WireFuzzTest.check(r);
        StreamFramer f = new StreamFramer(Streams.MAX_STREAM_BYTES + StreamFramer.ENVELOPE_HEADER_BYTES);
        assertEquals(msg.length, f.frameLength(msg, 0, msg.length));
        if (r.ok()) {
            Message.SignedPushPull spp = (Message.SignedPushPull) r.value();
            for (Message.Signed s : spp.proofs()) {
                checkEnvelope(s, s.envelope());
            }
            for (Message.Signed s : spp.broadcasts()) {
                checkEnvelope(s, s.envelope());
            }
            StreamJazzerFuzzTest.roundTrip(spp);
        }
    }

    static void checkEnvelope(Message.Signed s, byte[] input) {
        assertArrayEquals(input, s.envelope());
        assertEquals(SignedCodec.SIGNATURE_BYTES, s.signature().length);
        assertTrue(s.certificate() == null || (s.certificate().length >= 1
                && s.certificate().length <= SignedCodec.MAX_CERTIFICATE_BYTES));
        MessageType t = s.inner().type();
        assertTrue(t == MessageType.ALIVE || t == MessageType.SUSPECT || t == MessageType.DEAD
                || t == MessageType.USER, "inner " + t);
        assertArrayEquals(s.payload(), Arrays.copyOfRange(input, input.length - s.payload().length, input.length));
        int n = input[3] & 0xff;
        byte[] expected = TestSupport.concat(DOMAIN, new byte[] {(byte) n}, Arrays.copyOfRange(input, 4, 4 + n),
                s.payload());
        assertArrayEquals(expected, SignedCodec.signedBytes(s), "signed bytes differ from the bytes received");
        assertArrayEquals(input, SignedCodec.envelope(s.signer(), s.signature(), s.certificate(), s.payload()));
    }
}
