package dev.grapevine.keyringtool;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.wire.DecodeResult;
import dev.grapevine.membership.wire.SerfCodec;
import dev.grapevine.membership.wire.SerfPayload;
import dev.grapevine.serf.KeyOperation;
import dev.grapevine.serf.QueryOptions;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfMember;
import dev.grapevine.serf.SerfMemberStatus;
import dev.grapevine.transport.GrapevineNode;
import dev.grapevine.transport.JoinException;
import dev.grapevine.transport.QueryCallback;
import dev.grapevine.transport.QueryResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The tool's short-lived cluster member: a {@link GrapevineNode} in Serf mode that joins the
 * cluster, sends Serf's key queries ({@code _serf_install-key}, {@code _serf_use-key},
 * {@code _serf_remove-key}, {@code _serf_list-keys}) to chosen members, collects each member's
 * answer, and leaves gracefully (so members record it as {@code left}, never {@code failed}).
 *
 * <p>Unlike {@code serf keys}, which goes through an agent that counts itself, the tool is not a
 * member whose keys matter: it addresses the queries to the other members by name (a Serf node
 * filter) and ignores its own node. It speaks to Serf 0.9.4 agents and Grapevine nodes alike.
 * With a keyring, its node encrypts its gossip with that keyring (it must hold a key the cluster
 * has); without, it speaks plaintext.
 *
 * <p><b>Threading.</b> Used by one thread (the command's); every method blocks (joining, waiting
 * for answers, leaving). Answers arrive on the node's listener thread and are collected in a
 * concurrent map.
 */
final class ClusterSession implements KeyCluster, AutoCloseable {
    /** The longest a graceful leave waits for its news to spread. */
    static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(10);
    /** Extra wait after a query's deadline for the node's last answers to be delivered. */
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final int DEFAULT_PORT = 7946;

    private final GrapevineNode node;
    private final Progress progress;
    private final Duration timeout;
    private final int relayFactor;
    private boolean closed;

    private ClusterSession(GrapevineNode node, Progress progress, Duration timeout, int relayFactor) {
        this.node = node;
        this.progress = progress;
        this.timeout = timeout;
        this.relayFactor = relayFactor;
    }

    /**
     * Starts the tool's node and joins the cluster.
     *
     * @param cluster a member's gossip address, HOST:PORT
     * @param bind    where the tool's node listens, or null for the local address that routes to
     *                the cluster, port 0
     * @param name    the tool's node name, or null for {@code keyring-tool-<host>-<pid>}
     * @param timeout each query's timeout, or null for Serf's default for the cluster size
     * @param relayFactor how many other members relay each answer (Serf's relay factor, 0..5)
     * @param ring    the gossip keyring, or null for plaintext
     * @param security TLS and signing (its node name must be {@code name}), or null for neither
     * @throws ToolException usage (bad address), failed (cannot bind), unreachable (join failed)
     */
    static ClusterSession open(String cluster, String bind, String name, Duration timeout, int relayFactor,
                               Keyring ring, NodeSecurity security, Progress progress) {
        String bindTo = bind != null ? bind : autoBind(cluster);
        String nodeName = name != null ? name : defaultName();
        GrapevineNode.Builder b = GrapevineNode.builder().name(nodeName).bind(bindTo).config(MembershipConfig.lan())
                .serf(SerfConfig.defaults()).tags(Map.of("role", "keyring-tool"));
        if (ring != null) {
            b.keyring(ring);
        }
        boolean secured = security != null && security.enabled();
        if (secured) {
            security.apply(b);
        }
        GrapevineNode node;
        try {
            node = b.start();
        } catch (IllegalArgumentException e) {
            throw ToolException.usage("--bind: " + e.getMessage());
        } catch (UncheckedIOException | IllegalStateException e) {
            throw ToolException.failed("cannot start the tool's node on " + bindTo + ": " + e.getMessage());
        }
        progress.step("Joining " + cluster + " as " + nodeName + " (" + node.advertiseAddress() + ")"
                + (ring == null ? ", plaintext gossip" : ", encrypted gossip") + (secured ? ", " + security.describe()
                : ""));
        try {
            node.join(cluster);
        } catch (JoinException e) {
            node.close();
            throw new ToolException(ExitCodes.UNREACHABLE, "cannot join the cluster at " + cluster + ": "
                    + String.join("; ", e.failures()) + (ring == null
                    ? " (if the cluster encrypts its gossip, give --keyring-file or --encrypt)"
                    : " (check that the cluster holds the key given by --keyring-file or --encrypt)")
                    + (secured ? "; with " + security.describe() + ": check that the cluster uses the same --tls and"
                    + " --signing settings and that --tls-ca is its CA" : ""));
        } catch (IllegalArgumentException e) {
            node.close();
            throw ToolException.usage("--cluster: " + e.getMessage());
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return new ClusterSession(node, progress, timeout, relayFactor);
    }

    /** The tool's node name. */
    String name() {
        return node.name();
    }

    /** The other members with their Serf status (the tool's view). */
    List<SerfMember> others() {
        List<SerfMember> out = new ArrayList<>();
        for (SerfMember m : node.serfMembers()) {
            if (!m.name().equals(node.name())) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * The members whose answers count: alive ones, and also failed ones when
     * {@code includeFailed} (a failed member may come back holding only the keys it had).
     */
    @Override
    public Set<String> required(boolean includeFailed) {
        Set<String> out = new TreeSet<>();
        for (SerfMember m : others()) {
            if (m.status() == SerfMemberStatus.ALIVE || includeFailed && m.status() == SerfMemberStatus.FAILED) {
                out.add(m.name());
            }
        }
        return out;
    }

    /** The members the tool holds as failed. */
    @Override
    public Set<String> failed() {
        Set<String> out = new TreeSet<>();
        for (SerfMember m : others()) {
            if (m.status() == SerfMemberStatus.FAILED) {
                out.add(m.name());
            }
        }
        return out;
    }

    /**
     * Sends one key query to {@code targets} (by name) and waits until each has answered or the
     * query's deadline passed, printing progress every second.
     *
     * @param op      the operation
     * @param key     the key (ignored for list)
     * @param targets the members to ask
     * @param what    the step, for progress ("Installing key [id ...]")
     * @return every target's answer (and any other member's that answered)
     */
    @Override
    public Answers ask(KeyOperation op, byte[] key, Collection<String> targets, String what) {
        Set<String> asked = new TreeSet<>(targets);
        asked.remove(node.name());
        if (asked.isEmpty()) {
            return new Answers(asked, Map.of());
        }
        progress.step(what + " (" + asked.size() + (asked.size() == 1 ? " member" : " members") + ")...");
        byte[] payload = SerfCodec.encodeKeyRequest(new SerfPayload.KeyRequest(op == KeyOperation.LIST ? new byte[0]
                : key.clone()));
        Duration t = timeout != null ? timeout : defaultTimeout();
        Map<String, NodeAnswer> received = new ConcurrentHashMap<>();
        CompletableFuture<Void> allAnswered = new CompletableFuture<>();
        QueryCallback callback = new QueryCallback() {
            @Override
            public void onResponse(String from, byte[] answer) {
                if (from.equals(node.name())) {
                    return;
                }
                received.putIfAbsent(from, decode(from, answer));
                if (received.keySet().containsAll(asked)) {
                    allAnswered.complete(null);
                }
            }
        };
        long start = System.nanoTime();
        List<CompletableFuture<QueryResult>> queries = new ArrayList<>();
        try {
            send(op, payload, new ArrayList<>(asked), t, callback, queries);
        } finally {
            java.util.Arrays.fill(payload, (byte) 0);
        }
        CompletableFuture<Void> deadline = CompletableFuture.allOf(queries.toArray(new CompletableFuture<?>[0]));
        CompletableFuture<Object> done = CompletableFuture.anyOf(allAnswered, deadline);
        long giveUp = start + t.plus(GRACE).toNanos();
        while (!done.isDone() && System.nanoTime() < giveUp) {
            try {
                done.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                progress.detail(received.size() + "/" + asked.size() + " answered");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ToolException.failed("interrupted while waiting for answers");
            } catch (ExecutionException e) {
                throw ToolException.failed("the query failed: " + e.getCause());
            }
        }
        Answers answers = new Answers(asked, Map.copyOf(received));
        int answered = (int) asked.stream().filter(received::containsKey).count();
        progress.step(answered + "/" + asked.size() + " answered in "
                + String.format(java.util.Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9));
        if (answered < asked.size()) {
            Set<String> silent = new TreeSet<>(asked);
            silent.removeAll(received.keySet());
            progress.detail("no answer from: " + Progress.names(silent));
        }
        return answers;
    }

    /** Starts one query per chunk of names small enough for Serf's query size limit. */
    private void send(KeyOperation op, byte[] payload, List<String> names, Duration t, QueryCallback callback,
                      List<CompletableFuture<QueryResult>> queries) {
        QueryOptions opts = QueryOptions.builder().filterNodes(names).timeout(t).relayFactor(relayFactor).build();
        try {
            queries.add(node.query(op.queryName(), payload, opts, callback));
        } catch (IllegalArgumentException e) {
            if (names.size() == 1) {
                throw ToolException.failed("cannot address member " + names.get(0) + ": " + e.getMessage());
            }
            int half = names.size() / 2;
            send(op, payload, names.subList(0, half), t, callback, queries);
            send(op, payload, names.subList(half, names.size()), t, callback, queries);
        }
    }

    /** Serf's default query timeout for the cluster's size: gossip interval x 16 x ceil(log10(n + 1)). */
    private Duration defaultTimeout() {
        int n = Math.max(1, node.numMembers());
        long g = MembershipConfig.lan().gossipInterval().toNanos();
        return Duration.ofNanos(g * SerfConfig.defaults().queryTimeoutMult() * (long) Math.ceil(Math.log10(n + 1.0)));
    }

    /** One member's answer, decoded as Serf's {@code KeyManager} does. */
    static NodeAnswer decode(String from, byte[] payload) {
        if (payload == null || payload.length == 0 || (payload[0] & 0xff) != 8) {
            return new NodeAnswer(from, NodeAnswer.Status.ERROR, "invalid key query response type", List.of(), "");
        }
        DecodeResult<SerfPayload.KeyResponse> r = SerfCodec.decodeKeyResponse(payload);
        if (!r.ok()) {
            return new NodeAnswer(from, NodeAnswer.Status.ERROR, "failed to decode key query response", List.of(), "");
        }
        SerfPayload.KeyResponse k = r.value();
        return new NodeAnswer(from, k.result() ? NodeAnswer.Status.OK : NodeAnswer.Status.ERROR,
                sanitize(k.message()), k.keys() == null ? List.of() : k.keys(), k.primaryKey());
    }

    /** A member's message as the tool shows it: printable, at most 200 characters, key-like words redacted. */
    static String sanitize(String message) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < message.length() && sb.length() < 200; i++) {
            char c = message.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        if (message.length() > 200) {
            sb.append("...");
        }
        return Keys.redact(sb.toString());
    }

    /** Leaves gracefully and stops the node. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            boolean left = node.leave(LEAVE_TIMEOUT);
            if (!left) {
                progress.note("the leave did not finish spreading within " + LEAVE_TIMEOUT.toSeconds()
                        + " s; members may hold " + node.name() + " as failed for a while");
            }
        } catch (RuntimeException e) {
            progress.note("leaving failed: " + e.getMessage());
        } finally {
            node.close();
        }
    }

    private static String defaultName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        int dot = host.indexOf('.');
        if (dot > 0) {
            host = host.substring(0, dot);
        }
        return "keyring-tool-" + host + "-" + ProcessHandle.current().pid();
    }

    /**
     * The local address the system routes to the cluster address from, port 0 (a UDP "connect"
     * sends nothing). Falls back to 127.0.0.1:0 for a loopback or unresolvable cluster address.
     */
    static String autoBind(String cluster) {
        InetSocketAddress target = parseHostPort(cluster);
        try {
            InetAddress a = InetAddress.getByName(target.getHostString());
            if (a.isLoopbackAddress()) {
                return a instanceof Inet6Address ? "[::1]:0" : "127.0.0.1:0";
            }
            try (DatagramSocket s = new DatagramSocket()) {
                s.connect(new InetSocketAddress(a, target.getPort()));
                InetAddress local = s.getLocalAddress();
                if (local == null || local.isAnyLocalAddress()) {
                    return "0.0.0.0:0";
                }
                return local instanceof Inet6Address ? "[" + local.getHostAddress() + "]:0" : local.getHostAddress() + ":0";
            }
        } catch (UnknownHostException e) {
            throw new ToolException(ExitCodes.UNREACHABLE, "--cluster: cannot resolve host '" + target.getHostString()
                    + "'");
        } catch (IOException | RuntimeException e) {
            return "0.0.0.0:0";
        }
    }

    /** HOST:PORT, [V6]:PORT, HOST (port 7946) or a bare IPv6 literal, unresolved. */
    static InetSocketAddress parseHostPort(String s) {
        String t = s.strip();
        String host;
        int port = DEFAULT_PORT;
        try {
            if (t.startsWith("[")) {
                int end = t.indexOf(']');
                if (end < 0) {
                    throw new IllegalArgumentException("missing ']'");
                }
                host = t.substring(1, end);
                String rest = t.substring(end + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        throw new IllegalArgumentException("expected ':' after ']'");
                    }
                    port = Integer.parseInt(rest.substring(1));
                }
            } else if (t.indexOf(':') != t.lastIndexOf(':')) {
                host = t; // a bare IPv6 literal
            } else if (t.indexOf(':') >= 0) {
                host = t.substring(0, t.indexOf(':'));
                port = Integer.parseInt(t.substring(t.indexOf(':') + 1));
            } else {
                host = t;
            }
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("empty host or port out of range");
            }
            return InetSocketAddress.createUnresolved(host, port);
        } catch (IllegalArgumentException e) {
            throw ToolException.usage("--cluster must be HOST:PORT, [IPV6]:PORT or HOST, not '" + Keys.redact(s) + "' ("
                    + e.getMessage() + ")");
        }
    }
}
