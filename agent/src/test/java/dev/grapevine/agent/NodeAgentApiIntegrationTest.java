package dev.grapevine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.transport.GrapevineNode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The HTTP API over a real node: {@code POST /v1/join} joins, and names the seed when it fails. */
@Tag("integration")
class NodeAgentApiIntegrationTest {

    private static GrapevineNode node(String name) {
        return GrapevineNode.builder().name(name).bind("127.0.0.1:0").config(MembershipConfig.local())
                .serf(SerfConfig.defaults()).tags(Map.of("role", name)).start();
    }

    @Test
    void joinThroughTheHttpApi() throws Exception {
        try (GrapevineNode a = node("a"); GrapevineNode b = node("b");
             HttpApi api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), new NodeAgentApi(b))) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + api.address().getPort();

            HttpResponse<String> joined = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/join?addr=127.0.0.1:"
                    + a.boundAddress().getPort())).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, joined.statusCode(), joined.body());
            assertEquals("{\"contacted\":1}", joined.body());
            String members = "";
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline) {
                members = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/members")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                if (members.contains("\"name\":\"a\"") && members.contains("\"role\":\"a\"")) {
                    break;
                }
                Thread.sleep(20);
            }
            assertTrue(members.contains("\"name\":\"a\"") && members.contains("\"state\":\"alive\""), members);

            int closed = SerfAgents.freePort(); // nothing listens there
            HttpResponse<String> refused = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/join?addr=127.0.0.1:"
                    + closed)).timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(502, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("127.0.0.1:" + closed), refused.body());
        }
    }
}
