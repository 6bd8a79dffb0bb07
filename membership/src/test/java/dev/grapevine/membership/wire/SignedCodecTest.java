package dev.grapevine.membership.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The signed envelope (241) and signed push/pull (242) against hostile bytes. */
class SignedCodecTest {
    private static final List<byte[]> ENVELOPES = FuzzSeedWriter.envelopes(new Random(5));

    private static Rejection reason(DecodeResult<?> r) {
        assertFalse(r.ok(), () -> "accepted: " + r);
        return ((DecodeResult.Rejected<?>) r).reason();
    }

    private static DecodeResult<Message.Signed> decode(byte[] b) {
        return SignedCodec.decode(b, 0, b.length);
    }

    @Test
    void validEnvelopesRoundTrip() {
        for (byte[] e : ENVELOPES) {
            Message.Signed s = decode(e).value();
            SignedJazzerFuzzTest.checkEnvelope(s, e);
        }
    }

    @Test
    void everyTruncationIsRejectedAsMalformedOrByItsPayload() {
        for (byte[] e : ENVELOPES) {
            for (int n = 0; n < e.length; n++) {
                DecodeResult<Message.Signed> r = decode(Arrays.copyOf(e, n));
                if (r.ok()) {
                    // only a user payload (raw to the end) can be cut and still be a message
                    assertEquals(MessageType.USER, r.value().inner().type(), "prefix " + n);
                    continue;
                }
                Rejection why = reason(r);
                assertTrue(why == Rejection.MALFORMED || why == Rejection.UNSUPPORTED_TYPE
                        || why == Rejection.UNKNOWN_TYPE, "prefix " + n + ": " + why);
            }
        }
    }

    @Test
    void wrongVersionFlagsAndSignerAreMalformed() {
        byte[] e = ENVELOPES.get(0);
        byte[] v = e.clone();
        v[1] = 2;
        assertEquals(Rejection.MALFORMED, reason(decode(v)));
        byte[] f = e.clone();
        f[2] = 2;
        assertEquals(Rejection.MALFORMED, reason(decode(f)));
        byte[] empty = e.clone();
        empty[3] = 0;
        assertEquals(Rejection.MALFORMED, reason(decode(empty)));
        // a signer that is not UTF-8 would not survive re-encoding for the signed bytes
        byte[] bad = e.clone();
        bad[4] = (byte) 0xff;
        assertEquals(Rejection.MALFORMED, reason(decode(bad)));
        byte[] surrogate = SignedCodec.envelope("abc", new byte[64], null,
                WireEncoder.encode(new Message.User(new byte[] {1})));
        surrogate[4] = (byte) 0xed; // "\xed\xa0\x80" is an encoded surrogate: invalid UTF-8
        surrogate[5] = (byte) 0xa0;
        surrogate[6] = (byte) 0x80;
        assertEquals(Rejection.MALFORMED, reason(decode(surrogate)));
    }

    @Test
    void certificateLengthsAreBounded() {
        byte[] payload = WireEncoder.encode(new Message.User(new byte[] {1}));
        byte[] e = SignedCodec.envelope("n", new byte[64], new byte[10], payload);
        int at = 4 + 1 + 64;
        byte[] zero = e.clone();
        zero[at] = 0;
        zero[at + 1] = 0;
        assertEquals(Rejection.TOO_LARGE, reason(decode(zero)));
        byte[] huge = e.clone();
        huge[at] = (byte) 0xff;
        huge[at + 1] = (byte) 0xff;
        assertEquals(Rejection.TOO_LARGE, reason(decode(huge)));
        byte[] longer = e.clone();
        longer[at + 1] = 100; // 100 bytes claimed, 10 + payload present
        assertEquals(Rejection.MALFORMED, reason(decode(longer)));
    }

    @Test
    void onlyClaimsAndUserMessagesMayBeSigned() {
        for (Message m : List.of(new Message.Ping(1, "a", null, 0, ""), new Message.Ack(1, null),
                new Message.Nack(1), new Message.PushPull(false, List.of(), null))) {
            byte[] e = SignedCodec.envelope("n", new byte[64], null, WireEncoder.encode(m));
            assertEquals(Rejection.UNSUPPORTED_TYPE, reason(decode(e)), m.type().toString());
        }
        byte[] nested = SignedCodec.envelope("n", new byte[64], null, ENVELOPES.get(1));
        assertEquals(Rejection.UNSUPPORTED_TYPE, reason(decode(nested)));
        byte[] unknown = SignedCodec.envelope("n", new byte[64], null, new byte[] {(byte) 0x99});
        assertEquals(Rejection.UNKNOWN_TYPE, reason(decode(unknown)));
        // a bad payload reports its own reason
        byte[] cut = SignedCodec.envelope("n", new byte[64], null, new byte[] {4, (byte) 0x86});
        assertEquals(Rejection.MALFORMED, reason(decode(cut)));
    }

    @Test
    void envelopesAreOnlyForPackets() {
        byte[] e = ENVELOPES.get(0);
        assertEquals(Rejection.UNSUPPORTED_TYPE, reason(WireDecoder.decode(e, 0, e.length)));
        assertEquals(Rejection.UNSUPPORTED_TYPE, reason(Streams.read(e, 0, e.length)));
        List<Message> got = new ArrayList<>();
        Packets.read(e, 0, e.length, new PacketVisitor() {
            @Override
            public void message(Message m) {
                got.add(m);
            }

            @Override
            public void rejected(Rejection reason, String detail) {
                throw new AssertionError(reason + " " + detail);
            }
        });
        assertEquals(1, got.size());
        assertArrayEquals(e, ((Message.Signed) got.get(0)).envelope());
    }

    // ---- signed push/pull ------------------------------------------------------------------------

    private static DecodeResult<Message> read(byte[] b) {
        return Streams.read(b, 0, b.length);
    }

    private static byte[] withLength(byte[] msg, long bodyLen) {
        byte[] b = msg.clone();
        b[1] = (byte) (bodyLen >>> 24);
        b[2] = (byte) (bodyLen >>> 16);
        b[3] = (byte) (bodyLen >>> 8);
        b[4] = (byte) bodyLen;
        return b;
    }

    @Test
    void signedPushPullRoundTripsAndFrames() {
        byte[] msg = SignedCodec.encodePushPull(true, ENVELOPES.subList(0, 3), List.of(ENVELOPES.get(3)),
                "state".getBytes(StandardCharsets.US_ASCII));
        Message.SignedPushPull spp = (Message.SignedPushPull) read(msg).value();
        assertTrue(spp.join());
        assertEquals(3, spp.proofs().size());
        assertEquals(1, spp.broadcasts().size());
        assertArrayEquals(msg, WireEncoder.encode(spp));
        assertEquals(msg.length, new StreamFramer(1 << 20).frameLength(msg, 0, msg.length));
        Message compressed = read(Packets.compress(msg)).value();
        assertEquals(spp, compressed);
    }

    @Test
    void signedPushPullTruncationsAndLiesAreRejected() {
        byte[] msg = SignedCodec.encodePushPull(false, ENVELOPES.subList(0, 2), List.of(ENVELOPES.get(3)), null);
        for (int n = 1; n < msg.length; n++) {
            Rejection why = reason(read(Arrays.copyOf(msg, n)));
            assertEquals(Rejection.MALFORMED, why, "prefix " + n);
        }
        // a length header past the stream limit, and one longer than the bytes present
        assertEquals(Rejection.TOO_LARGE, reason(read(withLength(msg, 0xffffffffL))));
        assertEquals(Rejection.TOO_LARGE, reason(read(withLength(msg, Streams.MAX_STREAM_BYTES + 1L))));
        assertEquals(Rejection.MALFORMED, reason(read(withLength(msg, msg.length))));
        StreamFramer f = new StreamFramer(64 * 1024);
        assertEquals(StreamFramer.REJECTED, f.frameLength(withLength(msg, 1 << 20), 0, msg.length));
        assertEquals(Rejection.TOO_LARGE, f.rejection());
    }

    @Test
    void signedPushPullCountsAreCheckedBeforeAllocating() {
        // a header claiming a million proofs in a few bytes
        byte[] many = SignedCodec.encodePushPull(false, List.of(), List.of(), null);
        byte[] header = WireEncoder.pushPullHeader(false, Streams.MAX_PUSH_PULL_NODES, 0);
        byte[] body = TestSupport.concat(header, new byte[4]);
        byte[] lie = TestSupport.concat(new byte[] {(byte) 0xf2, 0, 0, 0, (byte) body.length}, body);
        assertEquals(Rejection.MALFORMED, reason(read(lie)));
        // a broadcast count of 2^32-1
        byte[] b = many.clone();
        b[b.length - 4] = (byte) 0xff;
        b[b.length - 3] = (byte) 0xff;
        b[b.length - 2] = (byte) 0xff;
        b[b.length - 1] = (byte) 0xff;
        assertEquals(Rejection.MALFORMED, reason(read(b)));
        // a proof length past the limit
        byte[] one = SignedCodec.encodePushPull(false, List.of(ENVELOPES.get(0)), List.of(), null);
        int at = 5 + WireEncoder.pushPullHeader(false, 1, 0).length; // the first proof's length
        byte[] big = one.clone();
        big[at] = 0x7f;
        assertEquals(Rejection.TOO_LARGE, reason(read(big)));
        // a user state length that disagrees with the bytes left
        byte[] state = SignedCodec.encodePushPull(false, List.of(), List.of(), new byte[] {1, 2, 3});
        byte[] shorter = withLength(Arrays.copyOf(state, state.length - 1), state.length - 6);
        assertEquals(Rejection.MALFORMED, reason(read(shorter)));
    }

    @Test
    void aProofThatIsNotAnEnvelopeRejectsTheWhole() {
        byte[] ping = WireEncoder.encode(new Message.Ping(1, "a", null, 0, ""));
        byte[] msg = SignedCodec.encodePushPull(false, List.of(ping), List.of(), null);
        assertEquals(Rejection.MALFORMED, reason(read(msg)));
    }
}
