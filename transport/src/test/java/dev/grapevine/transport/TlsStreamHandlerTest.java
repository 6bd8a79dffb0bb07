package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.crypto.tls.NodeTls;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Rejection;
import dev.grapevine.membership.StreamRequest;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Stream pipelines in TLS mode, without sockets: a client and a server channel whose bytes the test
 * carries across, real engines from {@link NodeTls} and a real core on the server side.
 */
class TlsStreamHandlerTest {
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final byte[] VSN = {1, 5, 2, 0, 0, 0};
    private static StreamTls clientTls;
    private static StreamTls serverTls;

    private final TransportCounters clientCounters = new TransportCounters();
    private final TransportCounters serverCounters = new TransportCounters();
    private final RecordingHost host = new RecordingHost();
    private final List<String> outcomes = new ArrayList<>();
    private final List<String> authenticated = new ArrayList<>();
    private final List<byte[]> replies = new ArrayList<>();
    private MembershipCore core;

    @BeforeAll
    static void pki() {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        IssuedCertificate c = ca.issue("client", KeyAlgorithm.ED25519, Duration.ofDays(1));
        IssuedCertificate s = ca.issue("server", KeyAlgorithm.ECDSA_P256, Duration.ofDays(1));
        clientTls = StreamTls.of(NodeTls.of(ca.trust(), c.certificate(), c.privateKey()));
        serverTls = StreamTls.of(NodeTls.of(ca.trust(), s.certificate(), s.privateKey()));
    }

    @BeforeEach
    void setUp() {
        core = host.startCore("server");
    }

    private static RateLimitedLog log() {
        return new RateLimitedLog(LoggerFactory.getLogger(TlsStreamHandlerTest.class), 1);
    }

    private PeerChannel server() {
        return server(null);
    }

    private PeerChannel server(KeyringRecovery keyrings) {
        PeerChannel ch = new PeerChannel();
        new StreamPipelines(core, StreamEnvelope.IDENTITY, serverCounters, log(), 1 << 20, 8, TIMEOUT_NANOS,
                c -> { }, serverTls, keyrings).initInbound(ch);
        return ch.start();
    }

    private PeerChannel client(String targetName, byte[] payload) {
        OutboundStreamHandler h = new OutboundStreamHandler(new StreamRequest(5, StreamRequest.Kind.PUSH_PULL,
                NodeAddress.of("127.0.0.2", 7946), targetName, payload, TIMEOUT_NANOS), StreamEnvelope.IDENTITY,
                clientCounters, new OutboundStreamHandler.Completion() {
                    @Override
                    public void reply(long streamId, byte[] message) {
                        throw new AssertionError("the peer must be reported");
                    }

                    @Override
                    public void reply(long streamId, String peer, byte[] message) {
                        outcomes.add("reply from " + peer);
                        replies.add(message);
                    }

                    @Override
                    public void failure(long streamId, String reason) {
                        outcomes.add("failure " + reason);
                    }

                    @Override
                    public void authenticated(StreamRequest request, String peer) {
                        authenticated.add(peer + "@" + request.target());
                    }
                }, null);
        PeerChannel ch = new PeerChannel();
        new StreamPipelines(null, StreamEnvelope.IDENTITY, clientCounters, log(), 1 << 20, 8, TIMEOUT_NANOS,
                c -> { }, clientTls).initOutbound(ch, h);
        ch.start();
        h.watch(ch.newSucceededFuture());
        return ch;
    }

    /** Carries bytes both ways until neither side has anything more to say. */
    private static void shuttle(EmbeddedChannel a, EmbeddedChannel b) {
        for (int i = 0; i < 100 && (move(a, b) | move(b, a)); i++) {
            // keep going
        }
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        for (Object o = from.readOutbound(); o != null; o = from.readOutbound()) {
            moved = true;
            if (to.isOpen()) {
                to.writeInbound(o);
            } else {
                ReferenceCountUtil.release(o);
            }
        }
        return moved;
    }

    private static byte[] pushPullFrom(String node) {
        return WireEncoder.encode(new Message.PushPull(false, List.of(new Message.PushNodeState(node,
                new byte[] {127, 0, 0, 9}, 7946, null, 1, 0, VSN)), null));
    }

    private static void finish(EmbeddedChannel... channels) {
        for (EmbeddedChannel ch : channels) {
            ch.checkException();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void mutualHandshakeThenOneExchangeWithBothPeersNamed() {
        PeerChannel s = server();
        PeerChannel c = client("server", pushPullFrom("client"));
        shuttle(c, s);
        assertEquals(List.of("reply from server"), outcomes);
        assertEquals(List.of("server@127.0.0.2:7946"), authenticated);
        assertInstanceOf(Message.PushPull.class, Streams.read(replies.get(0), 0, replies.get(0).length).value());
        assertEquals(MemberState.ALIVE, core.state("client"), "the server merged the client's own record");
        assertEquals(0, clientCounters.tlsHandshakeFailures + serverCounters.tlsHandshakeFailures);
        assertFalse(c.isOpen());
        finish(c, s);
    }

    @Test
    void aServerWithAnotherNameIsRefusedBeforeAnythingIsSent() {
        PeerChannel s = server();
        PeerChannel c = client("other", pushPullFrom("client"));
        shuttle(c, s);
        assertEquals(1, outcomes.size());
        assertTrue(outcomes.get(0).startsWith("failure TLS handshake failed: server certificate refused: names [server]"),
                outcomes.get(0));
        assertEquals(1, clientCounters.tlsHandshakeFailures);
        assertEquals(List.of(), authenticated);
        assertEquals(0, core.metrics().pushPullsServed(), "the payload never reached the server");
        assertFalse(c.isOpen());
        finish(c, s);
    }

    @Test
    void aPushPullThatSpeaksForAnotherNodeThanItsCertificateIsRefused() {
        PeerChannel s = server();
        PeerChannel c = client("server", pushPullFrom("mallory"));
        shuttle(c, s);
        assertEquals(List.of("reply from server"), outcomes);
        Message m = Streams.read(replies.get(0), 0, replies.get(0).length).value();
        assertTrue(assertInstanceOf(Message.Err.class, m).error().contains("client"), m.toString());
        assertEquals(1L, core.metrics().rejections().get(Rejection.PEER_MISMATCH));
        assertEquals(null, core.state("mallory"));
        finish(c, s);
    }

    @Test
    void plaintextToATlsServerIsClosedCountedAndNeverReachesTheCore() {
        PeerChannel s = server();
        s.writeInbound(Unpooled.wrappedBuffer(pushPullFrom("client")));
        assertFalse(s.isOpen());
        assertEquals(1, serverCounters.tlsHandshakeFailures);
        assertEquals(0, core.metrics().pushPullsServed());
        assertEquals(0, serverCounters.inboundInProgress);
        finish(s);
    }

    @Test
    void aPlaintextAnswerFailsTheStreamOnceWithoutWritingThePayload() {
        byte[] payload = pushPullFrom("client");
        PeerChannel c = client("server", payload);
        ByteBuf hello = c.readOutbound();
        try {
            assertEquals(0x16, hello.getByte(hello.readerIndex()), "a TLS handshake record comes first");
            assertFalse(ByteBufUtil.hexDump(hello).contains(ByteBufUtil.hexDump(payload)));
        } finally {
            hello.release();
        }
        c.writeInbound(Unpooled.wrappedBuffer(WireEncoder.encode(new Message.Err("plaintext"))));
        assertEquals(1, outcomes.size());
        assertTrue(outcomes.get(0).startsWith("failure TLS handshake failed"), outcomes.get(0));
        assertEquals(1, clientCounters.tlsHandshakeFailures);
        assertFalse(c.isOpen());
        finish(c);
        assertEquals(1, outcomes.size(), "one outcome, also after close");
    }

    @Test
    void aKeyringRequestOverTlsIsAnsweredBelowTheCoreToTheAuthenticatedClient() {
        KeyringRecovery keyrings = new KeyringRecovery("server",
                dev.grapevine.crypto.Keyring.of(KeyringRecoveryTest.K2, KeyringRecoveryTest.K1), true,
                new KeyringRecoveryTest.FakeNode(), serverCounters, System::nanoTime, new java.util.SplittableRandom(), 2_000_000_000L);
        keyrings.opened(null); // it decrypted gossip just now
        PeerChannel s = server(keyrings);
        PeerChannel c = client("server", KeyringMessages.request(KeyringRecoveryTest.K1));
        shuttle(c, s);
        assertEquals(List.of("reply from server"), outcomes);
        KeyringMessages.Answer a = KeyringMessages.decodeAnswer(replies.get(0));
        assertTrue(a.ok(), a.toString());
        assertEquals(2, a.keys().size());
        assertTrue(java.util.Arrays.equals(KeyringRecoveryTest.K2, a.keys().get(0)), "primary first");
        assertEquals(1, serverCounters.keyringRequestsServed);
        assertEquals(0, core.metrics().pushPullsServed());
        assertTrue(core.metrics().rejections().isEmpty(), "the core never saw it");
        finish(c, s);
    }

    @Test
    void aKeyringRequestToAServerWithAnotherNameIsNeverSent() {
        KeyringRecovery keyrings = new KeyringRecovery("server", dev.grapevine.crypto.Keyring.of(KeyringRecoveryTest.K2),
                true, new KeyringRecoveryTest.FakeNode(), serverCounters, System::nanoTime,
                new java.util.SplittableRandom(), 2_000_000_000L);
        PeerChannel s = server(keyrings);
        PeerChannel c = client("other", KeyringMessages.request(KeyringRecoveryTest.K1));
        shuttle(c, s);
        assertEquals(1, outcomes.size());
        assertTrue(outcomes.get(0).startsWith("failure TLS handshake failed"), outcomes.get(0));
        assertEquals(0, serverCounters.keyringRequestsServed + serverCounters.keyringRequestsRefused);
        finish(c, s);
    }
}
