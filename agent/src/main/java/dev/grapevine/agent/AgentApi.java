package dev.grapevine.agent;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the agent's HTTP API asks of the running node. Implementations are thread-safe: the HTTP
 * server calls them from its own worker threads, and they may block briefly (they hop onto the
 * node's event loop and wait).
 */
interface AgentApi {

    /** One member as {@code GET /v1/members} shows it. */
    record MemberInfo(String name, String addr, int port, String state, String status, long incarnation,
                      Map<String, String> tags) {
    }

    /** {@code GET /v1/health}. */
    record Health(String node, int healthScore, Map<String, Integer> members) {
    }

    /** A user event as {@code GET /v1/events} shows it. */
    record EventInfo(long ltime, String name, byte[] payload, boolean coalesce, long receivedAtMillis) {
    }

    /** One node's answer to a query. */
    record QueryAnswer(String from, byte[] payload) {
    }

    /** The outcome of a query started through {@code POST /v1/query}. */
    record QueryOutcome(List<String> acks, List<QueryAnswer> responses) {
    }

    /** Parameters of {@code POST /v1/query}. */
    record QueryParams(List<String> nodes, Map<String, String> tags, boolean requestAck, Duration timeout,
                       int relayFactor) {
    }

    List<MemberInfo> members();

    Health health();

    /** Prometheus text. */
    String metrics();

    /** Queues a user broadcast that reaches every node (a Serf user event named {@code name}). */
    void broadcast(String name, byte[] payload);

    /** A Serf user event. */
    void event(String name, byte[] payload, boolean coalesce);

    /** Runs a query to its deadline and returns what came back. */
    QueryOutcome query(String name, byte[] payload, QueryParams params) throws InterruptedException;

    /** The recent user events this node received, oldest first, bounded. */
    List<EventInfo> events();

    /**
     * Joins the cluster through {@code seeds} ({@code HOST:PORT} each) and returns how many addresses
     * completed the state exchange; throws {@link dev.grapevine.transport.JoinException} when none did.
     */
    int join(List<String> seeds);

    /** Leaves gracefully; true when the leave propagated before the timeout. */
    boolean leave();
}
