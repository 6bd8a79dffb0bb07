package dev.grapevine.serf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A query this node started ({@link SerfCore#query}): Serf's {@code QueryResponse}. Acks and
 * responses arrive as {@link SerfEvent.QueryAck} and {@link SerfEvent.QueryResponse} events, at most
 * one of each per responding node; at the deadline the query closes with
 * {@link SerfEvent.QueryDone}. The handle also keeps what arrived, bounded (at least 64, and
 * twice the members alive at the start; more are counted and dropped).
 *
 * <p>Not thread-safe: read it on the core's thread (it changes as answers arrive).
 */
public final class QueryHandle {
    private final String name;
    private final int id;
    private final long ltime;
    private final long deadlineNanos;
    private final boolean requestAck;
    final int capacity;
    final Set<String> acks = new LinkedHashSet<>();
    final Map<String, byte[]> responses = new LinkedHashMap<>();
    /** Internal queries (key operations, conflict votes) consume answers themselves. */
    final Consumer consumer;
    boolean finished;

    /** Receives the answers of an internal query. */
    interface Consumer {
        void response(QueryHandle h, String from, byte[] payload);

        void done(QueryHandle h);
    }

    QueryHandle(String name, int id, long ltime, long deadlineNanos, boolean requestAck, int capacity,
                Consumer consumer) {
        this.name = name;
        this.id = id;
        this.ltime = ltime;
        this.deadlineNanos = deadlineNanos;
        this.requestAck = requestAck;
        this.capacity = capacity;
        this.consumer = consumer;
    }

    /** The query name. */
    public String name() {
        return name;
    }

    /** The query id (uint32 bits). */
    public int id() {
        return id;
    }

    /** The query's Lamport time; responses are matched by it, then by id. */
    public long ltime() {
        return ltime;
    }

    /** When the query closes, on the core's clock. */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** Whether acks were requested. */
    public boolean requestAck() {
        return requestAck;
    }

    /** True once the deadline passed. */
    public boolean isFinished() {
        return finished;
    }

    /** Nodes that acked so far, in arrival order (a snapshot). */
    public Set<String> acks() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(acks));
    }

    /** Responses so far by node, in arrival order (a snapshot; the arrays are shared, do not modify). */
    public Map<String, byte[]> responses() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(responses));
    }

    @Override
    public String toString() {
        return "Query[" + name + " ltime=" + ltime + " id=" + Integer.toUnsignedString(id) + " acks=" + acks.size()
                + " responses=" + responses.size() + (finished ? " done" : "") + "]";
    }
}
