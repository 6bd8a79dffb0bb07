package dev.grapevine.serf;

import dev.grapevine.membership.NodeAddress;

/**
 * A query this node received and passed the filters of ({@code serf.Query}), delivered in a
 * {@link SerfEvent.Query}. Answer it, at most once and before {@link #deadlineNanos()}, with
 * {@link SerfCore#respond}; the response goes by UDP straight to the query's origin (and through
 * {@link #relayFactor()} other members).
 *
 * <p>Not thread-safe: use it on the core's thread.
 */
public final class IncomingQuery {
    private final long ltime;
    private final int id;
    private final String name;
    private final byte[] payload;
    private final String sourceNode;
    private final String signer;
    private final NodeAddress replyTo;
    private final long deadlineNanos;
    private final int relayFactor;
    boolean responded;

    IncomingQuery(long ltime, int id, String name, byte[] payload, String sourceNode, NodeAddress replyTo,
                  long deadlineNanos, int relayFactor, String signer) {
        this.signer = signer;
        this.ltime = ltime;
        this.id = id;
        this.name = name;
        this.payload = payload;
        this.sourceNode = sourceNode;
        this.replyTo = replyTo;
        this.deadlineNanos = deadlineNanos;
        this.relayFactor = relayFactor;
    }

    /** The query's Lamport time. */
    public long ltime() {
        return ltime;
    }

    /** The query id (uint32 bits). */
    public int id() {
        return id;
    }

    /** The query name. */
    public String name() {
        return name;
    }

    /** A copy of the payload (empty when none). */
    public byte[] payload() {
        return payload == null ? new byte[0] : payload.clone();
    }

    /**
     * In signing mode, the node that signed the query (proven; {@link #sourceNode()} is only what
     * the query says); null outside signing mode.
     */
    public String signer() {
        return signer;
    }

    /** The node that sent the query. */
    public String sourceNode() {
        return sourceNode;
    }

    /** Where responses go, or {@code null} when the query carried an unusable address. */
    public NodeAddress replyTo() {
        return replyTo;
    }

    /** The last moment a response may be sent, on the core's clock (receipt time + the query's timeout). */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** How many other members relay the response as well. */
    public int relayFactor() {
        return relayFactor;
    }

    /** True once a response was sent. */
    public boolean responded() {
        return responded;
    }

    byte[] rawPayload() {
        return payload;
    }

    @Override
    public String toString() {
        return "IncomingQuery[" + name + " from " + sourceNode + " ltime=" + ltime + " id="
                + Integer.toUnsignedString(id) + "]";
    }
}
