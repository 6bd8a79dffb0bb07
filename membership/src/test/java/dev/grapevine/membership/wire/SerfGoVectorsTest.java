package dev.grapevine.membership.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Serf 0.9.4 structs encoded and decoded by go-msgpack 0.5.5 (resources/wire-vectors/serf-golden.txt,
 * written by src/test/go/vectors/serf.go). For every golden case our decoder must give Go's value
 * (compared in a canonical text form both sides print) and our encoder must give Go's bytes back;
 * for every decode case our decoder must agree with Go's decoding of the input, or reject what Go
 * rejects.
 */
class SerfGoVectorsTest {

    /** One generated case: golden (value and bytes) or decode (input and Go's outcome). */
    record VectorCase(boolean golden, String name, String kind, String canon, String hex, String err) {
    }

    static List<VectorCase> cases() {
        List<VectorCase> out = new ArrayList<>();
        boolean golden = false;
        String name = null;
        String kind = null;
        String canon = null;
        String hex = null;
        String err = null;
        for (String line : TestSupport.resourceLines("serf-golden.txt")) {
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            int sp = line.indexOf(' ');
            String head = sp < 0 ? line : line.substring(0, sp);
            String rest = sp < 0 ? "" : line.substring(sp + 1);
            switch (head) {
                case "case", "decode" -> {
                    golden = head.equals("case");
                    String[] p = rest.split(" ");
                    name = p[0];
                    kind = p[1];
                    canon = null;
                    hex = null;
                    err = null;
                }
                case "canon" -> canon = rest;
                case "hex" -> hex = rest;
                case "err" -> err = rest;
                case "end" -> out.add(new VectorCase(golden, name, kind, canon, hex, err));
                default -> throw new AssertionError("bad line: " + line);
            }
        }
        return out;
    }

    @Test
    void theFileHasEveryKind() {
        List<VectorCase> all = cases();
        assertTrue(all.size() > 150, "cases: " + all.size());
        for (String kind : List.of("msg", "relay", "tags", "filter", "keyreq", "keyresp", "conflict")) {
            assertTrue(all.stream().anyMatch(c -> c.kind().equals(kind)), kind);
        }
        assertTrue(all.stream().anyMatch(c -> !c.golden() && c.err() != null));
    }

    @TestFactory
    Stream<DynamicTest> goldenCases() {
        return cases().stream().filter(VectorCase::golden).map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            byte[] bytes = TestSupport.hex(c.hex());
            Decoded d = decode(c.kind(), bytes);
            assertTrue(d.ok(), () -> c.name() + ": rejected " + d.canon());
            assertEquals(c.canon(), d.canon(), c.name() + ": decoded value");
            assertEquals(c.hex(), TestSupport.hex(d.reencode()), c.name() + ": re-encoded bytes");
        }));
    }

    @TestFactory
    Stream<DynamicTest> decodeCases() {
        return cases().stream().filter(c -> !c.golden()).map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Decoded d = decode(c.kind(), TestSupport.hex(c.hex()));
            if (c.err() != null) {
                assertFalse(d.ok(), () -> c.name() + ": Go rejects (" + c.err() + ") but we decoded " + d.canon());
            } else {
                assertTrue(d.ok(), () -> c.name() + ": Go decodes but we rejected: " + d.canon());
                assertEquals(c.canon(), d.canon(), c.name());
            }
        }));
    }

    // ---- decoding by kind --------------------------------------------------------------------

    /** A decoded value in canonical form, and its re-encoding (or the rejection text). */
    record Decoded(boolean ok, String canon, Reencoder reencoder) {
        byte[] reencode() {
            return reencoder.get();
        }
    }

    interface Reencoder {
        byte[] get();
    }

    static Decoded decode(String kind, byte[] b) {
        switch (kind) {
            case "msg", "relay" -> {
                DecodeResult<SerfMessage> r = SerfCodec.decode(b, 0, b.length);
                if (!r.ok()) {
                    return rejected(r);
                }
                SerfMessage m = r.value();
                return new Decoded(true, canon(m), () -> SerfCodec.encode(m));
            }
            case "tags" -> {
                Map<String, String> t = SerfCodec.decodeTags(b);
                return new Decoded(true, canonStringMap(t), () -> SerfCodec.encodeTags(t));
            }
            case "filter" -> {
                DecodeResult<SerfPayload.Filter> r = SerfCodec.decodeFilter(b);
                if (!r.ok()) {
                    return rejected(r);
                }
                SerfPayload.Filter f = r.value();
                String canon = f instanceof SerfPayload.NodeFilter nf ? canonStrings(nf.nodes())
                        : "{Tag=" + s(((SerfPayload.TagFilter) f).tag()) + " Expr=" + s(((SerfPayload.TagFilter) f).expr())
                                + "}";
                return new Decoded(true, canon, () -> SerfCodec.encodeFilter(f));
            }
            case "keyreq" -> {
                DecodeResult<SerfPayload.KeyRequest> r = SerfCodec.decodeKeyRequest(b);
                if (!r.ok()) {
                    return rejected(r);
                }
                SerfPayload.KeyRequest k = r.value();
                return new Decoded(true, "{Key=" + bytes(k.key()) + "}", () -> SerfCodec.encodeKeyRequest(k));
            }
            case "keyresp" -> {
                DecodeResult<SerfPayload.KeyResponse> r = SerfCodec.decodeKeyResponse(b);
                if (!r.ok()) {
                    return rejected(r);
                }
                SerfPayload.KeyResponse k = r.value();
                return new Decoded(true, "{Result=z:" + k.result() + " Message=" + s(k.message()) + " Keys="
                        + canonStrings(k.keys()) + " PrimaryKey=" + s(k.primaryKey()) + "}",
                        () -> SerfCodec.encodeKeyResponse(k));
            }
            case "conflict" -> {
                DecodeResult<SerfPayload.ConflictResponse> r = SerfCodec.decodeConflictResponse(b);
                if (!r.ok()) {
                    return rejected(r);
                }
                SerfPayload.MemberInfo m = r.value().member();
                String canon = m == null ? "nil" : "{Name=" + s(m.name()) + " Addr=" + bytes(m.addr()) + " Port=u:"
                        + m.port() + " Tags=" + canonStringMap(m.tags()) + " Status=i:" + m.status() + " ProtocolMin=u:"
                        + m.protocolMin() + " ProtocolMax=u:" + m.protocolMax() + " ProtocolCur=u:" + m.protocolCur()
                        + " DelegateMin=u:" + m.delegateMin() + " DelegateMax=u:" + m.delegateMax() + " DelegateCur=u:"
                        + m.delegateCur() + "}";
                return new Decoded(true, canon, () -> SerfCodec.encodeConflictResponse(m));
            }
            default -> throw new AssertionError("kind " + kind);
        }
    }

    private static Decoded rejected(DecodeResult<?> r) {
        DecodeResult.Rejected<?> bad = (DecodeResult.Rejected<?>) r;
        return new Decoded(false, bad.reason() + ": " + bad.detail(), () -> {
            throw new AssertionError("rejected");
        });
    }

    // ---- the canonical text form (serf.go's canon) --------------------------------------------

    static String canon(SerfMessage m) {
        if (m instanceof SerfMessage.Leave l) {
            return "{LTime=" + u(l.ltime()) + " Node=" + s(l.node()) + " Prune=z:" + l.prune() + "}";
        }
        if (m instanceof SerfMessage.Join j) {
            return "{LTime=" + u(j.ltime()) + " Node=" + s(j.node()) + "}";
        }
        if (m instanceof SerfMessage.PushPull p) {
            StringBuilder sb = new StringBuilder("{LTime=" + u(p.ltime()) + " StatusLTimes=");
            if (p.statusLTimes() == null) {
                sb.append("nil");
            } else {
                List<String> keys = sortedKeys(p.statusLTimes());
                sb.append("map[");
                for (int i = 0; i < keys.size(); i++) {
                    sb.append(i > 0 ? " " : "").append(s(keys.get(i))).append(':')
                            .append(u(p.statusLTimes().get(keys.get(i))));
                }
                sb.append(']');
            }
            sb.append(" LeftMembers=").append(canonStrings(p.leftMembers()));
            sb.append(" EventLTime=").append(u(p.eventLTime())).append(" Events=");
            if (p.events() == null) {
                sb.append("nil");
            } else {
                sb.append('[');
                for (int i = 0; i < p.events().size(); i++) {
                    SerfMessage.EventSlot slot = p.events().get(i);
                    sb.append(i > 0 ? " " : "");
                    if (slot == null) {
                        sb.append("nil");
                        continue;
                    }
                    sb.append("{LTime=").append(u(slot.ltime())).append(" Events=");
                    if (slot.events() == null) {
                        sb.append("nil");
                    } else {
                        sb.append('[');
                        for (int j = 0; j < slot.events().size(); j++) {
                            SerfMessage.EventEntry e = slot.events().get(j);
                            sb.append(j > 0 ? " " : "").append("{Name=").append(s(e.name())).append(" Payload=")
                                    .append(bytes(e.payload())).append('}');
                        }
                        sb.append(']');
                    }
                    sb.append('}');
                }
                sb.append(']');
            }
            return sb.append(" QueryLTime=").append(u(p.queryLTime())).append('}').toString();
        }
        if (m instanceof SerfMessage.UserEvent e) {
            return "{LTime=" + u(e.ltime()) + " Name=" + s(e.name()) + " Payload=" + bytes(e.payload()) + " CC=z:"
                    + e.cc() + "}";
        }
        if (m instanceof SerfMessage.Query q) {
            String filters;
            if (q.filters() == null) {
                filters = "nil";
            } else {
                List<String> parts = new ArrayList<>();
                for (byte[] f : q.filters()) {
                    parts.add(bytes(f));
                }
                filters = "[" + String.join(" ", parts) + "]";
            }
            return "{LTime=" + u(q.ltime()) + " ID=u:" + Integer.toUnsignedString(q.id()) + " Addr=" + bytes(q.addr())
                    + " Port=u:" + q.port() + " SourceNode=" + s(q.sourceNode()) + " Filters=" + filters + " Flags=u:"
                    + Integer.toUnsignedString(q.flags()) + " RelayFactor=u:" + q.relayFactor() + " Timeout=i:"
                    + q.timeoutNanos() + " Name=" + s(q.name()) + " Payload=" + bytes(q.payload()) + "}";
        }
        if (m instanceof SerfMessage.QueryResponse r) {
            return "{LTime=" + u(r.ltime()) + " ID=u:" + Integer.toUnsignedString(r.id()) + " From=" + s(r.from())
                    + " Flags=u:" + Integer.toUnsignedString(r.flags()) + " Payload=" + bytes(r.payload()) + "}";
        }
        SerfMessage.Relay r = (SerfMessage.Relay) m;
        return "{DestAddr={IP=" + bytes(r.destIp()) + " Port=i:" + r.destPort() + " Zone=" + s(r.destZone())
                + "} DestName=" + s(r.destName()) + "} inner=" + TestSupport.hex(r.inner());
    }

    static String u(long v) {
        return "u:" + v;
    }

    static String s(String v) {
        return "s:" + TestSupport.hex(v.getBytes(StandardCharsets.UTF_8));
    }

    static String bytes(byte[] b) {
        return b == null ? "nil" : "b:" + TestSupport.hex(b);
    }

    static String canonStrings(List<String> l) {
        if (l == null) {
            return "nil";
        }
        List<String> parts = new ArrayList<>();
        for (String v : l) {
            parts.add(s(v));
        }
        return "[" + String.join(" ", parts) + "]";
    }

    static String canonStringMap(Map<String, String> m) {
        if (m == null) {
            return "nil";
        }
        List<String> keys = sortedKeys(m);
        List<String> parts = new ArrayList<>();
        for (String k : keys) {
            parts.add(s(k) + ":" + s(m.get(k)));
        }
        return "map[" + String.join(" ", parts) + "]";
    }

    /** Keys in Go's string order: byte-wise on UTF-8. */
    static List<String> sortedKeys(Map<String, ?> m) {
        List<String> keys = new ArrayList<>(m.keySet());
        keys.sort((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
        return keys;
    }
}
