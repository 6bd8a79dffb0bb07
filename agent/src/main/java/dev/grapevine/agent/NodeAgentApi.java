package dev.grapevine.agent;

import dev.grapevine.membership.Member;
import dev.grapevine.membership.MemberState;
import dev.grapevine.serf.QueryOptions;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfMember;
import dev.grapevine.transport.GrapevineNode;
import dev.grapevine.transport.QueryResult;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The agent's HTTP API over a {@link GrapevineNode} in Serf mode. Also the node's Serf listener:
 * it keeps the most recent user events for {@code GET /v1/events}. Thread-safe.
 */
final class NodeAgentApi implements AgentApi {
    /** User events kept for {@code GET /v1/events}. */
    static final int RECENT_EVENTS = 256;
    static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(15);

    private final GrapevineNode node;
    private final Deque<EventInfo> recent = new ArrayDeque<>();

    NodeAgentApi(GrapevineNode node) {
        this.node = node;
    }

    /** Feed the node's Serf events here (from its Serf listener). */
    void onEvent(SerfEvent e) {
        if (e instanceof SerfEvent.User u) {
            synchronized (recent) {
                if (recent.size() == RECENT_EVENTS) {
                    recent.removeFirst();
                }
                recent.addLast(new EventInfo(u.ltime(), u.name(), u.payload(), u.coalesce(), System.currentTimeMillis()));
            }
        }
    }

    @Override
    public List<MemberInfo> members() {
        Map<String, Member> core = new HashMap<>();
        for (Member m : node.allMembers()) {
            core.put(m.name(), m);
        }
        List<MemberInfo> out = new ArrayList<>();
        for (SerfMember s : node.serfMembers()) {
            Member m = core.get(s.name());
            out.add(new MemberInfo(s.name(), s.address().host(), s.address().port(),
                    m == null ? "dead" : m.state().name().toLowerCase(Locale.ROOT),
                    s.status().name().toLowerCase(Locale.ROOT), m == null ? 0 : m.incarnation(), s.tags()));
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    @Override
    public Health health() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (MemberState st : MemberState.values()) {
            counts.put(st.name().toLowerCase(Locale.ROOT), 0);
        }
        for (Member m : node.allMembers()) {
            counts.merge(m.state().name().toLowerCase(Locale.ROOT), 1, Integer::sum);
        }
        return new Health(node.name(), node.healthScore(), counts);
    }

    @Override
    public String metrics() {
        return PrometheusText.render(node.name(), node.metrics());
    }

    @Override
    public void broadcast(String name, byte[] payload) {
        node.userEvent(name, payload, false);
    }

    @Override
    public void event(String name, byte[] payload, boolean coalesce) {
        node.userEvent(name, payload, coalesce);
    }

    @Override
    public QueryOutcome query(String name, byte[] payload, QueryParams p) throws InterruptedException {
        QueryOptions.Builder o = QueryOptions.builder().requestAck(p.requestAck()).relayFactor(p.relayFactor());
        if (!p.nodes().isEmpty()) {
            o.filterNodes(p.nodes());
        }
        p.tags().forEach(o::filterTag);
        if (p.timeout() != null) {
            o.timeout(p.timeout());
        }
        try {
            QueryResult r = node.query(name, payload, o.build()).get(5, TimeUnit.MINUTES);
            List<QueryAnswer> answers = new ArrayList<>();
            r.responses().forEach((from, bytes) -> answers.add(new QueryAnswer(from, bytes)));
            return new QueryOutcome(r.acks(), answers);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException re ? re : new IllegalStateException(c);
        } catch (TimeoutException e) {
            throw new IllegalStateException("query did not finish", e);
        }
    }

    @Override
    public List<EventInfo> events() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    @Override
    public int join(List<String> seeds) {
        return node.join(seeds);
    }

    @Override
    public boolean leave() {
        return node.leave(LEAVE_TIMEOUT);
    }
}
