package dev.grapevine.transport;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.membership.Member;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Rejection;
import dev.grapevine.membership.wire.DecodeResult;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.Packets;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Three real nodes on 127.0.0.1 under attack from raw sockets: truncated, oversized,
 * wrong-version, random and replayed datagrams; truncated, oversized (declared lengths far past the
 * frame limit), wrong-version, random and replayed streams; slowloris streams that never finish;
 * more concurrent connections than a node serves. Afterwards every node still runs, each sees
 * exactly the three members alive, nobody was ever suspected, the rejections were counted by
 * reason, and a metadata update still converges (and old replays do not undo it).
 *
 * <p>The attacker holds no key (there is none: plaintext cluster), so it could forge valid
 * membership claims; those are out of scope here (signing mode answers them). Everything sent is
 * invalid, or a replay of what the nodes themselves sent.
 */
@Tag("integration")
class HostileInputIntegrationTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Frames above this are refused: a low limit, so that oversized frames are cheap to send. */
    private static final int MAX_STREAM = 64 * 1024;
    /**
     * memberlist's local timings, with a probe timeout that leaves room for a loaded 2-core machine
     * (with Netty's paranoid leak detection on): the test is about input handling, and a probe lost
     * to CPU starvation would start a suspicion that says nothing about it.
     */
    private static final MembershipConfig CONFIG = MembershipConfig.local().toBuilder()
            .probeTimeout(Duration.ofMillis(900)).streamTimeout(Duration.ofSeconds(2)).build();
    private static final byte[] VSN = {1, 5, 2, 0, 0, 0};
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** Reasons each node must have counted from the datagrams of {@link #typedPackets}. */
    private static final Set<Rejection> UDP_REASONS = EnumSet.of(Rejection.EMPTY, Rejection.UNKNOWN_TYPE,
            Rejection.UNSUPPORTED_TYPE, Rejection.MALFORMED, Rejection.WRONG_FIELD_TYPE, Rejection.COMPOUND_HEADER,
            Rejection.COMPOUND_TRUNCATED, Rejection.BAD_COMPRESSION, Rejection.TOO_LARGE, Rejection.CRC_MISMATCH,
            Rejection.NESTED_CRC, Rejection.TOO_DEEP, Rejection.BAD_VERSION, Rejection.BAD_ADDRESS,
            Rejection.WRONG_NODE);

    private final Random random = new Random(0x5EED);

    @Test
    void threeNodesSurviveHostilePacketsAndStreams() throws Exception {
        try (TestNodes nodes = new TestNodes()) {
            List<RecordingListener> events = List.of(new RecordingListener(), new RecordingListener(),
                    new RecordingListener());
            List<GrapevineNode> cluster = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                cluster.add(nodes.start(GrapevineNode.builder().name("n" + i).bind("127.0.0.1:0").config(CONFIG)
                        .maxStreamBytes(MAX_STREAM).listener(events.get(i))));
            }
            for (int i = 1; i < 3; i++) {
                assertEquals(1, cluster.get(i).join(TestNodes.seed(cluster.get(0))));
            }
            awaitThreeAlive(cluster);

            // Captures for replays: one node's full state (a push/pull reply) and its answers to a ping.
            byte[] oldState = exchange(cluster.get(0).advertiseAddress(),
                    WireEncoder.encode(new Message.PushPull(false, List.of(), null)));
            assertTrue(Streams.read(oldState, 0, oldState.length).ok(), "a push/pull reply");
            List<byte[]> captured = pingAndCapture(cluster.get(0).advertiseAddress());
            assertTrue(!captured.isEmpty(), "an ack to the raw ping");

            // ---- UDP ----------------------------------------------------------------------------
            try (DatagramSocket udp = new DatagramSocket(0, LOOPBACK)) {
                for (GrapevineNode n : cluster) {
                    sendUntilCounted(udp, n, typedPackets(n), UDP_REASONS);
                }
                for (GrapevineNode n : cluster) {
                    send(udp, n.advertiseAddress(), randomPackets(300));
                    send(udp, n.advertiseAddress(), truncations(validPacketsFor(n)));
                    List<byte[]> replays = new ArrayList<>(captured);
                    replays.add(oldState); // a stream message on UDP
                    for (int k = 0; k < 20; k++) {
                        send(udp, n.advertiseAddress(), replays);
                    }
                }
            }

            // ---- streams ------------------------------------------------------------------------
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> work = new ArrayList<>();
                for (GrapevineNode n : cluster) {
                    NodeAddress to = n.advertiseAddress();
                    for (byte[] s : hostileStreams()) {
                        work.add(pool.submit(() -> exchangeQuietly(to, s)));
                    }
                    for (int k = 0; k < 60; k++) {
                        byte[] junk = randomBytes(random.nextInt(2000));
                        work.add(pool.submit(() -> exchangeQuietly(to, junk)));
                    }
                    for (int k = 0; k < 5; k++) {
                        work.add(pool.submit(() -> exchangeQuietly(to, oldState)));
                    }
                }
                for (Future<?> f : work) {
                    f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                }
                for (GrapevineNode n : cluster) {
                    NodeMetrics m = n.metrics();
                    assertTrue(m.framesTooLarge() >= 6, n.name() + " refused oversized frames: " + m.framesTooLarge());
                    Map<Rejection, Long> r = m.core().rejections();
                    for (Rejection reason : List.of(Rejection.INCOMPATIBLE_VERSION, Rejection.BAD_VERSION,
                            Rejection.UNEXPECTED_MESSAGE, Rejection.MALFORMED)) {
                        assertTrue(r.getOrDefault(reason, 0L) > 0, n.name() + " counted " + reason + ": " + r);
                    }
                }

                // Slowloris: a push/pull header trickled one byte per 100 ms; each node must close
                // every such stream at its deadline however the bytes keep coming.
                List<Future<Boolean>> slow = new ArrayList<>();
                for (GrapevineNode n : cluster) {
                    for (int k = 0; k < 2; k++) {
                        slow.add(pool.submit(() -> trickleUntilClosed(n.advertiseAddress())));
                    }
                }
                for (Future<Boolean> f : slow) {
                    assertTrue(f.get(WAIT.toSeconds(), TimeUnit.SECONDS), "the node closed a slowloris stream");
                }
            } finally {
                pool.shutdownNow();
                assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            }
            for (GrapevineNode n : cluster) {
                assertTrue(n.metrics().streamTimeouts() >= 2, n.name() + " timed out the slowloris streams");
            }

            // More connections at once than a node serves: the excess is refused, then all time out.
            GrapevineNode target = cluster.get(1);
            List<Socket> held = new ArrayList<>();
            try {
                for (int k = 0; k < 200; k++) {
                    Socket s = new Socket();
                    held.add(s);
                    s.connect(target.advertiseAddress().toInetSocketAddress(), 2000);
                }
                Await.until(WAIT, "connections over the limit to be refused",
                        () -> target.metrics().streamsRefused() > 0);
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }

            // ---- the cluster is intact -----------------------------------------------------------
            for (int i = 0; i < 3; i++) {
                GrapevineNode n = cluster.get(i);
                assertTrue(n.isRunning(), n.name());
                assertEquals(Set.of("n0", "n1", "n2"), names(n.allMembers()), n.name() + " holds only the three");
                assertTrue(n.allMembers().stream().allMatch(m -> m.state() == MemberState.ALIVE),
                        n.name() + ": " + n.allMembers());
                NodeMetrics m = n.metrics();
                assertEquals(0, m.core().suspicionsStarted(), n.name() + " never suspected anyone");
                assertEquals(List.of(), events.get(i).down, n.name() + " saw nobody go down");
                assertTrue(m.core().totalRejections() > 300, n.name() + " counted rejections: " + m.core().rejections());
            }

            // A metadata update still converges, and replaying the old state does not undo it.
            cluster.get(0).updateMetadata("after-the-storm".getBytes(UTF_8));
            Await.until(WAIT, "the others to see n0's new metadata",
                    () -> "after-the-storm".equals(events.get(1).updated.get("n0"))
                            && "after-the-storm".equals(events.get(2).updated.get("n0")));
            try (DatagramSocket udp = new DatagramSocket(0, LOOPBACK)) {
                for (int i = 1; i < 3; i++) {
                    exchange(cluster.get(i).advertiseAddress(), oldState);
                    send(udp, cluster.get(i).advertiseAddress(), captured);
                }
            }
            for (int i = 1; i < 3; i++) {
                // A fresh state exchange with each node comes after the replays it processed.
                byte[] now = exchange(cluster.get(i).advertiseAddress(),
                        WireEncoder.encode(new Message.PushPull(false, List.of(), null)));
                Message.PushPull pp = (Message.PushPull) Streams.read(now, 0, now.length).value();
                Message.PushNodeState n0 = pp.nodes().stream().filter(r -> r.name().equals("n0")).findFirst()
                        .orElseThrow();
                assertEquals("after-the-storm", new String(n0.meta(), UTF_8), "n" + i + "'s view of n0");
                assertEquals("after-the-storm", new String(member(cluster.get(i), "n0").meta(), UTF_8));
            }
            awaitThreeAlive(cluster);
        }
    }

    // ---- datagrams ---------------------------------------------------------------------------------

    /** One datagram (or a few) per rejection reason in {@link #UDP_REASONS}. */
    private List<byte[]> typedPackets(GrapevineNode n) {
        byte[] ping = WireEncoder.encode(new Message.Ping(1, n.name(), null, 0, ""));
        List<byte[]> out = new ArrayList<>();
        out.add(new byte[0]); // EMPTY
        out.add(new byte[] {7, 0}); // EMPTY: a compound of no parts
        out.add(new byte[] {0x77, 1, 2}); // UNKNOWN_TYPE
        out.add(WireEncoder.encode(new Message.PushPull(false, List.of(), null))); // UNSUPPORTED_TYPE on UDP
        out.add(new byte[] {(byte) 244, 3, 'a', 'b', 'c'}); // a label header: UNSUPPORTED_TYPE here
        out.add(new byte[] {0, (byte) 0x81}); // MALFORMED: a map cut short
        out.add(hex("0081a55365714e6fa3616263")); // a ping whose SeqNo is a string: WRONG_FIELD_TYPE
        out.add(WireEncoder.encode(new Message.Ping(1, "somebody-else", null, 0, ""))); // WRONG_NODE
        out.add(new byte[] {7, 5, 0, 3}); // COMPOUND_HEADER: 5 parts, a 2-byte length table
        out.add(TestBytes.concat(new byte[] {7, 2, 0, (byte) ping.length, 0x7f, 0x7f}, ping)); // COMPOUND_TRUNCATED
        out.add(new byte[] {9, (byte) 0x82, (byte) 0xa4, 'A', 'l', 'g', 'o', 0, (byte) 0xa3, 'B', 'u', 'f',
            (byte) 0xc4, 3, 1, 2, 3}); // BAD_COMPRESSION
        out.add(Packets.compress(new byte[2 << 20])); // TOO_LARGE: 2 MiB after decompression
        byte[] crc = Packets.withCrc(ping);
        crc[crc.length - 1] ^= 1;
        out.add(crc); // CRC_MISMATCH
        out.add(Packets.compound(List.of(Packets.withCrc(ping)))); // NESTED_CRC
        out.add(Packets.compress(Packets.compound(List.of(Packets.compress(Packets.compound(List.of(
                Packets.compress(Packets.compound(List.of(ping)))))))))); // TOO_DEEP
        out.add(WireEncoder.encode(new Message.Alive(1, "intruder", new byte[] {127, 0, 0, 1}, 7946, null,
                new byte[] {0, 0, 0, 0, 0, 0}))); // BAD_VERSION: an impossible version array
        out.add(WireEncoder.encode(new Message.Alive(1, "intruder", new byte[] {127, 0, 0, 1}, 7946, null,
                new byte[] {1, 5, 2}))); // BAD_VERSION: three bytes
        out.add(WireEncoder.encode(new Message.Alive(1, "intruder", new byte[] {127, 0, 1}, 7946, null, VSN)));
        // BAD_ADDRESS: a 3-byte IP; oversized: a near-maximal datagram of garbage
        byte[] big = randomBytes(60_000);
        big[0] = 4;
        out.add(big);
        return out;
    }

    /** Valid-looking probe traffic for {@code n} (no membership claims), to cut short. */
    private static List<byte[]> validPacketsFor(GrapevineNode n) {
        byte[] ping = WireEncoder.encode(new Message.Ping(9, n.name(), new byte[] {127, 0, 0, 1}, 1, "x"));
        byte[] ind = WireEncoder.encode(new Message.IndirectPing(9, new byte[] {127, 0, 0, 1}, 1, "y", true,
                new byte[] {127, 0, 0, 1}, 1, "x"));
        return List.of(ping, ind, Packets.compound(List.of(ping, ind, ping)), Packets.compress(ping),
                Packets.withCrc(Packets.compress(Packets.compound(List.of(ping, ping)))));
    }

    /** Every strict prefix of each packet. */
    private static List<byte[]> truncations(List<byte[]> packets) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] p : packets) {
            for (int n = 1; n < p.length; n++) {
                out.add(Arrays.copyOf(p, n));
            }
        }
        return out;
    }

    private List<byte[]> randomPackets(int count) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] b = randomBytes(random.nextInt(1500));
            if (b.length > 0 && random.nextBoolean()) {
                b[0] = (byte) random.nextInt(14); // a known type byte, so the body is parsed
            }
            out.add(b);
        }
        return out;
    }

    /** Sends the typed set until {@code n} has counted every reason (loopback may drop under load). */
    private static void sendUntilCounted(DatagramSocket udp, GrapevineNode n, List<byte[]> packets,
                                         Set<Rejection> reasons) throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            send(udp, n.advertiseAddress(), packets);
            try {
                Await.until(Duration.ofSeconds(3), n.name() + " to count " + reasons,
                        () -> n.metrics().core().rejections().keySet().containsAll(reasons));
                return;
            } catch (AssertionError retry) {
                // some datagrams were dropped: send the set again
            }
        }
        throw new AssertionError(n.name() + " counted only " + n.metrics().core().rejections());
    }

    /**
     * Sends datagrams at a bounded rate (an attacker's rate is not the point; a full socket buffer
     * would drop the nodes' own probes too and make the test measure loss, not input handling).
     */
    private static void send(DatagramSocket udp, NodeAddress to, List<byte[]> packets) throws IOException {
        InetSocketAddress dst = to.toInetSocketAddress();
        int i = 0;
        for (byte[] p : packets) {
            udp.send(new DatagramPacket(p, p.length, dst));
            if (++i % 16 == 0) {
                LockSupport.parkNanos(2_000_000L);
            }
        }
    }

    /** Pings {@code to} from a raw socket and returns what comes back within a second. */
    private static List<byte[]> pingAndCapture(NodeAddress to) throws IOException {
        List<byte[]> out = new ArrayList<>();
        try (DatagramSocket udp = new DatagramSocket(0, LOOPBACK)) {
            udp.setSoTimeout(1000);
            byte[] ping = WireEncoder.encode(new Message.Ping(4242, "", null, 0, ""));
            udp.send(new DatagramPacket(ping, ping.length, to.toInetSocketAddress()));
            byte[] buf = new byte[65_536];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    udp.receive(p);
                } catch (SocketTimeoutException e) {
                    return out;
                }
                out.add(Arrays.copyOf(p.getData(), p.getLength()));
            }
        }
    }

    // ---- streams -------------------------------------------------------------------------------------

    /** Truncated, oversized, wrong-version and misplaced stream messages. */
    private List<byte[]> hostileStreams() {
        List<byte[]> out = new ArrayList<>();
        byte[] pp = WireEncoder.encode(new Message.PushPull(false, List.of(new Message.PushNodeState("n0",
                new byte[] {127, 0, 0, 1}, 1, null, 1, 0, VSN)), new byte[] {1, 2, 3}));
        for (int cut : new int[] {1, 2, 5, pp.length / 2, pp.length - 1}) {
            out.add(Arrays.copyOf(pp, cut)); // truncated, then the connection is half-closed
        }
        // oversized: declared lengths far past the 64 KiB frame limit, and one real >64 KiB frame
        out.add(TestBytes.concat(new byte[] {6}, pushPullHeader(0, Integer.MAX_VALUE)));
        out.add(TestBytes.concat(new byte[] {6}, pushPullHeader(1_000_000, 0)));
        out.add(hex("0881aa557365724d73674c656ece7fffffff")); // user message of 2^31-1 bytes
        out.add(hex("0affffffff00")); // an encrypted envelope of 4 GiB
        out.add(hex("f27fffffff00")); // a signed push/pull of 2 GiB
        out.add(hex("0982a4416c676f00a3427566c6fffffff0")); // a compressed buffer of 4 GiB
        out.add(WireEncoder.encodeStreamUser(randomBytes(100 * 1024)));
        // wrong version: a record incompatible with the cluster, and a malformed version array
        out.add(WireEncoder.encode(new Message.PushPull(false, List.of(new Message.PushNodeState("intruder",
                new byte[] {127, 0, 0, 1}, 9, null, 1, 0, new byte[] {1, 5, 2, 9, 9, 9})), null)));
        out.add(WireEncoder.encode(new Message.PushPull(false, List.of(new Message.PushNodeState("intruder",
                new byte[] {127, 0, 0, 1}, 9, null, 1, 0, new byte[] {1, 5})), null)));
        // messages that make no sense as a request, and garbage that frames but does not decode
        out.add(WireEncoder.encode(new Message.Ack(1, null)));
        out.add(WireEncoder.encode(new Message.Err("no")));
        out.add(hex("0085")); // a ping map cut short: frames never, half-closed
        out.add(TestBytes.concat(new byte[] {6}, hex("81a54e6f646573ff"))); // a negative node count
        out.add(new byte[] {(byte) 0xee, 1, 2, 3}); // an unknown first byte
        return out;
    }

    private static byte[] pushPullHeader(int nodes, int userStateLen) {
        ByteBuffer b = ByteBuffer.allocate(64).put((byte) 0x83).put((byte) 0xa5).put("Nodes".getBytes(UTF_8))
                .put((byte) 0xce).putInt(nodes).put((byte) 0xac).put("UserStateLen".getBytes(UTF_8))
                .put((byte) 0xce).putInt(userStateLen).put((byte) 0xa4).put("Join".getBytes(UTF_8))
                .put((byte) 0xc2);
        return Arrays.copyOf(b.array(), b.position());
    }

    /** Writes {@code request}, half-closes, and reads the reply until the node closes (bounded). */
    private static byte[] exchange(NodeAddress to, byte[] request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(to.toInetSocketAddress(), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            s.shutdownOutput();
            return s.getInputStream().readAllBytes();
        }
    }

    /** {@link #exchange} for hostile input: the node may close or reset the connection at any point. */
    private static void exchangeQuietly(NodeAddress to, byte[] request) {
        try {
            byte[] reply = exchange(to, request);
            if (reply.length > 0) {
                DecodeResult<Message> r = Streams.read(reply, 0, reply.length);
                assertTrue(r.ok(), "a node's reply decodes: " + r);
            }
        } catch (IOException expected) {
            // refused, reset or closed mid-write: all fine
        }
    }

    /**
     * Trickles a push/pull header, one byte per 100 ms, until the node closes the connection.
     *
     * @return true when the node closed it (within {@link #WAIT})
     */
    private static boolean trickleUntilClosed(NodeAddress to) throws IOException {
        byte[] header = TestBytes.concat(new byte[] {6}, pushPullHeader(0, 10));
        long deadline = System.nanoTime() + WAIT.toNanos();
        try (Socket s = new Socket()) {
            s.connect(to.toInetSocketAddress(), 2000);
            s.setSoTimeout(100); // the read below paces the trickle
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            int i = 0;
            while (System.nanoTime() - deadline < 0) {
                try {
                    out.write(header[i++ % header.length]);
                    out.flush();
                    if (in.read() < 0) {
                        return true;
                    }
                } catch (SocketTimeoutException stillOpen) {
                    continue;
                } catch (IOException closed) {
                    return true;
                }
            }
            return false;
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private static void awaitThreeAlive(List<GrapevineNode> cluster) {
        Await.until(WAIT, "every node to see three alive members",
                () -> cluster.stream().allMatch(n -> n.metrics().core().alive() == 3),
                () -> cluster.stream().map(n -> n.name() + "=" + n.members()).collect(Collectors.joining(" ")));
    }

    private static Set<String> names(List<Member> members) {
        return members.stream().map(Member::name).collect(Collectors.toSet());
    }

    private static Member member(GrapevineNode n, String name) {
        return n.members().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }

    /** Byte array concatenation. */
    private static final class TestBytes {
        static byte[] concat(byte[]... parts) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] p : parts) {
                out.writeBytes(p);
            }
            return out.toByteArray();
        }
    }
}
