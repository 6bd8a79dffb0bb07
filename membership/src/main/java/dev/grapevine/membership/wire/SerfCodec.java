package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.MsgpackReader.key;

import dev.grapevine.membership.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Encodes and decodes Serf 0.9.4's messages ({@link SerfMessage}) and the structures carried inside
 * them ({@link SerfPayload}, tags) exactly as Serf does with go-msgpack 0.5.5 (memberlist-wire.md
 * §4, §11).
 *
 * <pre>
 *  message        = [type: 1 byte] msgpack(struct)                       (types 0..5)
 *  relay          = [9] msgpack({DestAddr: {IP, Port, Zone}, DestName}) [inner type] msgpack(inner)
 *  tags (Meta)    = [0xFF] msgpack(map[string]string)        (empty Meta or another first byte: a legacy role)
 *  filter         = [0] msgpack([]string)  |  [1] msgpack({Expr, Tag})
 *  key request    = [7] msgpack({Key})         key response = [8] msgpack({Keys, Message, PrimaryKey, Result})
 *  conflict reply = [6] msgpack(*Member)       (nil when the member is unknown)
 * </pre>
 *
 * <p><b>Encoding</b> follows go-msgpack 0.5.5 byte for byte: structs are maps keyed by the Go field
 * names in byte-wise ascending order; strings and byte slices use the str family without str8;
 * non-negative integers the smallest unsigned form (also for the signed {@code Timeout} and
 * {@code Port}, {@code Status} ints); nil slices, maps and pointers are {@code c0}. Go writes the
 * entries of a Go map ({@code Tags}, {@code StatusLTimes}) in random order; this codec writes them
 * sorted by the UTF-8 bytes of their keys, one of the orders Go may produce, so the output is
 * deterministic. Each call sizes the message first and allocates one array.
 *
 * <p><b>Decoding</b> has {@link WireDecoder}'s acceptance rules (any key order, unknown keys skipped,
 * nil gives the zero value, array-form structs, every integer family) plus, for the Serf types:
 * {@code LamportTime} values above 2^63−1 are {@link Rejection#INTEGER_OVERFLOW}; Go maps and
 * slices must be msgpack maps and arrays (or nil); a repeated map key keeps the last value. Every
 * claimed count and length is checked against the bytes present before anything is allocated, so a
 * hostile header costs O(1). Decoders return a {@link DecodeResult} and never throw on bad input.
 *
 * <p>Thread-safety: all methods are static, keep no shared state and are thread-safe.
 */
public final class SerfCodec {
    /** The first byte of Serf tags in memberlist's {@code Meta} (Serf's {@code tagMagicByte}). */
    public static final int TAG_MAGIC = 0xFF;
    /** Filter type of {@link SerfPayload.NodeFilter} ({@code filterNodeType}). */
    public static final int FILTER_NODE = 0;
    /** Filter type of {@link SerfPayload.TagFilter} ({@code filterTagType}). */
    public static final int FILTER_TAG = 1;

    // Go declaration orders (the array form of each struct).
    private static final byte[][] LEAVE = keys("LTime", "Node", "Prune");
    private static final byte[][] JOIN = keys("LTime", "Node");
    private static final byte[][] PUSH_PULL = keys("LTime", "StatusLTimes", "LeftMembers", "EventLTime", "Events",
            "QueryLTime");
    private static final byte[][] USER_EVENTS = keys("LTime", "Events");
    private static final byte[][] USER_EVENT_ENTRY = keys("Name", "Payload");
    private static final byte[][] USER_EVENT = keys("LTime", "Name", "Payload", "CC");
    private static final byte[][] QUERY = keys("LTime", "ID", "Addr", "Port", "SourceNode", "Filters", "Flags",
            "RelayFactor", "Timeout", "Name", "Payload");
    private static final byte[][] QUERY_RESPONSE = keys("LTime", "ID", "From", "Flags", "Payload");
    private static final byte[][] RELAY_HEADER = keys("DestAddr", "DestName");
    private static final byte[][] UDP_ADDR = keys("IP", "Port", "Zone");
    private static final byte[][] FILTER_TAG_KEYS = keys("Tag", "Expr");
    private static final byte[][] KEY_REQUEST = keys("Key");
    private static final byte[][] KEY_RESPONSE = keys("Result", "Message", "Keys", "PrimaryKey");
    private static final byte[][] MEMBER = keys("Name", "Addr", "Port", "Tags", "Status", "ProtocolMin",
            "ProtocolMax", "ProtocolCur", "DelegateMin", "DelegateMax", "DelegateCur");

    // Pre-encoded map keys (fixstr + ASCII).
    private static final byte[] K_ADDR = MsgpackWriter.key("Addr");
    private static final byte[] K_CC = MsgpackWriter.key("CC");
    private static final byte[] K_DELEGATE_CUR = MsgpackWriter.key("DelegateCur");
    private static final byte[] K_DELEGATE_MAX = MsgpackWriter.key("DelegateMax");
    private static final byte[] K_DELEGATE_MIN = MsgpackWriter.key("DelegateMin");
    private static final byte[] K_DEST_ADDR = MsgpackWriter.key("DestAddr");
    private static final byte[] K_DEST_NAME = MsgpackWriter.key("DestName");
    private static final byte[] K_EVENT_LTIME = MsgpackWriter.key("EventLTime");
    private static final byte[] K_EVENTS = MsgpackWriter.key("Events");
    private static final byte[] K_EXPR = MsgpackWriter.key("Expr");
    private static final byte[] K_FILTERS = MsgpackWriter.key("Filters");
    private static final byte[] K_FLAGS = MsgpackWriter.key("Flags");
    private static final byte[] K_FROM = MsgpackWriter.key("From");
    private static final byte[] K_ID = MsgpackWriter.key("ID");
    private static final byte[] K_IP = MsgpackWriter.key("IP");
    private static final byte[] K_KEY = MsgpackWriter.key("Key");
    private static final byte[] K_KEYS = MsgpackWriter.key("Keys");
    private static final byte[] K_LEFT_MEMBERS = MsgpackWriter.key("LeftMembers");
    private static final byte[] K_LTIME = MsgpackWriter.key("LTime");
    private static final byte[] K_MESSAGE = MsgpackWriter.key("Message");
    private static final byte[] K_NAME = MsgpackWriter.key("Name");
    private static final byte[] K_NODE = MsgpackWriter.key("Node");
    private static final byte[] K_PAYLOAD = MsgpackWriter.key("Payload");
    private static final byte[] K_PORT = MsgpackWriter.key("Port");
    private static final byte[] K_PRIMARY_KEY = MsgpackWriter.key("PrimaryKey");
    private static final byte[] K_PROTOCOL_CUR = MsgpackWriter.key("ProtocolCur");
    private static final byte[] K_PROTOCOL_MAX = MsgpackWriter.key("ProtocolMax");
    private static final byte[] K_PROTOCOL_MIN = MsgpackWriter.key("ProtocolMin");
    private static final byte[] K_PRUNE = MsgpackWriter.key("Prune");
    private static final byte[] K_QUERY_LTIME = MsgpackWriter.key("QueryLTime");
    private static final byte[] K_RELAY_FACTOR = MsgpackWriter.key("RelayFactor");
    private static final byte[] K_RESULT = MsgpackWriter.key("Result");
    private static final byte[] K_SOURCE_NODE = MsgpackWriter.key("SourceNode");
    private static final byte[] K_STATUS = MsgpackWriter.key("Status");
    private static final byte[] K_STATUS_LTIMES = MsgpackWriter.key("StatusLTimes");
    private static final byte[] K_TAG = MsgpackWriter.key("Tag");
    private static final byte[] K_TAGS = MsgpackWriter.key("Tags");
    private static final byte[] K_TIMEOUT = MsgpackWriter.key("Timeout");
    private static final byte[] K_ZONE = MsgpackWriter.key("Zone");

    private SerfCodec() {
    }

    // =============================================================================================
    // Messages
    // =============================================================================================

    /**
     * Encodes a message with its type byte, as Serf's {@code encodeMessage} (or
     * {@code encodeRelayMessage} for a {@link SerfMessage.Relay}, whose inner bytes are copied as
     * they are).
     *
     * @return a new array
     * @throws IllegalArgumentException for values Go could not represent (negative Lamport times)
     */
    public static byte[] encode(SerfMessage m) {
        Objects.requireNonNull(m, "m");
        int type = m.type().code();
        if (m instanceof SerfMessage.Leave l) {
            checkLTime(l.ltime());
            return encode(type, s -> {
                s.mapHeader(3);
                s.key(K_LTIME);
                s.uint(l.ltime());
                s.key(K_NODE);
                s.str(l.node());
                s.key(K_PRUNE);
                s.bool(l.prune());
            });
        }
        if (m instanceof SerfMessage.Join j) {
            checkLTime(j.ltime());
            return encode(type, s -> {
                s.mapHeader(2);
                s.key(K_LTIME);
                s.uint(j.ltime());
                s.key(K_NODE);
                s.str(j.node());
            });
        }
        if (m instanceof SerfMessage.PushPull p) {
            return encode(type, s -> pushPull(s, p));
        }
        if (m instanceof SerfMessage.UserEvent e) {
            checkLTime(e.ltime());
            return encode(type, s -> {
                s.mapHeader(4);
                s.key(K_CC);
                s.bool(e.cc());
                s.key(K_LTIME);
                s.uint(e.ltime());
                s.key(K_NAME);
                s.str(e.name());
                s.key(K_PAYLOAD);
                s.bytes(e.payload());
            });
        }
        if (m instanceof SerfMessage.Query q) {
            checkLTime(q.ltime());
            return encode(type, s -> query(s, q));
        }
        if (m instanceof SerfMessage.QueryResponse r) {
            checkLTime(r.ltime());
            return encode(type, s -> queryResponse(s, r));
        }
        SerfMessage.Relay r = (SerfMessage.Relay) m;
        return encode(type, s -> {
            s.mapHeader(2);
            s.key(K_DEST_ADDR);
            s.mapHeader(3);
            s.key(K_IP);
            s.bytes(r.destIp());
            s.key(K_PORT);
            s.sint(r.destPort());
            s.key(K_ZONE);
            s.str(r.destZone());
            s.key(K_DEST_NAME);
            s.str(r.destName());
            s.raw(r.inner());
        });
    }

    /**
     * The relay Serf sends so that another member forwards a query response ({@code
     * encodeRelayMessage}): zone empty, the inner message encoded here.
     */
    public static byte[] encodeRelay(byte[] destIp, int destPort, String destName, SerfMessage inner) {
        return encode(new SerfMessage.Relay(destIp, destPort, "", destName, encode(inner)));
    }

    private static void pushPull(Sink s, SerfMessage.PushPull p) {
        checkLTime(p.ltime());
        checkLTime(p.eventLTime());
        checkLTime(p.queryLTime());
        s.mapHeader(6);
        s.key(K_EVENT_LTIME);
        s.uint(p.eventLTime());
        s.key(K_EVENTS);
        List<SerfMessage.EventSlot> slots = p.events();
        if (slots == null) {
            s.nil();
        } else {
            s.arrayHeader(slots.size());
            for (SerfMessage.EventSlot slot : slots) {
                if (slot == null) {
                    s.nil();
                    continue;
                }
                checkLTime(slot.ltime());
                s.mapHeader(2);
                s.key(K_EVENTS);
                List<SerfMessage.EventEntry> entries = slot.events();
                if (entries == null) {
                    s.nil();
                } else {
                    s.arrayHeader(entries.size());
                    for (SerfMessage.EventEntry e : entries) {
                        s.mapHeader(2);
                        s.key(K_NAME);
                        s.str(e.name());
                        s.key(K_PAYLOAD);
                        s.bytes(e.payload());
                    }
                }
                s.key(K_LTIME);
                s.uint(slot.ltime());
            }
        }
        s.key(K_LTIME);
        s.uint(p.ltime());
        s.key(K_LEFT_MEMBERS);
        stringList(s, p.leftMembers());
        s.key(K_QUERY_LTIME);
        s.uint(p.queryLTime());
        s.key(K_STATUS_LTIMES);
        Map<String, Long> st = p.statusLTimes();
        if (st == null) {
            s.nil();
        } else {
            SortedKeys keys = SortedKeys.of(st);
            s.mapHeader(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                long v = st.get(keys.name(i));
                checkLTime(v);
                s.rawStr(keys.utf8(i));
                s.uint(v);
            }
        }
    }

    private static void query(Sink s, SerfMessage.Query q) {
        s.mapHeader(11);
        s.key(K_ADDR);
        s.bytes(q.addr());
        s.key(K_FILTERS);
        List<byte[]> filters = q.filters();
        if (filters == null) {
            s.nil();
        } else {
            s.arrayHeader(filters.size());
            for (byte[] f : filters) {
                s.bytes(f);
            }
        }
        s.key(K_FLAGS);
        s.uint(Integer.toUnsignedLong(q.flags()));
        s.key(K_ID);
        s.uint(Integer.toUnsignedLong(q.id()));
        s.key(K_LTIME);
        s.uint(q.ltime());
        s.key(K_NAME);
        s.str(q.name());
        s.key(K_PAYLOAD);
        s.bytes(q.payload());
        s.key(K_PORT);
        s.uint(q.port());
        s.key(K_RELAY_FACTOR);
        s.uint(q.relayFactor());
        s.key(K_SOURCE_NODE);
        s.str(q.sourceNode());
        s.key(K_TIMEOUT);
        s.sint(q.timeoutNanos());
    }

    private static void queryResponse(Sink s, SerfMessage.QueryResponse r) {
        s.mapHeader(5);
        s.key(K_FLAGS);
        s.uint(Integer.toUnsignedLong(r.flags()));
        s.key(K_FROM);
        s.str(r.from());
        s.key(K_ID);
        s.uint(Integer.toUnsignedLong(r.id()));
        s.key(K_LTIME);
        s.uint(r.ltime());
        s.key(K_PAYLOAD);
        s.bytes(r.payload());
    }

    /**
     * Decodes one Serf gossip message (a memberlist user message payload, type byte first).
     * Types 6, 7 and 8 never travel on their own and are {@link Rejection#UNSUPPORTED_TYPE}; types
     * above 9 are {@link Rejection#UNKNOWN_TYPE}; bytes after the msgpack body are ignored, except
     * for a relay, where they are the inner message.
     *
     * @return the message or a rejection; never throws for any content
     * @throws IndexOutOfBoundsException if {@code off}/{@code len} are not a range of {@code buf}
     */
    public static DecodeResult<SerfMessage> decode(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len == 0) {
            return DecodeResult.rejected(Rejection.EMPTY, "empty Serf message");
        }
        int type = buf[off] & 0xff;
        try {
            MsgpackReader r = new MsgpackReader(buf, off + 1, len - 1);
            SerfMessage m = switch (type) {
                case 0 -> leave(r);
                case 1 -> join(r);
                case 2 -> pushPull(r);
                case 3 -> userEvent(r);
                case 4 -> query(r);
                case 5 -> queryResponse(r);
                case 9 -> relay(r, buf, off + len);
                case 6, 7, 8 -> throw new WireException(Rejection.UNSUPPORTED_TYPE,
                        "Serf message type " + type + " only appears inside a payload");
                default -> throw new WireException(Rejection.UNKNOWN_TYPE, "unknown Serf message type " + type);
            };
            return DecodeResult.ok(m);
        } catch (WireException e) {
            return e.toResult();
        } catch (RuntimeException e) {
            return WireDecoder.internalError(e).toResult();
        }
    }

    /** {@link #decode(byte[], int, int)} over a whole array. */
    public static DecodeResult<SerfMessage> decode(byte[] buf) {
        return decode(buf, 0, buf.length);
    }

    private static SerfMessage.Leave leave(MsgpackReader r) {
        long ltime = 0;
        String node = "";
        boolean prune = false;
        int n = r.structHeader("messageLeave");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, LEAVE)) {
                case 0 -> ltime = r.uint64("LTime");
                case 1 -> node = r.string("Node");
                case 2 -> prune = r.bool("Prune");
                default -> r.skip();
            }
        }
        return new SerfMessage.Leave(ltime, node, prune);
    }

    private static SerfMessage.Join join(MsgpackReader r) {
        long ltime = 0;
        String node = "";
        int n = r.structHeader("messageJoin");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, JOIN)) {
                case 0 -> ltime = r.uint64("LTime");
                case 1 -> node = r.string("Node");
                default -> r.skip();
            }
        }
        return new SerfMessage.Join(ltime, node);
    }

    private static SerfMessage.PushPull pushPull(MsgpackReader r) {
        long ltime = 0;
        Map<String, Long> statuses = null;
        List<String> left = null;
        long eventLTime = 0;
        List<SerfMessage.EventSlot> events = null;
        long queryLTime = 0;
        int n = r.structHeader("messagePushPull");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, PUSH_PULL)) {
                case 0 -> ltime = r.uint64("LTime");
                case 1 -> statuses = uint64Map(r, "StatusLTimes");
                case 2 -> left = stringList(r, "LeftMembers");
                case 3 -> eventLTime = r.uint64("EventLTime");
                case 4 -> events = eventSlots(r);
                case 5 -> queryLTime = r.uint64("QueryLTime");
                default -> r.skip();
            }
        }
        return new SerfMessage.PushPull(ltime, statuses, left, eventLTime, events, queryLTime);
    }

    private static List<SerfMessage.EventSlot> eventSlots(MsgpackReader r) {
        int count = r.arrayHeader("Events");
        if (count < 0) {
            return null;
        }
        List<SerfMessage.EventSlot> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (r.tryNil()) {
                out.add(null);
                continue;
            }
            long ltime = 0;
            List<SerfMessage.EventEntry> entries = null;
            int n = r.structHeader("userEvents");
            for (int j = 0; j < n; j++) {
                switch (r.field(j, USER_EVENTS)) {
                    case 0 -> ltime = r.uint64("LTime");
                    case 1 -> entries = eventEntries(r);
                    default -> r.skip();
                }
            }
            out.add(new SerfMessage.EventSlot(ltime, SerfMessage.frozen(entries)));
        }
        return Collections.unmodifiableList(out);
    }

    private static List<SerfMessage.EventEntry> eventEntries(MsgpackReader r) {
        int count = r.arrayHeader("Events");
        if (count < 0) {
            return null;
        }
        List<SerfMessage.EventEntry> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String name = "";
            byte[] payload = null;
            int n = r.structHeader("userEvent");
            for (int j = 0; j < n; j++) {
                switch (r.field(j, USER_EVENT_ENTRY)) {
                    case 0 -> name = r.string("Name");
                    case 1 -> payload = r.bytes("Payload");
                    default -> r.skip();
                }
            }
            out.add(new SerfMessage.EventEntry(name, payload));
        }
        return out;
    }

    private static SerfMessage.UserEvent userEvent(MsgpackReader r) {
        long ltime = 0;
        String name = "";
        byte[] payload = null;
        boolean cc = false;
        int n = r.structHeader("messageUserEvent");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, USER_EVENT)) {
                case 0 -> ltime = r.uint64("LTime");
                case 1 -> name = r.string("Name");
                case 2 -> payload = r.bytes("Payload");
                case 3 -> cc = r.bool("CC");
                default -> r.skip();
            }
        }
        return new SerfMessage.UserEvent(ltime, name, payload, cc);
    }

    private static SerfMessage.Query query(MsgpackReader r) {
        long ltime = 0;
        int id = 0;
        byte[] addr = null;
        int port = 0;
        String sourceNode = "";
        List<byte[]> filters = null;
        int flags = 0;
        int relayFactor = 0;
        long timeout = 0;
        String name = "";
        byte[] payload = null;
        int n = r.structHeader("messageQuery");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, QUERY)) {
                case 0 -> ltime = r.uint64("LTime");
                case 1 -> id = r.uint32("ID");
                case 2 -> addr = r.bytes("Addr");
                case 3 -> port = r.uint16("Port");
                case 4 -> sourceNode = r.string("SourceNode");
                case 5 -> filters = byteSlices(r, "Filters");
                case 6 -> flags = r.uint32("Flags");
                case 7 -> relayFactor = (int) r.uint("RelayFactor", 0xff);
                case 8 -> timeout = r.int64("Timeout");
                case 9 -> name = r.string("Name");
                case 10 -> payload = r.bytes("Payload");
                default -> r.skip();
            }
        }
        return new SerfMessage.Query(ltime, id, addr, port, sourceNode, filters, flags, relayFactor, timeout, name,
                payload);
    }

    private static SerfMessage.QueryResponse queryResponse(MsgpackReader r) {
        long ltime = 0;
        int id = 0;
        String from = "";
        int flags = 0;
        byte[] payload = null;
        int n = r.structHeader("messageQueryResponse");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, QUERY_RESPONSE)) {
                case 0 -> ltime = r.uint64("LTime");
                case 1 -> id = r.uint32("ID");
                case 2 -> from = r.string("From");
                case 3 -> flags = r.uint32("Flags");
                case 4 -> payload = r.bytes("Payload");
                default -> r.skip();
            }
        }
        return new SerfMessage.QueryResponse(ltime, id, from, flags, payload);
    }

    private static SerfMessage.Relay relay(MsgpackReader r, byte[] buf, int end) {
        byte[] ip = null;
        int port = 0;
        String zone = "";
        String destName = "";
        int n = r.structHeader("relayHeader");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, RELAY_HEADER)) {
                case 0 -> {
                    int m = r.structHeader("UDPAddr");
                    for (int j = 0; j < m; j++) {
                        switch (r.field(j, UDP_ADDR)) {
                            case 0 -> ip = r.bytes("IP");
                            case 1 -> port = r.goInt("Port");
                            case 2 -> zone = r.string("Zone");
                            default -> r.skip();
                        }
                    }
                }
                case 1 -> destName = r.string("DestName");
                default -> r.skip();
            }
        }
        byte[] inner = Arrays.copyOfRange(buf, r.position(), end);
        return new SerfMessage.Relay(ip, port, zone, destName, inner);
    }

    // =============================================================================================
    // Tags
    // =============================================================================================

    /**
     * Serf's {@code encodeTags} for protocol 3 and later: {@code 0xFF} followed by the msgpack map
     * (keys sorted). No tags give {@code ff 80}.
     */
    public static byte[] encodeTags(Map<String, String> tags) {
        Objects.requireNonNull(tags, "tags");
        return encode(TAG_MAGIC, s -> stringMap(s, tags));
    }

    /**
     * Serf's {@code decodeTags}: when {@code meta} is empty or does not start with {@code 0xFF},
     * the whole of it is a legacy role, giving {@code {"role": meta}}; otherwise the msgpack map
     * after the magic byte. Never fails: on malformed msgpack it returns the entries decoded before
     * the error, as Go does (a value of the wrong type ends the map there).
     *
     * @return an unmodifiable map, in wire order
     */
    public static Map<String, String> decodeTags(byte[] meta) {
        if (meta == null || meta.length == 0 || (meta[0] & 0xff) != TAG_MAGIC) {
            return Map.of("role", meta == null ? "" : new String(meta, StandardCharsets.UTF_8));
        }
        Map<String, String> out = new LinkedHashMap<>();
        try {
            MsgpackReader r = new MsgpackReader(meta, 1, meta.length - 1);
            int n = r.mapHeader("tags");
            for (int i = 0; i < n; i++) {
                String k = r.string("tag name");
                String v = r.string("tag value");
                out.put(k, v);
            }
        } catch (RuntimeException e) {
            // Go logs "Failed to decode tags" and keeps what it has.
        }
        return Collections.unmodifiableMap(out);
    }

    // =============================================================================================
    // Filters, key request/response, conflict response
    // =============================================================================================

    /** Encodes a query filter with its type byte ({@code encodeFilter}). */
    public static byte[] encodeFilter(SerfPayload.Filter f) {
        Objects.requireNonNull(f, "f");
        if (f instanceof SerfPayload.NodeFilter nf) {
            return encode(FILTER_NODE, s -> stringList(s, nf.nodes()));
        }
        SerfPayload.TagFilter tf = (SerfPayload.TagFilter) f;
        return encode(FILTER_TAG, s -> {
            s.mapHeader(2);
            s.key(K_EXPR);
            s.str(tf.expr());
            s.key(K_TAG);
            s.str(tf.tag());
        });
    }

    /**
     * Decodes a query filter. An empty filter, or one of a type other than 0 and 1, is
     * {@link Rejection#UNKNOWN_TYPE} (Serf does not process such a query; Serf 0.9.4 even panics on
     * an empty one).
     */
    public static DecodeResult<SerfPayload.Filter> decodeFilter(byte[] filter) {
        if (filter == null || filter.length == 0) {
            return DecodeResult.rejected(Rejection.UNKNOWN_TYPE, "empty query filter");
        }
        int type = filter[0] & 0xff;
        try {
            MsgpackReader r = new MsgpackReader(filter, 1, filter.length - 1);
            if (type == FILTER_NODE) {
                return DecodeResult.ok(new SerfPayload.NodeFilter(stringList(r, "filterNode")));
            }
            if (type == FILTER_TAG) {
                String tag = "";
                String expr = "";
                int n = r.structHeader("filterTag");
                for (int i = 0; i < n; i++) {
                    switch (r.field(i, FILTER_TAG_KEYS)) {
                        case 0 -> tag = r.string("Tag");
                        case 1 -> expr = r.string("Expr");
                        default -> r.skip();
                    }
                }
                return DecodeResult.ok(new SerfPayload.TagFilter(tag, expr));
            }
            return DecodeResult.rejected(Rejection.UNKNOWN_TYPE, "unknown query filter type " + type);
        } catch (WireException e) {
            return e.toResult();
        } catch (RuntimeException e) {
            return WireDecoder.internalError(e).toResult();
        }
    }

    /** The payload of a key query: {@code [7] msgpack({Key})}. */
    public static byte[] encodeKeyRequest(SerfPayload.KeyRequest req) {
        Objects.requireNonNull(req, "req");
        return encode(SerfMessage.Type.KEY_REQUEST.code(), s -> {
            s.mapHeader(1);
            s.key(K_KEY);
            s.bytes(req.key());
        });
    }

    /**
     * Decodes a key query payload. Like Serf, the first byte is skipped without being checked; an
     * empty payload is {@link Rejection#EMPTY} (Serf 0.9.4 panics on it).
     */
    public static DecodeResult<SerfPayload.KeyRequest> decodeKeyRequest(byte[] payload) {
        if (payload == null || payload.length == 0) {
            return DecodeResult.rejected(Rejection.EMPTY, "empty key request");
        }
        try {
            MsgpackReader r = new MsgpackReader(payload, 1, payload.length - 1);
            byte[] key = null;
            int n = r.structHeader("keyRequest");
            for (int i = 0; i < n; i++) {
                if (r.field(i, KEY_REQUEST) == 0) {
                    key = r.bytes("Key");
                } else {
                    r.skip();
                }
            }
            return DecodeResult.ok(new SerfPayload.KeyRequest(key));
        } catch (WireException e) {
            return e.toResult();
        } catch (RuntimeException e) {
            return WireDecoder.internalError(e).toResult();
        }
    }

    /** The payload of a key query response: {@code [8] msgpack({Keys, Message, PrimaryKey, Result})}. */
    public static byte[] encodeKeyResponse(SerfPayload.KeyResponse resp) {
        Objects.requireNonNull(resp, "resp");
        return encode(SerfMessage.Type.KEY_RESPONSE.code(), s -> {
            s.mapHeader(4);
            s.key(K_KEYS);
            stringList(s, resp.keys());
            s.key(K_MESSAGE);
            s.str(resp.message());
            s.key(K_PRIMARY_KEY);
            s.str(resp.primaryKey());
            s.key(K_RESULT);
            s.bool(resp.result());
        });
    }

    /**
     * Decodes a key query response payload; a first byte other than 8 is
     * {@link Rejection#UNKNOWN_TYPE} (Serf's "Invalid key query response type").
     */
    public static DecodeResult<SerfPayload.KeyResponse> decodeKeyResponse(byte[] payload) {
        if (payload == null || payload.length == 0) {
            return DecodeResult.rejected(Rejection.EMPTY, "empty key response");
        }
        if ((payload[0] & 0xff) != SerfMessage.Type.KEY_RESPONSE.code()) {
            return DecodeResult.rejected(Rejection.UNKNOWN_TYPE, "key response of type " + (payload[0] & 0xff));
        }
        try {
            MsgpackReader r = new MsgpackReader(payload, 1, payload.length - 1);
            boolean result = false;
            String message = "";
            List<String> keys = null;
            String primary = "";
            int n = r.structHeader("nodeKeyResponse");
            for (int i = 0; i < n; i++) {
                switch (r.field(i, KEY_RESPONSE)) {
                    case 0 -> result = r.bool("Result");
                    case 1 -> message = r.string("Message");
                    case 2 -> keys = stringList(r, "Keys");
                    case 3 -> primary = r.string("PrimaryKey");
                    default -> r.skip();
                }
            }
            return DecodeResult.ok(new SerfPayload.KeyResponse(result, message, keys, primary));
        } catch (WireException e) {
            return e.toResult();
        } catch (RuntimeException e) {
            return WireDecoder.internalError(e).toResult();
        }
    }

    /** The payload of a {@code _serf_conflict} response: {@code [6] msgpack(*Member)}, nil for null. */
    public static byte[] encodeConflictResponse(SerfPayload.MemberInfo member) {
        return encode(SerfMessage.Type.CONFLICT_RESPONSE.code(), s -> {
            if (member == null) {
                s.nil();
                return;
            }
            s.mapHeader(11);
            s.key(K_ADDR);
            s.bytes(member.addr());
            s.key(K_DELEGATE_CUR);
            s.uint(member.delegateCur());
            s.key(K_DELEGATE_MAX);
            s.uint(member.delegateMax());
            s.key(K_DELEGATE_MIN);
            s.uint(member.delegateMin());
            s.key(K_NAME);
            s.str(member.name());
            s.key(K_PORT);
            s.uint(member.port());
            s.key(K_PROTOCOL_CUR);
            s.uint(member.protocolCur());
            s.key(K_PROTOCOL_MAX);
            s.uint(member.protocolMax());
            s.key(K_PROTOCOL_MIN);
            s.uint(member.protocolMin());
            s.key(K_STATUS);
            s.sint(member.status());
            s.key(K_TAGS);
            if (member.tags() == null) {
                s.nil();
            } else {
                stringMap(s, member.tags());
            }
        });
    }

    /**
     * Decodes a {@code _serf_conflict} response payload; a first byte other than 6 is
     * {@link Rejection#UNKNOWN_TYPE}. A nil member gives a response whose member is null.
     */
    public static DecodeResult<SerfPayload.ConflictResponse> decodeConflictResponse(byte[] payload) {
        if (payload == null || payload.length == 0) {
            return DecodeResult.rejected(Rejection.EMPTY, "empty conflict response");
        }
        if ((payload[0] & 0xff) != SerfMessage.Type.CONFLICT_RESPONSE.code()) {
            return DecodeResult.rejected(Rejection.UNKNOWN_TYPE, "conflict response of type " + (payload[0] & 0xff));
        }
        try {
            MsgpackReader r = new MsgpackReader(payload, 1, payload.length - 1);
            if (r.tryNil()) {
                return DecodeResult.ok(new SerfPayload.ConflictResponse(null));
            }
            String name = "";
            byte[] addr = null;
            int port = 0;
            Map<String, String> tags = null;
            int status = 0;
            int[] v = new int[6];
            int n = r.structHeader("Member");
            for (int i = 0; i < n; i++) {
                int f = r.field(i, MEMBER);
                switch (f) {
                    case 0 -> name = r.string("Name");
                    case 1 -> addr = r.bytes("Addr");
                    case 2 -> port = r.uint16("Port");
                    case 3 -> tags = stringMap(r, "Tags");
                    case 4 -> status = r.goInt("Status");
                    case 5, 6, 7, 8, 9, 10 -> v[f - 5] = (int) r.uint(new String(MEMBER[f], StandardCharsets.US_ASCII),
                            0xff);
                    default -> r.skip();
                }
            }
            return DecodeResult.ok(new SerfPayload.ConflictResponse(new SerfPayload.MemberInfo(name, addr, port, tags,
                    status, v[0], v[1], v[2], v[3], v[4], v[5])));
        } catch (WireException e) {
            return e.toResult();
        } catch (RuntimeException e) {
            return WireDecoder.internalError(e).toResult();
        }
    }

    // =============================================================================================
    // Shared pieces
    // =============================================================================================

    private static void checkLTime(long ltime) {
        if (ltime < 0) {
            throw new IllegalArgumentException("Lamport time must not be negative: " + ltime);
        }
    }

    private static void stringList(Sink s, List<String> list) {
        if (list == null) {
            s.nil();
            return;
        }
        s.arrayHeader(list.size());
        for (String v : list) {
            s.str(v);
        }
    }

    private static void stringMap(Sink s, Map<String, String> map) {
        SortedKeys keys = SortedKeys.of(map);
        s.mapHeader(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            s.rawStr(keys.utf8(i));
            s.str(map.get(keys.name(i)));
        }
    }

    private static List<String> stringList(MsgpackReader r, String field) {
        int n = r.arrayHeader(field);
        if (n < 0) {
            return null;
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(r.string(field));
        }
        return Collections.unmodifiableList(out);
    }

    private static List<byte[]> byteSlices(MsgpackReader r, String field) {
        int n = r.arrayHeader(field);
        if (n < 0) {
            return null;
        }
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(r.bytes(field));
        }
        return Collections.unmodifiableList(out);
    }

    private static Map<String, String> stringMap(MsgpackReader r, String field) {
        int n = r.mapHeader(field);
        if (n < 0) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String k = r.string(field);
            out.put(k, r.string(field));
        }
        return Collections.unmodifiableMap(out);
    }

    private static Map<String, Long> uint64Map(MsgpackReader r, String field) {
        int n = r.mapHeader(field);
        if (n < 0) {
            return null;
        }
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String k = r.string(field);
            out.put(k, r.uint64(field));
        }
        return Collections.unmodifiableMap(out);
    }

    private static byte[][] keys(String... names) {
        byte[][] out = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            out[i] = key(names[i]);
        }
        return out;
    }

    /** Map keys sorted by their UTF-8 bytes, as Go's byte-wise string order. */
    private static final class SortedKeys {
        private final String[] names;
        private final byte[][] utf8;

        private SortedKeys(String[] names, byte[][] utf8) {
            this.names = names;
            this.utf8 = utf8;
        }

        static SortedKeys of(Map<String, ?> map) {
            int n = map.size();
            String[] names = map.keySet().toArray(new String[0]);
            byte[][] bytes = new byte[n][];
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                bytes[i] = Objects.requireNonNull(names[i], "map key").getBytes(StandardCharsets.UTF_8);
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(bytes[a], bytes[b]));
            String[] sortedNames = new String[n];
            byte[][] sortedBytes = new byte[n][];
            for (int i = 0; i < n; i++) {
                sortedNames[i] = names[order[i]];
                sortedBytes[i] = bytes[order[i]];
            }
            return new SortedKeys(sortedNames, sortedBytes);
        }

        int size() {
            return names.length;
        }

        String name(int i) {
            return names[i];
        }

        byte[] utf8(int i) {
            return utf8[i];
        }
    }

    // ---- two-pass encoding: size, then write ----------------------------------------------------

    /** Receives the values of a message: counted on the first pass, written on the second. */
    private interface Sink {
        void mapHeader(int n);

        void arrayHeader(int n);

        void uint(long v);

        void sint(long v);

        void bool(boolean b);

        void str(String s);

        /** A string given as its UTF-8 bytes. */
        void rawStr(byte[] utf8);

        void bytes(byte[] b);

        void nil();

        void key(byte[] preEncoded);

        /** Bytes copied as they are (no msgpack header). */
        void raw(byte[] b);
    }

    private interface Body {
        void write(Sink s);
    }

    /** Encodes {@code [prefix] body} (no prefix when {@code prefix} is negative) into one exact array. */
    private static byte[] encode(int prefix, Body body) {
        Counter c = new Counter();
        body.write(c);
        int size = c.size + (prefix >= 0 ? 1 : 0);
        MsgpackWriter w = new MsgpackWriter(size);
        if (prefix >= 0) {
            w.u8(prefix);
        }
        body.write(new Writer(w));
        if (w.pos != size) {
            throw new IllegalStateException("Serf encoder size mismatch: " + w.pos + " != " + size);
        }
        return w.buf;
    }

    private static final class Counter implements Sink {
        int size;

        @Override
        public void mapHeader(int n) {
            size += MsgpackWriter.mapHeaderSize(n);
        }

        @Override
        public void arrayHeader(int n) {
            size += MsgpackWriter.arrayHeaderSize(n);
        }

        @Override
        public void uint(long v) {
            size += MsgpackWriter.uintSize(v);
        }

        @Override
        public void sint(long v) {
            size += MsgpackWriter.intSize(v);
        }

        @Override
        public void bool(boolean b) {
            size++;
        }

        @Override
        public void str(String s) {
            size += MsgpackWriter.strSize(Utf8.length(s));
        }

        @Override
        public void rawStr(byte[] utf8) {
            size += MsgpackWriter.strSize(utf8.length);
        }

        @Override
        public void bytes(byte[] b) {
            size += MsgpackWriter.bytesSize(b);
        }

        @Override
        public void nil() {
            size++;
        }

        @Override
        public void key(byte[] preEncoded) {
            size += preEncoded.length;
        }

        @Override
        public void raw(byte[] b) {
            size += b.length;
        }
    }

    private static final class Writer implements Sink {
        private final MsgpackWriter w;

        Writer(MsgpackWriter w) {
            this.w = w;
        }

        @Override
        public void mapHeader(int n) {
            w.mapHeader(n);
        }

        @Override
        public void arrayHeader(int n) {
            w.arrayHeader(n);
        }

        @Override
        public void uint(long v) {
            w.uint(v);
        }

        @Override
        public void sint(long v) {
            w.sint(v);
        }

        @Override
        public void bool(boolean b) {
            w.bool(b);
        }

        @Override
        public void str(String s) {
            w.str(s, Utf8.length(s));
        }

        @Override
        public void rawStr(byte[] utf8) {
            w.strHeader(utf8.length);
            w.raw(utf8);
        }

        @Override
        public void bytes(byte[] b) {
            w.bytes(b);
        }

        @Override
        public void nil() {
            w.nil();
        }

        @Override
        public void key(byte[] preEncoded) {
            w.raw(preEncoded);
        }

        @Override
        public void raw(byte[] b) {
            w.raw(b);
        }
    }
}
