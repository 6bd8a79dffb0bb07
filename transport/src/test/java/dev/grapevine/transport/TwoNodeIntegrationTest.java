package dev.grapevine.transport;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.grapevine.membership.Delegate;
import dev.grapevine.membership.Member;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Two real nodes on loopback sockets. */
@Tag("integration")
class TwoNodeIntegrationTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final TestNodes nodes = new TestNodes();
    private final RecordingListener aEvents = new RecordingListener();
    private final RecordingListener bEvents = new RecordingListener();

    @AfterEach
    void closeAll() {
        nodes.close();
    }

    /** Starts a and b and joins b to a. */
    private GrapevineNode[] pair() {
        GrapevineNode a = nodes.start("a", aEvents);
        GrapevineNode b = nodes.start("b", bEvents);
        assertEquals(1, b.join(TestNodes.seed(a)));
        awaitBothSeeTwo(a, b);
        return new GrapevineNode[] {a, b};
    }

    private static void awaitBothSeeTwo(GrapevineNode a, GrapevineNode b) {
        Await.until(WAIT, "both nodes to see two members", () -> a.numMembers() == 2 && b.numMembers() == 2,
                () -> a.members() + " / " + b.members());
    }

    @Test
    void twoNodesJoinAndSeeEachOther() {
        GrapevineNode[] ab = pair();
        GrapevineNode a = ab[0];
        GrapevineNode b = ab[1];
        Await.until(WAIT, "join events", () -> aEvents.joined.contains("b") && bEvents.joined.contains("a"));
        assertTrue(aEvents.joined.contains("a"), "a node hears about itself at start");
        assertEquals(List.of("a", "b"), a.members().stream().map(Member::name).sorted().toList());
        Member bAsSeenByA = a.members().stream().filter(m -> m.name().equals("b")).findFirst().orElseThrow();
        assertEquals(b.advertiseAddress(), bAsSeenByA.address());
        assertEquals(MemberState.ALIVE, bAsSeenByA.state());
        assertEquals(b.advertiseAddress(), b.localMember().address());
        assertEquals(b.boundAddress().getPort(), b.advertiseAddress().port(), "UDP and TCP share the bound port");
        assertTrue(b.advertiseAddress().isIpv4());
        assertEquals(4, b.advertiseAddress().ip().length);
        assertEquals(0, a.healthScore());

        NodeMetrics m = b.metrics();
        assertEquals(1, m.pushPullCount(), "the join's push/pull completed and was timed");
        assertTrue(m.pushPullNanosSum() > 0 && m.pushPullNanosMax() > 0);
        assertTrue(m.streamsOpened() >= 1);
        assertTrue(a.metrics().streamsAccepted() >= 1);
        assertEquals(2, m.core().alive());
        Await.until(WAIT, "packets both ways", () -> a.metrics().packetBytesReceived() > 0
                && b.metrics().packetBytesReceived() > 0 && a.metrics().packetBytesSent() > 0);
    }

    @Test
    void userMessagesBestEffortAndReliable() throws Exception {
        GrapevineNode[] ab = pair();
        GrapevineNode a = ab[0];
        GrapevineNode b = ab[1];
        b.sendBestEffort(a.advertiseAddress(), "hello by UDP".getBytes(UTF_8));
        CompletableFuture<Void> sent = b.sendReliable(a.advertiseAddress(), "hello by TCP".getBytes(UTF_8));
        sent.get(10, TimeUnit.SECONDS);
        Await.until(WAIT, "both messages", () -> aEvents.messages.contains("hello by UDP")
                && aEvents.messages.contains("hello by TCP"), () -> aEvents.messages.toString());

        byte[] big = new byte[300_000]; // far over a datagram: only a stream carries it
        java.util.Arrays.fill(big, (byte) 'x');
        b.sendReliable(a.advertiseAddress(), big).get(10, TimeUnit.SECONDS);
        Await.until(WAIT, "the large message", () -> aEvents.messages.stream().anyMatch(s -> s.length() == big.length));
        assertThrows(IllegalArgumentException.class, () -> b.sendBestEffort(a.advertiseAddress(), big));
    }

    @Test
    void reliableSendToAClosedPortFailsItsFuture() throws Exception {
        GrapevineNode a = nodes.start("a", aEvents);
        NodeAddress nobody = NodeAddress.of("127.0.0.1", closedPort());
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> a.sendReliable(nobody, new byte[] {1}).get(10, TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains(nobody.toString()), e.getCause().getMessage());
    }

    @Test
    void metadataUpdateIsSeen() {
        GrapevineNode[] ab = pair();
        ab[0].updateMetadata("role=db".getBytes(UTF_8));
        Await.until(WAIT, "b to see a's new metadata", () -> "role=db".equals(bEvents.updated.get("a")));
        assertEquals("role=db", new String(ab[1].members().stream().filter(m -> m.name().equals("a"))
                .findFirst().orElseThrow().meta(), UTF_8));
        assertThrows(IllegalArgumentException.class, () -> ab[0].updateMetadata(new byte[10_000]));
    }

    @Test
    void broadcastIsSeen() {
        GrapevineNode[] ab = pair();
        ab[0].broadcast("news".getBytes(UTF_8));
        Await.until(WAIT, "b to receive the broadcast", () -> bEvents.messages.contains("news"));
        assertThrows(IllegalArgumentException.class, () -> ab[0].broadcast(new byte[5000]));
    }

    @Test
    void gracefulLeaveIsSeenAsLeft() {
        GrapevineNode[] ab = pair();
        GrapevineNode a = ab[0];
        GrapevineNode b = ab[1];
        assertTrue(b.leave(Duration.ofSeconds(5)), "leave propagated");
        assertTrue(b.leave(Duration.ofSeconds(5)), "a second leave returns the first outcome");
        assertTrue(b.isRunning(), "a node keeps running after leaving, until closed");
        Await.until(WAIT, "a to see b leave", () -> aEvents.downState.get("b") == MemberState.LEFT,
                () -> aEvents.down.toString());
        b.close();
        assertEquals(1, a.numMembers());
        assertEquals(List.of("b LEFT"), aEvents.down);
    }

    @Test
    void abruptCloseIsDetectedAsDead() {
        GrapevineNode[] ab = pair();
        ab[1].close();
        assertFalse(ab[1].isRunning());
        Await.until(WAIT, "a to declare b dead", () -> aEvents.downState.get("b") == MemberState.DEAD,
                () -> aEvents.down.toString());
        assertEquals(1, ab[0].numMembers());
        Member b = ab[0].allMembers().stream().filter(m -> m.name().equals("b")).findFirst().orElseThrow();
        assertEquals(MemberState.DEAD, b.state());
    }

    @Test
    void joinFailsWhenTheOnlySeedIsAClosedPort() {
        GrapevineNode a = nodes.start("a", aEvents);
        int port = closedPort();
        JoinException e = assertThrows(JoinException.class, () -> a.join("127.0.0.1:" + port));
        assertEquals(1, e.failures().size());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
        assertTrue(a.isRunning(), "the node keeps running alone");

        JoinException byName = assertThrows(JoinException.class, () -> a.join("localhost:" + port));
        assertTrue(byName.failures().stream().allMatch(f -> f.startsWith("localhost:" + port + " (")),
                "failures name the seed as written, then its address: " + byName.failures());
        assertEquals(1, a.numMembers());
    }

    @Test
    void joinOfAnUnresolvableNameFailsClearly() {
        GrapevineNode a = nodes.start("a", aEvents);
        JoinException e = assertThrows(JoinException.class, () -> a.join("no-such-host.invalid:7946"));
        assertTrue(e.getMessage().contains("no-such-host.invalid"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot resolve"), e.getMessage());
        assertThrows(JoinException.class, () -> a.join(List.of()), "no seeds at all");
        assertThrows(IllegalArgumentException.class, () -> a.join("127.0.0.1:notaport"));
    }

    @Test
    void joinAsyncReportsFailureAndSuccess() throws Exception {
        GrapevineNode a = nodes.start("a", aEvents);
        GrapevineNode b = nodes.start("b", bEvents);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> b.joinAsync(List.of("127.0.0.1:" + closedPort())).get(10, TimeUnit.SECONDS));
        assertInstanceOf(JoinException.class, e.getCause());
        assertEquals(1, b.joinAsync(List.of(TestNodes.seed(a))).get(10, TimeUnit.SECONDS));
        awaitBothSeeTwo(a, b);
        assertTrue(b.leaveAsync(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS));
    }

    @Test
    void ipv6LoopbackPair() {
        assumeTrue(ipv6LoopbackAvailable(), "::1 is not available on this machine");
        GrapevineNode a = nodes.start(GrapevineNode.builder().name("a6").bind("[::1]:0")
                .config(MembershipConfig.local()).listener(aEvents));
        GrapevineNode b = nodes.start(GrapevineNode.builder().name("b6").bind("[::1]:0")
                .config(MembershipConfig.local()).listener(bEvents));
        assertFalse(a.advertiseAddress().isIpv4());
        assertEquals(NodeAddress.of("::1", a.boundAddress().getPort()), a.advertiseAddress());
        assertEquals(1, b.join(TestNodes.seed(a)));
        awaitBothSeeTwo(a, b);
        b.sendBestEffort(a.advertiseAddress(), "over IPv6".getBytes(UTF_8));
        Await.until(WAIT, "a message over IPv6", () -> aEvents.messages.contains("over IPv6"));
    }

    @Test
    void nioTransportPair() {
        GrapevineNode.Builder ba = GrapevineNode.builder().name("a").bind("127.0.0.1:0")
                .config(MembershipConfig.local()).listener(aEvents);
        ba.io = IoTransport.nio();
        GrapevineNode.Builder bb = GrapevineNode.builder().name("b").bind("127.0.0.1:0")
                .config(MembershipConfig.local()).listener(bEvents);
        bb.io = IoTransport.nio();
        GrapevineNode a = nodes.start(ba);
        GrapevineNode b = nodes.start(bb);
        assertEquals(1, b.join(TestNodes.seed(a)));
        awaitBothSeeTwo(a, b);
        a.broadcast("via nio".getBytes(UTF_8));
        Await.until(WAIT, "a broadcast over NIO", () -> bEvents.messages.contains("via nio"));
    }

    @Test
    void threadsAndTheEventLoopGuard() {
        // A delegate runs on the event loop: a blocking call there must refuse rather than deadlock.
        AtomicReference<GrapevineNode> self = new AtomicReference<>();
        AtomicReference<String> loopThread = new AtomicReference<>();
        AtomicReference<Throwable> refused = new AtomicReference<>();
        GrapevineNode a = nodes.start(GrapevineNode.builder().name("a").bind("127.0.0.1:0")
                .config(MembershipConfig.local()).listener(aEvents).delegate(new Delegate() {
                    @Override
                    public void event(MembershipEvent event) {
                        GrapevineNode node = self.get();
                        if (node != null && event instanceof MembershipEvent.MemberJoined && loopThread.get() == null) {
                            loopThread.set(Thread.currentThread().getName());
                            try {
                                node.members();
                            } catch (IllegalStateException e) {
                                refused.set(e);
                            }
                        }
                    }
                }));
        self.set(a);
        GrapevineNode b = nodes.start("b", bEvents);
        b.join(TestNodes.seed(a));
        Await.until(WAIT, "a's delegate to see b", () -> loopThread.get() != null);
        assertEquals("grapevine-a", loopThread.get());
        assertNotNull(refused.get(), "a blocking call on the event loop throws");
        assertTrue(refused.get().getMessage().contains("event loop"), refused.get().getMessage());
        assertEquals(2, a.numMembers(), "the same call works from another thread");
        assertTrue(a.metrics().core().alive() >= 1);

        Await.until(WAIT, "listener events", () -> aEvents.joined.contains("b"));
        assertEquals(java.util.Set.of("grapevine-a-events"), aEvents.threads, "listeners run on the events thread");
    }

    @Test
    void closeIsIdempotentAndLaterCallsFailClearly() {
        GrapevineNode a = nodes.start("a", aEvents);
        a.close();
        a.close();
        assertFalse(a.isRunning());
        IllegalStateException e = assertThrows(IllegalStateException.class, a::members);
        assertTrue(e.getMessage().contains("closed"));
        assertThrows(IllegalStateException.class, () -> a.join("127.0.0.1:1"));
        assertThrows(IllegalStateException.class, () -> a.sendBestEffort(a.advertiseAddress(), new byte[1]));
        assertThrows(IllegalStateException.class, () -> a.leave(Duration.ofSeconds(1)));
        assertEquals(1, a.metrics().core().alive(), "metrics keep the last snapshot");
        assertEquals("a", a.name());
    }

    @Test
    void bindingAPortInUseFailsNamingTheAddress() throws IOException {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            String where = "127.0.0.1:" + taken.getLocalPort();
            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> nodes.start(GrapevineNode.builder().name("x").bind(where)));
            assertTrue(e.getMessage().contains(where), e.getMessage());
        }
    }

    @Test
    void explicitAdvertiseAddressIsUsed() {
        GrapevineNode a = nodes.start(GrapevineNode.builder().name("a").bind("127.0.0.1:0")
                .advertise("127.0.0.1").config(MembershipConfig.local()));
        assertEquals(a.boundAddress().getPort(), a.advertiseAddress().port(), "no port: the bound one");
        GrapevineNode b = nodes.start(GrapevineNode.builder().name("b").bind("127.0.0.1:0")
                .advertise("127.0.0.1:12345").config(MembershipConfig.local()));
        assertEquals(NodeAddress.of("127.0.0.1", 12345), b.advertiseAddress());
    }

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean ipv6LoopbackAvailable() {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0));
             ServerSocket t = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            return s.getLocalPort() > 0 && t.getLocalPort() > 0;
        } catch (IOException e) {
            return false;
        }
    }
}
