package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.TestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden bytes produced by go-msgpack 0.5.5 with structs declared like memberlist 0.2.2's
 * (resources/wire-vectors/msgpack-golden.txt, written by src/test/go/vectors): our encoder must
 * produce exactly Go's bytes, and our decoder must turn Go's bytes back into the same record.
 */
class GoGoldenVectorsTest {

    /** One generated case. */
    record GoldenCase(String name, String kind, List<Map<String, String>> groups, String hex, int shaLen, String sha) {
        Map<String, String> top() {
            return groups.get(0);
        }

        boolean matches(byte[] encoded) {
            if (hex != null) {
                return hex.equals(TestSupport.hex(encoded));
            }
            return encoded.length == shaLen && sha.equals(TestSupport.sha256(encoded));
        }
    }

    static List<GoldenCase> cases() {
        List<GoldenCase> out = new ArrayList<>();
        String name = null;
        String kind = null;
        List<Map<String, String>> groups = null;
        String hex = null;
        String sha = null;
        int shaLen = -1;
        for (String line : TestSupport.resourceLines("msgpack-golden.txt")) {
            String[] p = line.split(" ", -1);
            switch (p[0]) {
                case "case" -> {
                    name = p[1];
                    kind = p[2];
                    groups = new ArrayList<>();
                    groups.add(new LinkedHashMap<>());
                    hex = null;
                    sha = null;
                    shaLen = -1;
                }
                case "field" -> groups.get(groups.size() - 1).put(p[1], p[2]);
                case "node" -> groups.add(new LinkedHashMap<>());
                case "hex" -> hex = p[1];
                case "sha" -> {
                    shaLen = Integer.parseInt(p[1]);
                    sha = p[2];
                }
                case "end" -> out.add(new GoldenCase(name, kind, groups, hex, shaLen, sha));
                default -> throw new AssertionError("bad line: " + line);
            }
        }
        return out;
    }

    // ---- typed values ------------------------------------------------------------------------

    static long u(Map<String, String> f, String k) {
        String v = f.get(k);
        assertTrue(v.startsWith("u:") || v.startsWith("i:"), v);
        return Long.parseLong(v.substring(2));
    }

    static boolean z(Map<String, String> f, String k) {
        return Boolean.parseBoolean(f.get(k).substring(2));
    }

    static String s(Map<String, String> f, String k) {
        String v = f.get(k);
        if (v.startsWith("S:")) {
            return TestSupport.patternString(Integer.parseInt(v.substring(2)));
        }
        assertTrue(v.startsWith("s:"), v);
        return new String(hex(v.substring(2)), StandardCharsets.UTF_8);
    }

    static byte[] b(Map<String, String> f, String k) {
        String v = f.get(k);
        if (v.equals("b:nil")) {
            return null;
        }
        if (v.startsWith("B:")) {
            return TestSupport.patternBytes(Integer.parseInt(v.substring(2)));
        }
        assertTrue(v.startsWith("b:"), v);
        return hex(v.substring(2));
    }

    /** Go's omitempty: an empty slice is omitted, so it comes back as nil. */
    static byte[] omitEmpty(byte[] b) {
        return b != null && b.length == 0 ? null : b;
    }

    static Message.PushNodeState node(Map<String, String> f) {
        return new Message.PushNodeState(s(f, "Name"), b(f, "Addr"), (int) u(f, "Port"), b(f, "Meta"),
                (int) u(f, "Incarnation"), (int) u(f, "State"), b(f, "Vsn"));
    }

    /** The record a case describes; {@code forDecode} applies Go's omitempty to what decoding yields. */
    static Message message(GoldenCase c, boolean forDecode) {
        Map<String, String> f = c.top();
        return switch (c.kind()) {
            case "ping" -> new Message.Ping((int) u(f, "SeqNo"), s(f, "Node"),
                    forDecode ? omitEmpty(b(f, "SourceAddr")) : b(f, "SourceAddr"), (int) u(f, "SourcePort"),
                    s(f, "SourceNode"));
            case "indirectPing" -> new Message.IndirectPing((int) u(f, "SeqNo"), b(f, "Target"), (int) u(f, "Port"),
                    s(f, "Node"), z(f, "Nack"), forDecode ? omitEmpty(b(f, "SourceAddr")) : b(f, "SourceAddr"),
                    (int) u(f, "SourcePort"), s(f, "SourceNode"));
            case "ack" -> new Message.Ack((int) u(f, "SeqNo"), b(f, "Payload"));
            case "nack" -> new Message.Nack((int) u(f, "SeqNo"));
            case "err" -> new Message.Err(s(f, "Error"));
            case "suspect" -> new Message.Suspect((int) u(f, "Incarnation"), s(f, "Node"), s(f, "From"));
            case "dead" -> new Message.Dead((int) u(f, "Incarnation"), s(f, "Node"), s(f, "From"));
            case "alive" -> new Message.Alive((int) u(f, "Incarnation"), s(f, "Node"), b(f, "Addr"), (int) u(f, "Port"),
                    b(f, "Meta"), b(f, "Vsn"));
            case "pushPull" -> {
                List<Message.PushNodeState> nodes = new ArrayList<>();
                for (Map<String, String> g : c.groups().subList(1, c.groups().size())) {
                    nodes.add(node(g));
                }
                byte[] user = b(f, "UserState");
                yield new Message.PushPull(z(f, "Join"), nodes, forDecode && user != null && user.length == 0 ? null : user);
            }
            case "streamUser" -> new Message.User(b(f, "Payload"));
            default -> throw new AssertionError(c.kind());
        };
    }

    @Test
    void everyKindIsCovered() {
        List<GoldenCase> all = cases();
        assertTrue(all.size() > 200, "cases: " + all.size());
        for (String kind : List.of("ping", "indirectPing", "ack", "nack", "err", "suspect", "dead", "alive",
                "pushPull", "streamUser", "compress")) {
            assertTrue(all.stream().anyMatch(c -> c.kind().equals(kind)), kind);
        }
    }

    @TestFactory
    Stream<DynamicTest> encodeMatchesGoAndDecodeMatchesRecord() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(GoldenCase c) {
        switch (c.kind()) {
            case "compress" -> {
                byte[] inner = b(c.top(), "Inner");
                byte[] ours = Packets.compress(inner);
                assertTrue(c.matches(ours), () -> "compress differs from Go: " + c.name());
                // On UDP the compressMsg unwraps to the inner message, within the packet's
                // decompression budget (a payload above any UDPBufferSize is refused).
                TestSupport.Recorder r = TestSupport.Recorder.read(ours);
                if (inner.length <= Packets.MAX_DECOMPRESSED_PACKET_BYTES) {
                    assertEquals(List.of(WireDecoder.decode(inner, 0, inner.length).value()), r.messages);
                } else {
                    assertEquals(List.of(Rejection.TOO_LARGE), r.rejections);
                }
                byte[] decompressed = WireDecoder.decompressBody(new MsgpackReader(ours, 1, ours.length - 1), 1 << 24);
                assertArrayEquals(inner, decompressed);
            }
            case "streamUser" -> {
                Message.User u = (Message.User) message(c, false);
                byte[] ours = WireEncoder.encodeStreamUser(u.payload());
                assertTrue(c.matches(ours), () -> "stream user differs from Go: " + c.name());
                DecodeResult<Message> back = Streams.read(ours, 0, ours.length);
                assertEquals(u, back.value());
            }
            default -> {
                Message expected = message(c, false);
                byte[] ours = WireEncoder.encode(expected);
                assertTrue(c.matches(ours), () -> "encoding differs from Go for " + c.name() + "\n ours: "
                        + (ours.length < 5000 ? hex(ours) : ours.length + " bytes") + "\n go:   " + c.hex());
                // Decode Go's bytes (identical to ours when only a hash was stored).
                byte[] goBytes = c.hex() != null ? hex(c.hex()) : ours;
                DecodeResult<Message> back = c.kind().equals("pushPull")
                        ? Streams.read(goBytes, 0, goBytes.length)
                        : WireDecoder.decode(goBytes, 0, goBytes.length);
                assertEquals(message(c, true), back.value(), c.name());
            }
        }
    }
}
