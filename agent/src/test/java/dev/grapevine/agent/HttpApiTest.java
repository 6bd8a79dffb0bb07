package dev.grapevine.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.transport.JoinException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP API's routes, JSON and limits, against a fake node (loopback, ephemeral port). */
class HttpApiTest {
    private final List<String> calls = new ArrayList<>();
    private HttpApi api;
    private HttpClient client;
    private String base;

    private final AgentApi fake = new AgentApi() {
        @Override
        public List<MemberInfo> members() {
            return List.of(new MemberInfo("a", "127.0.0.1", 7946, "alive", "alive", 3, Map.of("role", "web")),
                    new MemberInfo("b\"q", "::1", 7947, "dead", "failed", 1, Map.of()));
        }

        @Override
        public Health health() {
            return new Health("a", 2, Map.of("alive", 1));
        }

        @Override
        public String metrics() {
            return "grapevine_health_score{node=\"a\"} 2\n";
        }

        @Override
        public void broadcast(String name, byte[] payload) {
            calls.add("broadcast " + name + " " + new String(payload, UTF_8));
        }

        @Override
        public void event(String name, byte[] payload, boolean coalesce) {
            calls.add("event " + name + " " + new String(payload, UTF_8) + " " + coalesce);
        }

        @Override
        public QueryOutcome query(String name, byte[] payload, QueryParams p) {
            calls.add("query " + name + " nodes=" + p.nodes() + " tags=" + p.tags() + " ack=" + p.requestAck()
                    + " timeout=" + p.timeout() + " relay=" + p.relayFactor());
            return new QueryOutcome(List.of("a"), List.of(new QueryAnswer("a", "yes".getBytes(UTF_8))));
        }

        @Override
        public List<EventInfo> events() {
            return List.of(new EventInfo(7, "deploy", "v1".getBytes(UTF_8), false, 123));
        }

        @Override
        public int join(List<String> seeds) {
            calls.add("join " + seeds);
            if (seeds.contains("127.0.0.1:1")) {
                throw new JoinException(List.of("127.0.0.1:1: connection refused"));
            }
            return seeds.size();
        }

        @Override
        public boolean leave() {
            calls.add("leave");
            return true;
        }
    };

    @BeforeEach
    void start() throws IOException {
        api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), fake);
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        base = "http://127.0.0.1:" + api.address().getPort();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void membersHealthMetricsAndEvents() throws Exception {
        HttpResponse<String> r = get("/v1/members");
        assertEquals(200, r.statusCode());
        assertEquals("[{\"name\":\"a\",\"addr\":\"127.0.0.1\",\"port\":7946,\"state\":\"alive\",\"status\":\"alive\","
                + "\"incarnation\":3,\"tags\":{\"role\":\"web\"}},{\"name\":\"b\\\"q\",\"addr\":\"::1\",\"port\":7947,"
                + "\"state\":\"dead\",\"status\":\"failed\",\"incarnation\":1,\"tags\":{}}]", r.body());
        assertEquals("{\"node\":\"a\",\"health_score\":2,\"members\":{\"alive\":1}}", get("/v1/health").body());
        HttpResponse<String> m = get("/v1/metrics");
        assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertEquals("grapevine_health_score{node=\"a\"} 2\n", m.body());
        assertEquals("[{\"ltime\":7,\"name\":\"deploy\",\"payload\":\"djE=\",\"coalesce\":false,\"received_ms\":123}]",
                get("/v1/events").body());
    }

    @Test
    void postsReachTheNode() throws Exception {
        assertEquals(200, post("/v1/broadcast", "hi".getBytes(UTF_8)).statusCode());
        assertEquals(200, post("/v1/event?name=deploy&coalesce=true", "v2".getBytes(UTF_8)).statusCode());
        HttpResponse<String> q = post("/v1/query?name=who&node=a&node=b&tag=role:%5Eweb%24&ack=true&timeout=2s&relay=1",
                new byte[0]);
        assertEquals(200, q.statusCode());
        assertEquals("{\"acks\":[\"a\"],\"responses\":[{\"from\":\"a\",\"payload\":\"eWVz\"}]}", q.body());
        assertEquals("{\"contacted\":2}", post("/v1/join?addr=127.0.0.1:7946&addr=%5B%3A%3A1%5D:7947", new byte[0]).body());
        assertEquals("{\"left\":true}", post("/v1/leave", new byte[0]).body());
        assertEquals(List.of("broadcast broadcast hi", "event deploy v2 true",
                "query who nodes=[a, b] tags={role=^web$} ack=true timeout=PT2S relay=1",
                "join [127.0.0.1:7946, [::1]:7947]", "leave"), calls);
    }

    @Test
    void badRequestsGetClearErrors() throws Exception {
        assertEquals(404, get("/v1/nothing").statusCode());
        HttpResponse<String> wrongMethod = get("/v1/leave");
        assertEquals(405, wrongMethod.statusCode());
        assertTrue(wrongMethod.body().contains("use POST"));
        assertEquals(400, post("/v1/event", new byte[1]).statusCode(), "event needs a name");
        assertEquals(400, post("/v1/query?name=q&tag=nocolon", new byte[0]).statusCode());
        assertEquals(400, post("/v1/query?name=q&timeout=soon", new byte[0]).statusCode());
        assertEquals(413, post("/v1/broadcast", new byte[HttpApi.MAX_BODY + 1]).statusCode());
        assertEquals(400, post("/v1/join", new byte[0]).statusCode(), "join needs an address");
        assertTrue(calls.isEmpty(), "nothing reached the node: " + calls);
        HttpResponse<String> refused = post("/v1/join?addr=127.0.0.1:1", new byte[0]);
        assertEquals(502, refused.statusCode());
        assertTrue(refused.body().contains("127.0.0.1:1: connection refused"), refused.body());
    }

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), HttpApi.duration("500ms"));
        assertEquals(Duration.ofMillis(2500), HttpApi.duration("2.5s"));
        assertEquals(Duration.ofMinutes(1), HttpApi.duration("1m"));
        assertEquals(Duration.ofSeconds(3), HttpApi.duration("3"));
    }
}
