package dev.grapevine.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.grapevine.transport.JoinException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's HTTP API (JSON), on the JDK's built-in HTTP server:
 *
 * <pre>
 * GET  /v1/members    [{"name","addr","port","state","status","incarnation","tags"}]
 * GET  /v1/health     {"node","health_score","members":{"alive":n,...}}
 * GET  /v1/metrics    Prometheus text
 * GET  /v1/events     [{"ltime","name","payload"(base64),"coalesce","received_ms"}]
 * POST /v1/broadcast  body = payload; ?name= (default "broadcast")
 * POST /v1/event      body = payload; ?name=NAME[&amp;coalesce=true]
 * POST /v1/query      body = payload; ?name=NAME[&amp;node=N...][&amp;tag=K:REGEX...][&amp;ack=true]
 *                     [&amp;timeout=2s][&amp;relay=R]  -> {"acks":[...],"responses":[{"from","payload"}]}
 * POST /v1/join       ?addr=HOST:PORT[&amp;addr=...] joins through those seeds -> {"contacted":n};
 *                     502 {"error"} naming each seed when none answered
 * POST /v1/leave      leaves gracefully -> {"left":true|false}
 * </pre>
 *
 * <p>Binds loopback unless told otherwise. Request bodies are capped at {@value #MAX_BODY} bytes.
 * Requests run on a small worker pool, never on the node's event loop.
 */
final class HttpApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    static final int MAX_BODY = 64 * 1024;

    private final HttpServer server;
    private final ExecutorService workers;
    private final AgentApi api;

    HttpApi(InetSocketAddress bind, AgentApi api) throws IOException {
        this.api = api;
        this.server = HttpServer.create(bind, 16);
        this.workers = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "grapevine-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(workers);
        server.createContext("/v1/", this::handle);
        server.start();
    }

    /** The address actually bound (its port when 0 was asked for). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
        try {
            workers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
            switch (path) {
                case "/v1/members" -> {
                    if (expect(ex, method, "GET")) {
                        json(ex, 200, members());
                    }
                }
                case "/v1/health" -> {
                    if (expect(ex, method, "GET")) {
                        AgentApi.Health h = api.health();
                        Json j = new Json().beginObject().field("node", h.node()).field("health_score", h.healthScore())
                                .name("members").beginObject();
                        h.members().forEach((k, v) -> j.field(k, v));
                        json(ex, 200, j.endObject().endObject().toString());
                    }
                }
                case "/v1/metrics" -> {
                    if (expect(ex, method, "GET")) {
                        send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", api.metrics());
                    }
                }
                case "/v1/events" -> {
                    if (expect(ex, method, "GET")) {
                        Json j = new Json().beginArray();
                        for (AgentApi.EventInfo e : api.events()) {
                            j.beginObject().field("ltime", e.ltime()).field("name", e.name())
                                    .field("payload", Base64.getEncoder().encodeToString(e.payload()))
                                    .field("coalesce", e.coalesce()).field("received_ms", e.receivedAtMillis())
                                    .endObject();
                        }
                        json(ex, 200, j.endArray().toString());
                    }
                }
                case "/v1/broadcast" -> {
                    if (expect(ex, method, "POST")) {
                        byte[] body = body(ex);
                        if (body != null) {
                            api.broadcast(first(q, "name", "broadcast"), body);
                            json(ex, 200, "{\"queued\":true}");
                        }
                    }
                }
                case "/v1/event" -> {
                    if (expect(ex, method, "POST")) {
                        String name = first(q, "name", null);
                        byte[] body = body(ex);
                        if (name == null || name.isEmpty()) {
                            error(ex, 400, "missing ?name=");
                        } else if (body != null) {
                            api.event(name, body, Boolean.parseBoolean(first(q, "coalesce", "false")));
                            json(ex, 200, "{\"queued\":true}");
                        }
                    }
                }
                case "/v1/query" -> {
                    if (expect(ex, method, "POST")) {
                        query(ex, q);
                    }
                }
                case "/v1/join" -> {
                    if (expect(ex, method, "POST")) {
                        join(ex, q.getOrDefault("addr", List.of()));
                    }
                }
                case "/v1/leave" -> {
                    if (expect(ex, method, "POST")) {
                        boolean left = api.leave();
                        json(ex, 200, "{\"left\":" + left + "}");
                    }
                }
                default -> error(ex, 404, "no such endpoint: " + path);
            }
        } catch (IllegalArgumentException e) {
            error(ex, 400, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(ex, 503, "interrupted");
        } catch (RuntimeException e) {
            LOG.warn("HTTP {} {} failed: {}", ex.getRequestMethod(), ex.getRequestURI().getPath(), e.toString());
            error(ex, 500, e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            ex.close();
        }
    }

    private void join(HttpExchange ex, List<String> seeds) throws IOException {
        if (seeds.isEmpty()) {
            error(ex, 400, "missing ?addr=HOST:PORT");
            return;
        }
        try {
            int contacted = api.join(seeds);
            json(ex, 200, "{\"contacted\":" + contacted + "}");
        } catch (JoinException e) {
            error(ex, 502, e.getMessage());
        }
    }

    private String members() {
        Json j = new Json().beginArray();
        for (AgentApi.MemberInfo m : api.members()) {
            j.beginObject().field("name", m.name()).field("addr", m.addr()).field("port", m.port())
                    .field("state", m.state()).field("status", m.status()).field("incarnation", m.incarnation())
                    .name("tags").object(m.tags()).endObject();
        }
        return j.endArray().toString();
    }

    private void query(HttpExchange ex, Map<String, List<String>> q) throws IOException, InterruptedException {
        String name = first(q, "name", null);
        if (name == null || name.isEmpty()) {
            error(ex, 400, "missing ?name=");
            return;
        }
        byte[] body = body(ex);
        if (body == null) {
            return;
        }
        Map<String, String> tags = new LinkedHashMap<>();
        for (String t : q.getOrDefault("tag", List.of())) {
            int colon = t.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("tag filter must be KEY:REGEX, got " + t);
            }
            tags.put(t.substring(0, colon), t.substring(colon + 1));
        }
        String timeout = first(q, "timeout", null);
        AgentApi.QueryParams params = new AgentApi.QueryParams(q.getOrDefault("node", List.of()), tags,
                Boolean.parseBoolean(first(q, "ack", "false")), timeout == null ? null : duration(timeout),
                Integer.parseInt(first(q, "relay", "0")));
        AgentApi.QueryOutcome out = api.query(name, body, params);
        Json j = new Json().beginObject().name("acks").beginArray();
        for (String a : out.acks()) {
            j.value(a);
        }
        j.endArray().name("responses").beginArray();
        for (AgentApi.QueryAnswer r : out.responses()) {
            j.beginObject().field("from", r.from())
                    .field("payload", Base64.getEncoder().encodeToString(r.payload())).endObject();
        }
        json(ex, 200, j.endArray().endObject().toString());
    }

    /** Parses {@code 500ms}, {@code 2s}, {@code 1m} or plain seconds. */
    static Duration duration(String s) {
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            if (s.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
            }
            if (s.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad duration: " + s);
        }
    }

    private static boolean expect(HttpExchange ex, String method, String wanted) throws IOException {
        if (!method.equals(wanted)) {
            ex.getResponseHeaders().set("Allow", wanted);
            error(ex, 405, method + " not allowed; use " + wanted);
            return false;
        }
        return true;
    }

    /** The request body, or null after answering 413 when it is larger than {@link #MAX_BODY}. */
    private static byte[] body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) {
                error(ex, 413, "body larger than " + MAX_BODY + " bytes");
                return null;
            }
            return b;
        }
    }

    static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    private static String first(Map<String, List<String>> q, String key, String fallback) {
        List<String> v = q.get(key);
        return v == null || v.isEmpty() ? fallback : v.get(0);
    }

    private static void json(HttpExchange ex, int status, String body) throws IOException {
        send(ex, status, "application/json", body);
    }

    private static void error(HttpExchange ex, int status, String message) throws IOException {
        json(ex, status, new Json().beginObject().field("error", message).endObject().toString());
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }
}
