package dev.grapevine.membership.wire;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Serf 0.9.4 gossip messages (memberlist-wire.md §11.3) as Java records. Each travels as a
 * memberlist user message whose first byte is its {@link Type}, followed by a msgpack map keyed by
 * the Go field names (see {@link SerfCodec}).
 *
 * <p>Conventions, as in {@link Message}: Go {@code LamportTime} (uint64) is a Java {@code long}
 * holding values 0..2^63−1 (larger values are rejected by the decoder); Go {@code uint32} fields
 * ({@code ID}, {@code Flags}) are Java ints holding the same 32 bits; strings are never null (Go's
 * zero value is {@code ""}); a {@code null} byte array, list or map is Go's nil (written as msgpack
 * nil), an empty one an empty slice or map. Arrays and collections are <b>not copied</b>: records
 * built by the decoder own fresh ones (lists and maps unmodifiable), and callers must treat what
 * they put into a record as read-only. {@code equals}, {@code hashCode} and {@code toString} look at
 * array contents.
 *
 * <p>All records are immutable values once built; safe to share between threads.
 */
public sealed interface SerfMessage {

    /** The first byte of a Serf message (Serf's {@code messageType}); the numbers are the protocol. */
    enum Type {
        /** {@code messageLeaveType}: a leave intent. */
        LEAVE(0),
        /** {@code messageJoinType}: a join intent. */
        JOIN(1),
        /** {@code messagePushPullType}: Serf's push/pull state (inside memberlist's push/pull only). */
        PUSH_PULL(2),
        /** {@code messageUserEventType}. */
        USER_EVENT(3),
        /** {@code messageQueryType}. */
        QUERY(4),
        /** {@code messageQueryResponseType}: an ack or a response, sent by UDP to the query's origin. */
        QUERY_RESPONSE(5),
        /** {@code messageConflictResponseType}: only the first byte of a {@code _serf_conflict} response payload. */
        CONFLICT_RESPONSE(6),
        /** {@code messageKeyRequestType}: only the first byte of a key query payload. */
        KEY_REQUEST(7),
        /** {@code messageKeyResponseType}: only the first byte of a key query response payload. */
        KEY_RESPONSE(8),
        /** {@code messageRelayType}: a query response to forward to its destination. */
        RELAY(9);

        private static final Type[] BY_CODE = values();

        private final int code;

        Type(int code) {
            this.code = code;
        }

        /** The wire value. */
        public int code() {
            return code;
        }

        /** The type for a wire value, or {@code null} when it is not 0..9. */
        public static Type of(int code) {
            return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        }
    }

    /** Query flag bit 0: the sender asks every node that passes the filters for an ack. */
    int QUERY_FLAG_ACK = 1;
    /** Query flag bit 1: receivers must not re-broadcast the query. */
    int QUERY_FLAG_NO_BROADCAST = 2;

    /** The type byte this message is written with. */
    Type type();

    /**
     * {@code messageLeave} (type 0): {@code node} intends to leave, at Lamport time {@code ltime}.
     *
     * @param ltime the sender's membership clock when it sent the intent
     * @param node  the node that leaves
     * @param prune whether receivers should erase the node at once (Serf's force-leave -prune)
     */
    record Leave(long ltime, String node, boolean prune) implements SerfMessage {
        /** Checks the components; see the record description. */
        public Leave {
            Objects.requireNonNull(node, "node");
        }

        @Override
        public Type type() {
            return Type.LEAVE;
        }
    }

    /**
     * {@code messageJoin} (type 1): associates {@code node} with the Lamport time of its join.
     *
     * @param ltime the membership clock value of the join
     * @param node  the node that joined
     */
    record Join(long ltime, String node) implements SerfMessage {
        /** Checks the components; see the record description. */
        public Join {
            Objects.requireNonNull(node, "node");
        }

        @Override
        public Type type() {
            return Type.JOIN;
        }
    }

    /**
     * One entry of the event ring: Serf's {@code userEvent}.
     *
     * @param name    the event name
     * @param payload its payload ({@code null} is Go's nil)
     */
    record EventEntry(String name, byte[] payload) {
        /** Checks the components; see the record description. */
        public EventEntry {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof EventEntry e && e.name.equals(name) && Arrays.equals(e.payload, payload);
        }

        @Override
        public int hashCode() {
            return 31 * name.hashCode() + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "EventEntry[" + name + ", " + (payload == null ? "nil" : payload.length + "B") + "]";
        }
    }

    /**
     * One slot of the event ring: Serf's {@code userEvents}, every event seen at one Lamport time.
     *
     * @param ltime  the event clock value
     * @param events the events ({@code null} is Go's nil)
     */
    record EventSlot(long ltime, List<EventEntry> events) {
    }

    /**
     * {@code messagePushPull} (type 2): the Serf state carried in memberlist's push/pull
     * ({@code UserState}).
     *
     * @param ltime        the sender's membership clock
     * @param statusLTimes member name → Lamport time of its latest join or leave intent
     * @param leftMembers  names of the members in state left
     * @param eventLTime   the sender's event clock
     * @param events       the sender's whole event ring, {@code null} elements for empty slots
     * @param queryLTime   the sender's query clock
     */
    record PushPull(long ltime, Map<String, Long> statusLTimes, List<String> leftMembers, long eventLTime,
                    List<EventSlot> events, long queryLTime) implements SerfMessage {
        @Override
        public Type type() {
            return Type.PUSH_PULL;
        }

        @Override
        public String toString() {
            return "PushPull[ltime=" + ltime + ", statuses=" + (statusLTimes == null ? "nil" : statusLTimes.size())
                    + ", left=" + leftMembers + ", eventLTime=" + eventLTime + ", slots="
                    + (events == null ? "nil" : events.size()) + ", queryLTime=" + queryLTime + "]";
        }
    }

    /**
     * {@code messageUserEvent} (type 3).
     *
     * @param ltime   the sender's event clock when it sent the event
     * @param name    the event name
     * @param payload the payload ({@code null} is Go's nil)
     * @param cc      "can coalesce": receivers may deliver only the latest event of this name
     */
    record UserEvent(long ltime, String name, byte[] payload, boolean cc) implements SerfMessage {
        /** Checks the components; see the record description. */
        public UserEvent {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public Type type() {
            return Type.USER_EVENT;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof UserEvent e && e.ltime == ltime && e.name.equals(name)
                    && Arrays.equals(e.payload, payload) && e.cc == cc;
        }

        @Override
        public int hashCode() {
            return Objects.hash(ltime, name, Arrays.hashCode(payload), cc);
        }

        @Override
        public String toString() {
            return "UserEvent[ltime=" + ltime + ", name=" + name + ", payload="
                    + (payload == null ? "nil" : payload.length + "B") + ", cc=" + cc + "]";
        }
    }

    /**
     * {@code messageQuery} (type 4).
     *
     * @param ltime        the sender's query clock
     * @param id           the query id (uint32; Serf draws it from {@code rand.Int31})
     * @param addr         where acks and responses go (IP, 4 or 16 bytes)
     * @param port         where acks and responses go (uint16)
     * @param sourceNode   the sender's name
     * @param filters      each {@code [filter type][msgpack]}, see {@link SerfPayload.Filter}; null is nil
     * @param flags        {@link SerfMessage#QUERY_FLAG_ACK}, {@link SerfMessage#QUERY_FLAG_NO_BROADCAST}
     * @param relayFactor  how many other members should also relay each response (uint8)
     * @param timeoutNanos how long after receipt a response may be sent (Go {@code time.Duration})
     * @param name         the query name
     * @param payload      the query payload ({@code null} is Go's nil)
     */
    record Query(long ltime, int id, byte[] addr, int port, String sourceNode, List<byte[]> filters, int flags,
                 int relayFactor, long timeoutNanos, String name, byte[] payload) implements SerfMessage {
        /** Checks the components; see the record description. */
        public Query {
            Objects.requireNonNull(sourceNode, "sourceNode");
            Objects.requireNonNull(name, "name");
            if (port < 0 || port > 0xffff) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            if (relayFactor < 0 || relayFactor > 0xff) {
                throw new IllegalArgumentException("relayFactor out of range: " + relayFactor);
            }
        }

        @Override
        public Type type() {
            return Type.QUERY;
        }

        /** True when the ack flag is set. */
        public boolean ack() {
            return (flags & QUERY_FLAG_ACK) != 0;
        }

        /** True when the no-broadcast flag is set. */
        public boolean noBroadcast() {
            return (flags & QUERY_FLAG_NO_BROADCAST) != 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Query q && q.ltime == ltime && q.id == id && Arrays.equals(q.addr, addr)
                    && q.port == port && q.sourceNode.equals(sourceNode) && filtersEqual(q.filters, filters)
                    && q.flags == flags && q.relayFactor == relayFactor && q.timeoutNanos == timeoutNanos
                    && q.name.equals(name) && Arrays.equals(q.payload, payload);
        }

        @Override
        public int hashCode() {
            int h = Objects.hash(ltime, id, Arrays.hashCode(addr), port, sourceNode, flags, relayFactor,
                    timeoutNanos, name, Arrays.hashCode(payload));
            if (filters != null) {
                for (byte[] f : filters) {
                    h = 31 * h + Arrays.hashCode(f);
                }
            }
            return h;
        }

        @Override
        public String toString() {
            return "Query[ltime=" + ltime + ", id=" + Integer.toUnsignedString(id) + ", name=" + name + ", from="
                    + sourceNode + "@" + Hex.ip(addr) + ":" + port + ", filters="
                    + (filters == null ? "nil" : filters.size()) + ", flags=" + flags + ", relay=" + relayFactor
                    + ", timeout=" + timeoutNanos + "ns, payload=" + (payload == null ? "nil" : payload.length + "B")
                    + "]";
        }

        private static boolean filtersEqual(List<byte[]> a, List<byte[]> b) {
            if (a == null || b == null) {
                return a == b;
            }
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!Arrays.equals(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * {@code messageQueryResponse} (type 5): an ack ({@code flags} has
     * {@link SerfMessage#QUERY_FLAG_ACK}) or a response to a query.
     *
     * @param ltime   the query's Lamport time
     * @param id      the query's id
     * @param from    the responding node
     * @param flags   {@link SerfMessage#QUERY_FLAG_ACK} for an ack
     * @param payload the response ({@code null} is Go's nil, as in every ack)
     */
    record QueryResponse(long ltime, int id, String from, int flags, byte[] payload) implements SerfMessage {
        /** Checks the components; see the record description. */
        public QueryResponse {
            Objects.requireNonNull(from, "from");
        }

        @Override
        public Type type() {
            return Type.QUERY_RESPONSE;
        }

        /** True for an ack. */
        public boolean ack() {
            return (flags & QUERY_FLAG_ACK) != 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof QueryResponse r && r.ltime == ltime && r.id == id && r.from.equals(from)
                    && r.flags == flags && Arrays.equals(r.payload, payload);
        }

        @Override
        public int hashCode() {
            return Objects.hash(ltime, id, from, flags, Arrays.hashCode(payload));
        }

        @Override
        public String toString() {
            return "QueryResponse[ltime=" + ltime + ", id=" + Integer.toUnsignedString(id) + ", from=" + from
                    + ", flags=" + flags + ", payload=" + (payload == null ? "nil" : payload.length + "B") + "]";
        }
    }

    /**
     * {@code messageRelay} (type 9): {@code [9] msgpack(relayHeader) [inner type] msgpack(inner)}.
     * The receiver sends {@code inner} unchanged, as a UDP user message, to the destination.
     *
     * @param destIp   the destination IP ({@code DestAddr.IP}, 4 or 16 bytes)
     * @param destPort the destination port ({@code DestAddr.Port}, a Go int)
     * @param destZone the IPv6 zone ({@code DestAddr.Zone}, usually empty)
     * @param destName the destination node's name
     * @param inner    the message to forward: its type byte and msgpack body, as raw bytes
     */
    record Relay(byte[] destIp, int destPort, String destZone, String destName, byte[] inner) implements SerfMessage {
        /** Checks the components; see the record description. */
        public Relay {
            Objects.requireNonNull(destZone, "destZone");
            Objects.requireNonNull(destName, "destName");
            Objects.requireNonNull(inner, "inner");
        }

        @Override
        public Type type() {
            return Type.RELAY;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Relay r && Arrays.equals(r.destIp, destIp) && r.destPort == destPort
                    && r.destZone.equals(destZone) && r.destName.equals(destName) && Arrays.equals(r.inner, inner);
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(destIp), destPort, destZone, destName, Arrays.hashCode(inner));
        }

        @Override
        public String toString() {
            return "Relay[to=" + destName + "@" + Hex.ip(destIp) + ":" + destPort + ", inner=" + inner.length + "B]";
        }
    }

    /** An unmodifiable view, or null for null (Go's nil). */
    static <T> List<T> frozen(List<T> list) {
        return list == null ? null : Collections.unmodifiableList(list);
    }
}
