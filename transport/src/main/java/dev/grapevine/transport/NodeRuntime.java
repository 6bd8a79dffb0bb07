package dev.grapevine.transport;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.membership.ClaimAuthority;
import dev.grapevine.membership.Delegate;
import dev.grapevine.membership.Host;
import dev.grapevine.membership.Member;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Rejection;
import dev.grapevine.membership.StreamRequest;
import dev.grapevine.membership.Timer;
import dev.grapevine.serf.IncomingQuery;
import dev.grapevine.serf.KeyQuery;
import dev.grapevine.serf.KeyResponse;
import dev.grapevine.serf.QueryHandle;
import dev.grapevine.serf.QueryOptions;
import dev.grapevine.serf.SerfCore;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfHost;
import dev.grapevine.serf.SerfMember;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime behind a {@link GrapevineNode}: one single-thread event loop running the node's
 * {@link MembershipCore}, its UDP socket, its TCP listener, the stream connections and the
 * core's timers; and the core's {@link Host}, turning its effects into socket writes, connections,
 * scheduled tasks and listener events.
 *
 * <p><b>Threading.</b> Everything marked loop-confined is touched only on the event loop, so no
 * lock guards the protocol path. Methods documented as callable from other threads hand work to
 * the loop ({@link #call} waits for it, {@link #execute} does not). The core is never re-entered:
 * its host callbacks defer every call back into it with {@link EventLoop#execute}.
 */
final class NodeRuntime implements Host, SerfHost, PacketHandler.Sink, OutboundStreamHandler.Completion {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);

    /** memberlist's {@code udpRecvBufSize}: the socket receive buffer asked for, halved until accepted. */
    static final int UDP_RECEIVE_BUFFER_BYTES = 2 << 20;
    /** memberlist's {@code udpPacketBufSize}: the largest datagram read. */
    static final int MAX_DATAGRAM_BYTES = 65_536;
    /** Binding port 0 retries this often when the TCP port picked is taken for UDP (memberlist: 10). */
    static final int PORT_ZERO_ATTEMPTS = 10;
    /** How long a blocking query waits for the loop before giving up. */
    private static final long CALL_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String name;
    private final IoTransport io;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final PacketEnvelope packetEnvelope;
    private final StreamEnvelope streamEnvelope;
    private final ListenerDispatcher listeners;
    private final int maxStreamBytes;
    private final int maxConcurrentPushPulls;
    private final ChannelGroup channels;
    private final AtomicBoolean closing = new AtomicBoolean();
    /** TLS mode when set (every stream is TLS; the admission rule of {@link TlsAdmission} applies). */
    private StreamTls tls;
    /** Signing mode when set. */
    private ClaimAuthority authority;
    /** The gossip keyring, or null; and whether a key decrypts a datagram (label and version applied). */
    private Keyring keyring;
    private BiPredicate<byte[], byte[]> keyOpens = (key, datagram) -> false;

    // ---- loop-confined ----------------------------------------------------------------------
    private final TransportCounters counters = new TransportCounters();
    private final RateLimitedLog rejectLog = new RateLimitedLog(LOG, LOG_INTERVAL_NANOS);
    private final RateLimitedLog ioLog = new RateLimitedLog(LOG, LOG_INTERVAL_NANOS);
    private final Map<Long, CompletableFuture<MembershipEvent.JoinCompleted>> joins = new HashMap<>();
    private MembershipCore core;
    /** The Serf layer over the core, in Serf mode; null otherwise. */
    private SerfCore serf;
    private final Map<QueryHandle, PendingQuery> queries = new HashMap<>();
    private final Map<KeyQuery, CompletableFuture<KeyResponse>> keyQueries = new HashMap<>();
    private StreamPipelines pipelines;
    /** Asks for the keyring when this node's key went stale, and answers such requests (TLS with a keyring). */
    private KeyringRecovery recovery;
    private long streamTimeoutNanos;
    /** TLS mode: who may enter the member list; null otherwise. */
    private TlsAdmission admission;
    private CompletableFuture<Boolean> leave;
    /** Set only while the core is inside {@code sendReliable}, to pair its stream with the caller's future. */
    private CompletableFuture<Void> pendingReliable;
    private boolean closed;

    // ---- written before the loop serves the channels, or volatile ------------------------------
    private Channel udp;
    private Channel tcp;
    private volatile boolean running;
    private volatile NodeMetrics finalMetrics;

    NodeRuntime(String name, IoTransport io, PacketEnvelope packetEnvelope, StreamEnvelope streamEnvelope,
                ListenerDispatcher listeners, int maxStreamBytes, int maxConcurrentPushPulls) {
        this.name = name;
        this.io = io;
        this.packetEnvelope = packetEnvelope;
        this.streamEnvelope = streamEnvelope;
        this.listeners = listeners;
        this.maxStreamBytes = maxStreamBytes;
        this.maxConcurrentPushPulls = maxConcurrentPushPulls;
        this.group = new MultiThreadIoEventLoopGroup(1, NodeThreads.eventLoop(name), io.handlerFactory());
        this.loop = group.next();
        this.channels = new DefaultChannelGroup("grapevine-" + name, loop);
        packetEnvelope.attach(counters);
        streamEnvelope.attach(counters);
    }

    // =============================================================================================
    // Start-up (caller's thread)
    // =============================================================================================

    /**
     * Sets the security modes, before {@link #bind}: TLS on every stream (with the TLS admission
     * rule) when {@code streamTls} is given, signing mode when {@code claimAuthority} is.
     */
    void security(StreamTls streamTls, ClaimAuthority claimAuthority) {
        this.tls = streamTls;
        this.authority = claimAuthority;
    }

    /**
     * Sets the gossip keyring, before {@link #start}, for keyring recovery (which runs with TLS
     * only): {@code keyOpens} tells whether a key decrypts a datagram with the node's label and
     * encryption version.
     */
    void keyring(Keyring ring, BiPredicate<byte[], byte[]> opens) {
        this.keyring = ring;
        this.keyOpens = opens;
    }

    /**
     * Binds TCP and UDP on the same port (TCP first, as memberlist; port 0 picks a free one and
     * retries when UDP cannot have it). Sockets do not read until {@link #start}.
     *
     * @return the bind address with the real port
     * @throws UncheckedIOException naming the address when binding fails
     */
    InetSocketAddress bind(InetSocketAddress requested) {
        int attempts = requested.getPort() == 0 ? PORT_ZERO_ATTEMPTS : 1;
        IOException last = null;
        for (int i = 0; i < attempts; i++) {
            Channel t = null;
            try {
                t = bindTcp(requested);
                int port = ((InetSocketAddress) t.localAddress()).getPort();
                InetSocketAddress actual = new InetSocketAddress(requested.getAddress(), port);
                udp = bindUdp(actual);
                tcp = t;
                channels.add(udp);
                channels.add(tcp);
                LOG.debug("node {} bound UDP and TCP on {} ({})", name, actual, io.name());
                return actual;
            } catch (IOException e) {
                last = e;
                if (t != null) {
                    t.close().awaitUninterruptibly();
                }
            }
        }
        throw new UncheckedIOException("cannot bind UDP and TCP on " + describe(requested) + ": " + last.getMessage(),
                last);
    }

    private Channel bindTcp(InetSocketAddress address) throws IOException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(io.server())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        pipelines.initInbound(ch);
                    }
                });
        return await(b.bind(address), "TCP");
    }

    private Channel bindUdp(InetSocketAddress address) throws IOException {
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(io.datagram())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM_BYTES))
                .handler(new PacketHandler(this, ioLog));
        Channel ch = await(b.bind(address), "UDP");
        for (int size = UDP_RECEIVE_BUFFER_BYTES; size > 0; size /= 2) {
            try {
                ch.config().setOption(ChannelOption.SO_RCVBUF, size);
                LOG.debug("node {}: UDP receive buffer {} bytes", name, size);
                break;
            } catch (ChannelException e) {
                // memberlist: halve until the OS accepts it
            }
        }
        return ch;
    }

    private static Channel await(ChannelFuture f, String what) throws IOException {
        f.awaitUninterruptibly();
        if (f.isSuccess()) {
            return f.channel();
        }
        Throwable cause = f.cause();
        if (cause instanceof IOException io) {
            throw io;
        }
        throw new IOException(what + ": " + cause, cause);
    }

    /**
     * Builds and starts the core (under the Serf layer in Serf mode) on the loop, then lets the
     * sockets read.
     *
     * @param delegate the core's hooks, or null
     * @param serfSetup the Serf layer's setup, or null for a plain memberlist node
     */
    void start(MembershipConfig config, NodeAddress advertise, byte[] meta, Delegate delegate, SerfSetup serfSetup) {
        callOnLoop(() -> {
            MembershipCore.Builder b = MembershipCore.builder()
                    .config(config)
                    .name(name)
                    .advertise(advertise)
                    .meta(meta)
                    .host(this)
                    .clock(System::nanoTime)
                    .random(new SplittableRandom())
                    .packetOverhead(packetEnvelope.overhead());
            if (delegate != null) {
                b.delegate(delegate);
            }
            if (authority != null) {
                b.authority(authority);
            }
            if (tls != null) {
                admission = new TlsAdmission(System::nanoTime, authority != null, this::verify);
                b.admission(admission);
            }
            if (serfSetup != null) {
                SerfCore.Builder sb = SerfCore.builder().config(serfSetup.config()).tags(serfSetup.tags())
                        .host(this).clock(System::nanoTime).random(new SplittableRandom()).membership(b);
                if (serfSetup.keyring() != null) {
                    sb.keyring(serfSetup.keyring());
                }
                serf = sb.build();
                core = serf.core();
            } else {
                core = b.build();
            }
            streamTimeoutNanos = config.streamTimeout().toNanos();
            recovery = new KeyringRecovery(name, keyring, tls != null, new RecoveryNode(), counters, System::nanoTime,
                    new SplittableRandom(), Math.max(TimeUnit.SECONDS.toNanos(2), 2 * config.probeInterval().toNanos()));
            if (recovery.watchesPackets()) {
                packetEnvelope.observe(recovery);
            }
            pipelines = new StreamPipelines(core, streamEnvelope, counters, ioLog, maxStreamBytes,
                    maxConcurrentPushPulls, streamTimeoutNanos, channels::add, tls, recovery);
            core.start();
            running = true;
            udp.config().setAutoRead(true);
            tcp.config().setAutoRead(true);
            return null;
        });
    }

    // =============================================================================================
    // Host: called by the core, on the loop
    // =============================================================================================

    @Override
    public void sendPacket(NodeAddress to, byte[] packet) {
        if (closed) {
            return;
        }
        byte[] wire = packetEnvelope.seal(packet);
        if (wire == null) {
            return;
        }
        int length = wire.length;
        udp.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(wire), to.toInetSocketAddress()))
                .addListener(f -> {
                    if (f.isSuccess()) {
                        counters.packetBytesSent += length;
                    } else {
                        counters.packetSendFailures++;
                        ioLog.debug("UDP send of " + length + " bytes to " + to + " failed: " + f.cause());
                    }
                });
    }

    @Override
    public void openStream(StreamRequest request) {
        CompletableFuture<Void> written = null;
        if (request.kind() == StreamRequest.Kind.USER_MESSAGE) {
            written = pendingReliable;
            pendingReliable = null;
        }
        if (closed) {
            if (written != null) {
                written.completeExceptionally(new IllegalStateException("node " + name + " is closed"));
            }
            return;
        }
        connect(request, new OutboundStreamHandler(request, streamEnvelope, counters, this, written));
    }

    /**
     * Keyring recovery's request: a stream of its own, TLS like every stream here (the handshake
     * expects {@code peer}'s certificate), whose answer or failure goes to {@code completion}
     * instead of the core. The core's PING kind is borrowed only for "read one reply".
     */
    private void openKeyringStream(NodeAddress address, String peer, byte[] payload,
                                   OutboundStreamHandler.Completion completion) {
        if (closed) {
            completion.failure(0, "node " + name + " is closed");
            return;
        }
        StreamRequest request = new StreamRequest(0, StreamRequest.Kind.PING, address, peer, payload,
                streamTimeoutNanos);
        connect(request, new OutboundStreamHandler(request, streamEnvelope, counters, completion, null));
    }

    private void connect(StreamRequest request, OutboundStreamHandler handler) {
        counters.streamsOpened++;
        long connectMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(request.timeoutNanos()));
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(io.socket())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectMillis))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        pipelines.initOutbound(ch, handler);
                    }
                });
        handler.watch(b.connect(request.target().toInetSocketAddress()));
    }

    @Override
    public void schedule(Timer timer, long delayNanos) {
        loop.schedule(() -> {
            if (!closed) {
                core.handleTimer(timer);
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void emit(MembershipEvent event) {
        if (event instanceof MembershipEvent.JoinCompleted jc) {
            CompletableFuture<MembershipEvent.JoinCompleted> f = joins.remove(jc.joinId());
            if (f != null) {
                f.complete(jc);
            }
            if (jc.contacted() > 0 && recovery.watchesPackets()) {
                recovery.joined();
            }
        } else if (event instanceof MembershipEvent.LeaveCompleted lc) {
            if (leave != null && serf == null) {
                leave.complete(lc.propagated());
            }
        } else {
            listeners.dispatch(event);
        }
    }

    // =============================================================================================
    // SerfHost: called by the Serf layer, on the loop
    // =============================================================================================

    @Override
    public void emit(SerfEvent event) {
        if (event instanceof SerfEvent.QueryAck a) {
            PendingQuery q = queries.get(a.query());
            if (q != null && q.callback != null) {
                listeners.run(() -> q.callback.onAck(a.from()));
            }
        } else if (event instanceof SerfEvent.QueryResponse r) {
            PendingQuery q = queries.get(r.query());
            if (q != null && q.callback != null) {
                byte[] payload = r.payload().clone();
                listeners.run(() -> q.callback.onResponse(r.from(), payload));
            }
        } else if (event instanceof SerfEvent.QueryDone d) {
            PendingQuery q = queries.remove(d.query());
            if (q != null) {
                QueryResult result = new QueryResult(d.query().name(), List.copyOf(d.query().acks()),
                        d.query().responses());
                listeners.run(() -> q.future.complete(result));
            }
        } else if (event instanceof SerfEvent.KeyQueryDone k) {
            CompletableFuture<KeyResponse> f = keyQueries.remove(k.operation());
            if (f != null) {
                KeyResponse response = k.operation().response();
                listeners.run(() -> f.complete(response));
            }
        } else if (event instanceof SerfEvent.LeaveCompleted lc) {
            if (leave != null) {
                leave.complete(lc.memberlistPropagated());
            }
        } else {
            listeners.dispatch(event);
        }
    }

    @Override
    public void rejectedMessage(NodeAddress from, Rejection reason, String detail) {
        rejectLog.debug("node " + name + " dropped a Serf message from " + from + ": " + reason + " (" + detail + ")");
    }

    /** A query this node started, until its deadline. */
    private record PendingQuery(CompletableFuture<QueryResult> future, QueryCallback callback) {
    }

    @Override
    public void rejected(NodeAddress from, Rejection reason, String detail) {
        rejectLog.debug("node " + name + " dropped input from " + (from == null ? "a reply" : from) + ": " + reason
                + " (" + detail + ")");
    }

    // =============================================================================================
    // Socket callbacks, on the loop
    // =============================================================================================

    @Override
    public void packet(InetSocketAddress sender, byte[] bytes) {
        counters.packetBytesReceived += bytes.length;
        if (closed || core == null) {
            return;
        }
        byte[] plain = packetEnvelope.open(bytes, sender);
        if (plain != null) {
            core.handlePacket(NodeAddress.of(sender), plain, 0, plain.length);
        }
    }

    @Override
    public void reply(long streamId, byte[] message) {
        reply(streamId, null, message);
    }

    @Override
    public void reply(long streamId, String peer, byte[] message) {
        deferToCore(() -> core.handleStreamReply(streamId, peer, message, 0, message.length));
    }

    @Override
    public void authenticated(StreamRequest request, String peer) {
        if (admission != null) {
            admission.authenticated(peer, request.target());
        }
    }

    /** TLS admission: verifies a node heard of by a push/pull that expects its certificate. */
    private void verify(NodeAddress address, String node) {
        ioLog.debug("node " + name + ": verifying " + node + "@" + address + " by a TLS push/pull before admitting it");
        deferToCore(() -> {
            if (!core.isShutdown() && !core.isLeaving()) {
                core.pushPull(address, node);
            }
        });
    }

    @Override
    public void failure(long streamId, String reason) {
        deferToCore(() -> core.handleStreamFailure(streamId, reason));
    }

    private void deferToCore(Runnable r) {
        try {
            loop.execute(() -> {
                if (!closed) {
                    r.run();
                }
            });
        } catch (RejectedExecutionException e) {
            // the loop is stopping: the core is shut down and would ignore it
        }
    }

    /** What keyring recovery sees of this node; on the loop, outside the core's own calls. */
    private final class RecoveryNode implements KeyringRecovery.Node {
        @Override
        public Map<NodeAddress, String> liveMembers() {
            Map<NodeAddress, String> out = new HashMap<>();
            for (Member m : core.members()) {
                if (!m.name().equals(name) && (m.state() == MemberState.ALIVE || m.state() == MemberState.SUSPECT)) {
                    out.put(m.address(), m.name());
                }
            }
            return out;
        }

        @Override
        public void openStream(NodeAddress address, String peer, byte[] request,
                               OutboundStreamHandler.Completion completion) {
            openKeyringStream(address, peer, request, completion);
        }

        @Override
        public boolean opens(byte[] key, byte[] datagram) {
            return keyOpens.test(key, datagram);
        }

        @Override
        public void resync(NodeAddress address, String peer) {
            deferToCore(() -> {
                if (!core.isShutdown() && !core.isLeaving()) {
                    core.pushPull(address, peer);
                }
            });
        }

        @Override
        public void schedule(Runnable task, long delayNanos) {
            try {
                loop.schedule(() -> {
                    if (!closed) {
                        task.run();
                    }
                }, delayNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // the loop is stopping
            }
        }
    }

    // =============================================================================================
    // Operations for GrapevineNode
    // =============================================================================================

    /** Asks {@code peer} for its keyring now (keyring recovery's rule for adopting it applies). */
    CompletableFuture<KeyringRecovery.Outcome> recoverKeyringFrom(NodeAddress address, String peer) {
        return call(() -> recovery.requestFrom(address, peer));
    }

    /** Starts a join on the loop; the future completes (on the loop) with the core's outcome. */
    CompletableFuture<MembershipEvent.JoinCompleted> join(Collection<NodeAddress> seeds) {
        return call(() -> {
            if (seeds.isEmpty()) {
                throw new IllegalArgumentException("no seeds"); // the core would answer synchronously
            }
            CompletableFuture<MembershipEvent.JoinCompleted> f = new CompletableFuture<>();
            long id = serf != null ? serf.join(List.copyOf(seeds), false) : core.join(List.copyOf(seeds));
            joins.put(id, f);
            return f;
        });
    }

    /** Starts the graceful leave (once); the future completes (on the loop) with its outcome. */
    CompletableFuture<Boolean> leave(Duration timeout) {
        return call(() -> {
            if (leave == null) {
                leave = new CompletableFuture<>();
                if (serf != null) {
                    serf.leave();
                } else {
                    core.leave(timeout);
                }
            }
            return leave;
        });
    }

    /** Sends a reliable message; the future completes on the loop when written and flushed. */
    CompletableFuture<Void> sendReliable(NodeAddress to, byte[] payload) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        execute(() -> {
            pendingReliable = f;
            try {
                core.sendReliable(to, payload);
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            } finally {
                if (pendingReliable == f) {
                    pendingReliable = null;
                    f.completeExceptionally(new IllegalStateException("the core opened no stream"));
                }
            }
        });
        return f;
    }

    // ---- Serf mode --------------------------------------------------------------------------

    /** The Serf layer, for tasks running on the loop; null when the node is not in Serf mode. */
    SerfCore serf() {
        return serf;
    }

    /** Starts a query on the loop; the future completes on the listener executor at the deadline. */
    CompletableFuture<QueryResult> query(String queryName, byte[] payload, QueryOptions options,
                                         QueryCallback callback) {
        CompletableFuture<QueryResult> f = new CompletableFuture<>();
        call(() -> {
            queries.put(requireSerf().query(queryName, payload, options), new PendingQuery(f, callback));
            return null;
        });
        return f;
    }

    /** Starts a key query on the loop; the future completes on the listener executor. */
    CompletableFuture<KeyResponse> keyQuery(java.util.function.Function<SerfCore, KeyQuery> start) {
        CompletableFuture<KeyResponse> f = new CompletableFuture<>();
        call(() -> {
            keyQueries.put(start.apply(requireSerf()), f);
            return null;
        });
        return f;
    }

    /** Answers a query on the loop. */
    void respond(IncomingQuery query, byte[] payload) {
        call(() -> {
            requireSerf().respond(query, payload);
            return null;
        });
    }

    List<SerfMember> serfMembers() {
        return call(() -> requireSerf().members());
    }

    SerfCore requireSerf() {
        if (serf == null) {
            throw new IllegalStateException("node " + name + " is not in Serf mode (GrapevineNode.Builder.serf)");
        }
        return serf;
    }

    /** The metrics now, from any thread; the last ones taken when closed. */
    NodeMetrics metrics() {
        if (loop.inEventLoop()) {
            return snapshot();
        }
        NodeMetrics last = finalMetrics;
        if (!running && last != null) {
            return last;
        }
        try {
            return call(this::snapshot);
        } catch (IllegalStateException e) {
            NodeMetrics f = finalMetrics;
            if (f != null) {
                return f;
            }
            throw e;
        }
    }

    private NodeMetrics snapshot() {
        if (closed && finalMetrics != null) {
            return finalMetrics;
        }
        TransportCounters c = counters;
        return new NodeMetrics(core.metrics(), c.packetBytesReceived, c.packetBytesSent, c.streamsAccepted,
                c.streamsOpened, c.streamsRefused, c.framesTooLarge, c.streamTimeouts, c.pushPullCount,
                c.pushPullNanosSum, c.pushPullNanosMax, c.packetSendFailures, c.envelopeRejectionCounts(),
                c.unverifiedAccepted, c.tlsHandshakeFailures, c.keyringRecoveries, c.keyringRecoveryFailures,
                c.keyringRequestsServed, c.keyringRequestsRefused);
    }

    /** The core, for tasks running on the loop. */
    MembershipCore core() {
        return core;
    }

    boolean isRunning() {
        return running;
    }

    boolean inEventLoop() {
        return loop.inEventLoop();
    }

    /**
     * Runs {@code task} on the loop and waits for its result.
     *
     * @throws IllegalStateException on the event loop itself, when the node is closed, or when the
     *                               loop does not answer within 30 s; exceptions of the task are rethrown
     */
    <T> T call(Callable<T> task) {
        requireOffLoop();
        if (!running) {
            throw closedException();
        }
        return callOnLoop(() -> {
            if (closed) {
                throw closedException();
            }
            return task.call();
        });
    }

    private <T> T callOnLoop(Callable<T> task) {
        Future<T> f;
        try {
            f = loop.submit(task);
        } catch (RejectedExecutionException e) {
            throw closedException();
        }
        long deadline = System.nanoTime() + CALL_TIMEOUT_NANOS;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (loop.isTerminated()) {
                        throw closedException();
                    }
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("node " + name + ": event loop did not answer within 30 s");
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                    throw new IllegalStateException("interrupted while waiting for node " + name, e);
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Runs {@code task} on the loop without waiting; from any thread. */
    void execute(Runnable task) {
        if (!running) {
            throw closedException();
        }
        try {
            loop.execute(() -> {
                if (!closed) {
                    task.run();
                }
            });
        } catch (RejectedExecutionException e) {
            throw closedException();
        }
    }

    void requireOffLoop() {
        if (loop.inEventLoop()) {
            throw new IllegalStateException("blocking call on node " + name + "'s own event loop; call it from "
                    + "another thread (listeners run on the listener executor, where blocking calls are allowed)");
        }
    }

    IllegalStateException closedException() {
        return new IllegalStateException("node " + name + " is closed");
    }

    // =============================================================================================
    // Shutdown
    // =============================================================================================

    /**
     * Stops the node without leaving: shuts the core down, fails what is pending, closes every
     * channel and stops the loop, waiting up to a few seconds. Idempotent; from any thread but the loop.
     */
    void close() {
        requireOffLoop();
        if (!closing.compareAndSet(false, true)) {
            group.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
            return;
        }
        running = false;
        try {
            callOnLoop(() -> {
                shutdownOnLoop();
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debug("node {}: shutdown on the loop did not complete: {}", name, e.toString());
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        listeners.shutdown();
    }

    private void shutdownOnLoop() {
        if (core != null) {
            finalMetrics = snapshot();
            if (serf != null) {
                serf.shutdown();
            }
            core.shutdown();
        }
        closed = true;
        IllegalStateException gone = closedException();
        List<CompletableFuture<MembershipEvent.JoinCompleted>> pending = new ArrayList<>(joins.values());
        joins.clear();
        pending.forEach(f -> f.completeExceptionally(gone));
        if (leave != null) {
            leave.complete(false);
        }
        queries.values().forEach(q -> q.future.completeExceptionally(gone));
        queries.clear();
        keyQueries.values().forEach(f -> f.completeExceptionally(gone));
        keyQueries.clear();
        channels.close();
    }

    private static String describe(InetSocketAddress a) {
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + a.getPort() : host + ":" + a.getPort();
    }
}
