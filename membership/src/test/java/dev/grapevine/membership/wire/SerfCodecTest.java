package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.TestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Serf codec against the bytes captured from Serf 0.9.4 agents (memberlist-wire.md §11.2,
 * §11.7, §13.2, §13.3), round trips of random messages, and hostile input.
 */
class SerfCodecTest {
    static final String KEY_B64 = "4JhBYyi1maKN0Rf3tpyUFzIyHxZY037pCAwDmDJHJ60=";

    // ---- captures --------------------------------------------------------------------------

    @Test
    void tags11_2() {
        assertEquals("ff80", hex(SerfCodec.encodeTags(Map.of())));
        assertEquals("ff81a4726f6c65a3776562", hex(SerfCodec.encodeTags(Map.of("role", "web"))));
        assertEquals(Map.of("role", "web"), SerfCodec.decodeTags(hex("ff81a4726f6c65a3776562")));
        assertEquals(Map.of(), SerfCodec.decodeTags(hex("ff80")));
        assertEquals(Map.of("lang", "java"), SerfCodec.decodeTags(hex("ff81a46c616e67a46a617661")));
    }

    @Test
    void legacyRoleAndBrokenTags() {
        assertEquals(Map.of("role", ""), SerfCodec.decodeTags(new byte[0]));
        assertEquals(Map.of("role", ""), SerfCodec.decodeTags(null));
        assertEquals(Map.of("role", "web"), SerfCodec.decodeTags("web".getBytes(StandardCharsets.UTF_8)));
        // After the magic byte Go keeps whatever decoded before the error.
        assertEquals(Map.of("a", "b"), SerfCodec.decodeTags(hex("ff82a161a162a163c4")));
        assertEquals(Map.of(), SerfCodec.decodeTags(hex("ff")));
        assertEquals(Map.of(), SerfCodec.decodeTags(hex("ffc0")));
        assertEquals(Map.of(), SerfCodec.decodeTags(hex("ff93010203")));
        assertEquals(Map.of(), SerfCodec.decodeTags(hex("ffdf7fffffff")));
    }

    @Test
    void tagsAreWrittenInByteOrderOfTheirKeys() {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("zeta", "1");
        tags.put("ñ", "2");
        tags.put("alpha", "3");
        tags.put("\uffff", "4");
        tags.put("\ud83d\ude00", "5"); // U+1F600 sorts after U+FFFF in UTF-8, before it in UTF-16
        byte[] enc = SerfCodec.encodeTags(tags);
        String h = hex(enc);
        int a = h.indexOf(hex("alpha".getBytes(StandardCharsets.UTF_8)));
        int z = h.indexOf(hex("zeta".getBytes(StandardCharsets.UTF_8)));
        int n = h.indexOf(hex("ñ".getBytes(StandardCharsets.UTF_8)));
        int ffff = h.indexOf(hex("\uffff".getBytes(StandardCharsets.UTF_8)));
        int emoji = h.indexOf(hex("\ud83d\ude00".getBytes(StandardCharsets.UTF_8)));
        assertTrue(a < z && z < n && n < ffff && ffff < emoji, h);
        assertEquals(tags, SerfCodec.decodeTags(enc));
    }

    @Test
    void listKeysRequest11_7() {
        byte[] req = SerfCodec.encodeKeyRequest(new SerfPayload.KeyRequest(new byte[0]));
        assertEquals("0781a34b6579a0", hex(req));
        assertArrayEquals(new byte[0], SerfCodec.decodeKeyRequest(req).value().key());
        // The first byte is not checked, as in Serf.
        assertArrayEquals(new byte[0], SerfCodec.decodeKeyRequest(hex("0081a34b6579a0")).value().key());
        byte[] key = java.util.Base64.getDecoder().decode(KEY_B64);
        byte[] install = SerfCodec.encodeKeyRequest(new SerfPayload.KeyRequest(key));
        assertEquals("0781a34b6579da0020" + hex(key), hex(install));
        assertEquals(Rejection.EMPTY, reason(SerfCodec.decodeKeyRequest(new byte[0])));
    }

    @Test
    void keyResponses11_7() {
        byte[] ok = SerfCodec.encodeKeyResponse(new SerfPayload.KeyResponse(true, "", null, ""));
        assertEquals("08" + "84" + "a44b657973c0" + "a74d657373616765a0" + "aa5072696d6172794b6579a0"
                + "a6526573756c74c3", hex(ok));
        byte[] b64 = KEY_B64.getBytes(StandardCharsets.US_ASCII);
        byte[] list = SerfCodec.encodeKeyResponse(new SerfPayload.KeyResponse(true, "", List.of(KEY_B64), KEY_B64));
        assertEquals("08" + "84" + "a44b65797391da002c" + hex(b64) + "a74d657373616765a0" + "aa5072696d6172794b6579da002c"
                + hex(b64) + "a6526573756c74c3", hex(list));
        SerfPayload.KeyResponse back = SerfCodec.decodeKeyResponse(list).value();
        assertEquals(List.of(KEY_B64), back.keys());
        assertEquals(KEY_B64, back.primaryKey());
        assertTrue(back.result());
        assertEquals(Rejection.UNKNOWN_TYPE, reason(SerfCodec.decodeKeyResponse(hex("0784c0"))));
        assertEquals(Rejection.EMPTY, reason(SerfCodec.decodeKeyResponse(new byte[0])));
    }

    @Test
    void pushPullUserState13_2() {
        // The joining agent knew only itself: one status, no left members, an empty 512-slot ring.
        SerfMessage.PushPull pp = new SerfMessage.PushPull(1, Map.of("b", 1L), List.of(), 1,
                Collections.nCopies(512, null), 1);
        byte[] enc = SerfCodec.encode(pp);
        assertEquals(585, enc.length);
        assertTrue(hex(enc).startsWith("0286aa4576656e744c54696d6501a64576656e7473dc0200c0c0"), hex(enc).substring(0, 60));
        assertEquals(pp, SerfCodec.decode(enc).value());
    }

    @Test
    void gossip13_3() {
        SerfMessage.UserEvent ev = new SerfMessage.UserEvent(1, "deploy", "hello".getBytes(StandardCharsets.US_ASCII),
                true);
        assertEquals("03" + "84" + "a24343c3" + "a54c54696d6501" + "a44e616d65a66465706c6f79"
                + "a75061796c6f6164a568656c6c6f", hex(SerfCodec.encode(ev)));

        SerfMessage.Join join = new SerfMessage.Join(1, "b");
        assertEquals("01" + "82" + "a54c54696d6501" + "a44e6f6465a162", hex(SerfCodec.encode(join)));

        SerfMessage.QueryResponse ack = new SerfMessage.QueryResponse(1, 0x5eadbeef, "a", 1, null);
        assertEquals("05" + "85" + "a5466c61677301" + "a446726f6da161" + "a24944ce5eadbeef" + "a54c54696d6501"
                + "a75061796c6f6164c0", hex(SerfCodec.encode(ack)));

        SerfMessage.Query q = new SerfMessage.Query(1, 0x1234567, new byte[] {127, 0, 0, 1}, 7946, "a", null,
                SerfMessage.QUERY_FLAG_ACK, 0, 2_000_000_000L, "_serf_ping", null);
        String h = hex(SerfCodec.encode(q));
        assertTrue(h.startsWith("048b" + "a441646472a47f000001" + "a746696c74657273c0" + "a5466c61677301"), h);
        assertTrue(h.contains("a754696d656f7574ce77359400"), h); // Timeout 2 s as a uint32
        assertTrue(h.contains("a4506f7274cd1f0a"), h);
        assertEquals(q, SerfCodec.decode(SerfCodec.encode(q)).value());
    }

    @Test
    void leaveIntentAndFilters() {
        assertEquals("00" + "83" + "a54c54696d6505" + "a44e6f6465a162" + "a55072756e65c2",
                hex(SerfCodec.encode(new SerfMessage.Leave(5, "b", false))));
        byte[] nf = SerfCodec.encodeFilter(new SerfPayload.NodeFilter(List.of("a", "b")));
        assertEquals("0092a161a162", hex(nf));
        byte[] tf = SerfCodec.encodeFilter(new SerfPayload.TagFilter("role", "^web$"));
        assertEquals("01" + "82" + "a445787072" + "a55e77656224" + "a3546167" + "a4726f6c65", hex(tf));
        assertEquals(new SerfPayload.TagFilter("role", "^web$"), SerfCodec.decodeFilter(tf).value());
        assertEquals(Rejection.UNKNOWN_TYPE, reason(SerfCodec.decodeFilter(new byte[0])));
        assertEquals(Rejection.UNKNOWN_TYPE, reason(SerfCodec.decodeFilter(new byte[] {2, (byte) 0x90})));
    }

    @Test
    void relayCarriesTheInnerMessageAsRawBytes() {
        SerfMessage.QueryResponse inner = new SerfMessage.QueryResponse(3, 9, "b", 1, null);
        byte[] relay = SerfCodec.encodeRelay(new byte[] {10, 0, 0, 1}, 7946, "a", inner);
        SerfMessage.Relay r = (SerfMessage.Relay) SerfCodec.decode(relay).value();
        assertArrayEquals(new byte[] {10, 0, 0, 1}, r.destIp());
        assertEquals(7946, r.destPort());
        assertEquals("", r.destZone());
        assertEquals("a", r.destName());
        assertArrayEquals(SerfCodec.encode(inner), r.inner());
        assertEquals("09" + "82" + "a8" + "4465737441646472" + "83", hex(relay).substring(0, 24));
    }

    @Test
    void typesThatNeverTravelAloneAreRefused() {
        for (int t : new int[] {6, 7, 8}) {
            assertEquals(Rejection.UNSUPPORTED_TYPE, reason(SerfCodec.decode(new byte[] {(byte) t, (byte) 0x80})));
        }
        assertEquals(Rejection.UNKNOWN_TYPE, reason(SerfCodec.decode(new byte[] {10, (byte) 0x80})));
        assertEquals(Rejection.UNKNOWN_TYPE, reason(SerfCodec.decode(new byte[] {(byte) 0xff})));
        assertEquals(Rejection.EMPTY, reason(SerfCodec.decode(new byte[0])));
    }

    @Test
    void lamportTimesAboveTwoToTheSixtyThreeAreRefused() {
        assertEquals(Rejection.INTEGER_OVERFLOW,
                reason(SerfCodec.decode(hex("0181a54c54696d65cf8000000000000000"))));
        assertEquals(Long.MAX_VALUE, ((SerfMessage.Join) SerfCodec.decode(hex("0181a54c54696d65cf7fffffffffffffff"))
                .value()).ltime());
        assertThrows(IllegalArgumentException.class, () -> SerfCodec.encode(new SerfMessage.Join(-1, "x")));
    }

    @Test
    void hugeCountsAreRejectedWithoutAllocating() {
        // array32 of 2^31 elements, map32 of 2^32-1 entries: refused from the header alone.
        String[] inputs = {"0281a64576656e7473dd7fffffff", "0281ac5374617475734c54696d6573dfffffffff",
            "0281ab4c6566744d656d62657273dd7fffffff", "0481a746696c74657273dd7fffffff"};
        for (String in : inputs) {
            DecodeResult<SerfMessage> r = SerfCodec.decode(hex(in));
            assertEquals(Rejection.MALFORMED, reason(r), in);
        }
        assertEquals(Map.of(), SerfCodec.decodeTags(hex("ffdfffffffff")));
    }

    // ---- round trips ------------------------------------------------------------------------

    @Test
    void randomMessagesRoundTrip() {
        Random rnd = new Random(7);
        for (int i = 0; i < 3000; i++) {
            SerfMessage m = randomMessage(rnd);
            byte[] enc = SerfCodec.encode(m);
            DecodeResult<SerfMessage> back = SerfCodec.decode(enc);
            assertTrue(back.ok(), () -> m + " -> " + back);
            assertEquals(m, back.value());
            assertArrayEquals(enc, SerfCodec.encode(back.value()));
        }
    }

    @Test
    void payloadStructuresRoundTrip() {
        Random rnd = new Random(8);
        for (int i = 0; i < 500; i++) {
            List<String> keys = rnd.nextBoolean() ? null : strings(rnd, rnd.nextInt(5));
            SerfPayload.KeyResponse kr = new SerfPayload.KeyResponse(rnd.nextBoolean(), str(rnd), keys, str(rnd));
            assertEquals(kr, SerfCodec.decodeKeyResponse(SerfCodec.encodeKeyResponse(kr)).value());
            Map<String, String> tags = new HashMap<>();
            for (int j = rnd.nextInt(6); j > 0; j--) {
                tags.put(str(rnd), str(rnd));
            }
            assertEquals(tags, SerfCodec.decodeTags(SerfCodec.encodeTags(tags)));
            SerfPayload.MemberInfo mi = new SerfPayload.MemberInfo(str(rnd), bytes(rnd), rnd.nextInt(65536),
                    rnd.nextBoolean() ? null : tags, rnd.nextInt(5), rnd.nextInt(256), rnd.nextInt(256),
                    rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256));
            assertEquals(mi, SerfCodec.decodeConflictResponse(SerfCodec.encodeConflictResponse(mi)).value().member());
        }
        assertNull(SerfCodec.decodeConflictResponse(SerfCodec.encodeConflictResponse(null)).value().member());
        assertEquals("06c0", hex(SerfCodec.encodeConflictResponse(null)));
    }

    // ---- hostile input ----------------------------------------------------------------------

    @Test
    void mutatedSerfInputNeverThrows() {
        Random rnd = new Random(0x5E5F);
        List<byte[]> pool = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            pool.add(SerfCodec.encode(randomMessage(rnd)));
        }
        pool.add(SerfCodec.encodeTags(Map.of("role", "web", "dc", "eu")));
        pool.add(SerfCodec.encodeKeyResponse(new SerfPayload.KeyResponse(true, "m", List.of("k1", "k2"), "k1")));
        pool.add(SerfCodec.encodeKeyRequest(new SerfPayload.KeyRequest(new byte[32])));
        pool.add(SerfCodec.encodeFilter(new SerfPayload.TagFilter("role", "web")));
        pool.add(SerfCodec.encodeConflictResponse(new SerfPayload.MemberInfo("a", new byte[4], 1, Map.of("x", "y"), 1,
                1, 5, 2, 2, 5, 5)));
        int cases = Integer.getInteger("serf.fuzz.cases", 60_000);
        for (int i = 0; i < cases; i++) {
            byte[] b = WireFuzzTest.mutate(pool.get(rnd.nextInt(pool.size())), pool, rnd);
            WireFuzzTest.check(SerfCodec.decode(b));
            WireFuzzTest.check(SerfCodec.decodeFilter(b));
            WireFuzzTest.check(SerfCodec.decodeKeyRequest(b));
            WireFuzzTest.check(SerfCodec.decodeKeyResponse(b));
            WireFuzzTest.check(SerfCodec.decodeConflictResponse(b));
            SerfCodec.decodeTags(b);
            byte[] tagged = b.length > 0 ? b.clone() : new byte[] {(byte) 0xff};
            tagged[0] = (byte) 0xff;
            SerfCodec.decodeTags(tagged);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    static Rejection reason(DecodeResult<?> r) {
        assertFalse(r.ok(), () -> "expected a rejection, got " + r);
        return ((DecodeResult.Rejected<?>) r).reason();
    }

    static String str(Random rnd) {
        String[] pool = {"", "a", "node-1", "_serf_ping", "ñødé", "x".repeat(40), "y".repeat(300), "😀"};
        return pool[rnd.nextInt(pool.length)];
    }

    static byte[] bytes(Random rnd) {
        int k = rnd.nextInt(6);
        if (k == 0) {
            return null;
        }
        byte[] b = new byte[k == 1 ? 0 : k == 2 ? 4 : k == 3 ? 16 : rnd.nextInt(400)];
        rnd.nextBytes(b);
        return b;
    }

    static List<String> strings(Random rnd, int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(str(rnd));
        }
        return l;
    }

    static long ltime(Random rnd) {
        return switch (rnd.nextInt(4)) {
            case 0 -> rnd.nextInt(128);
            case 1 -> rnd.nextInt(70000);
            case 2 -> rnd.nextLong() >>> 1;
            default -> Long.MAX_VALUE;
        };
    }

    static SerfMessage randomMessage(Random rnd) {
        switch (rnd.nextInt(7)) {
            case 0:
                return new SerfMessage.Leave(ltime(rnd), str(rnd), rnd.nextBoolean());
            case 1:
                return new SerfMessage.Join(ltime(rnd), str(rnd));
            case 2: {
                Map<String, Long> st = rnd.nextInt(5) == 0 ? null : new HashMap<>();
                if (st != null) {
                    for (int i = rnd.nextInt(30); i > 0; i--) {
                        st.put("n-" + rnd.nextInt(100) + str(rnd), ltime(rnd));
                    }
                }
                List<SerfMessage.EventSlot> ring = null;
                if (rnd.nextInt(5) != 0) {
                    ring = new ArrayList<>();
                    for (int i = rnd.nextInt(40); i > 0; i--) {
                        if (rnd.nextInt(3) == 0) {
                            List<SerfMessage.EventEntry> es = rnd.nextInt(6) == 0 ? null : new ArrayList<>();
                            if (es != null) {
                                for (int j = rnd.nextInt(3); j > 0; j--) {
                                    es.add(new SerfMessage.EventEntry(str(rnd), bytes(rnd)));
                                }
                            }
                            ring.add(new SerfMessage.EventSlot(ltime(rnd), es));
                        } else {
                            ring.add(null);
                        }
                    }
                }
                return new SerfMessage.PushPull(ltime(rnd), st, rnd.nextBoolean() ? null : strings(rnd, rnd.nextInt(4)),
                        ltime(rnd), ring, ltime(rnd));
            }
            case 3:
                return new SerfMessage.UserEvent(ltime(rnd), str(rnd), bytes(rnd), rnd.nextBoolean());
            case 4: {
                List<byte[]> filters = null;
                if (rnd.nextBoolean()) {
                    filters = new ArrayList<>();
                    for (int i = rnd.nextInt(4); i > 0; i--) {
                        filters.add(bytes(rnd));
                    }
                }
                return new SerfMessage.Query(ltime(rnd), rnd.nextInt(), bytes(rnd), rnd.nextInt(65536), str(rnd),
                        filters, rnd.nextInt(), rnd.nextInt(256), rnd.nextLong(), str(rnd), bytes(rnd));
            }
            case 5:
                return new SerfMessage.QueryResponse(ltime(rnd), rnd.nextInt(), str(rnd), rnd.nextInt(), bytes(rnd));
            default: {
                byte[] inner = SerfCodec.encode(new SerfMessage.QueryResponse(ltime(rnd), rnd.nextInt(), str(rnd), 1,
                        bytes(rnd)));
                return new SerfMessage.Relay(bytes(rnd), rnd.nextInt(65536), str(rnd), str(rnd),
                        rnd.nextInt(10) == 0 ? new byte[0] : inner);
            }
        }
    }

    @Test
    void recordsCompareArrayContents() {
        byte[] a = {1, 2};
        assertEquals(new SerfMessage.UserEvent(1, "n", a, false), new SerfMessage.UserEvent(1, "n", a.clone(), false));
        assertEquals(new SerfMessage.EventEntry("n", a).hashCode(), new SerfMessage.EventEntry("n", a.clone()).hashCode());
        assertFalse(Arrays.equals(a, null));
    }
}
