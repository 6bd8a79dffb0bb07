package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.crypto.GossipEnvelope;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.Opened;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.StreamRequest;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Encrypted and labelled streams through the pipelines {@link StreamPipelines} builds, with a
 * real core on the server side: what is written, what is refused and how it is counted.
 */
class EncryptedStreamsTest {
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final byte[] K1 = key(1);
    private static final byte[] K2 = key(2);

    private final RecordingHost host = new RecordingHost();
    private final TransportCounters counters = new TransportCounters();
    private MembershipCore core;

    private static byte[] key(int seed) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) seed);
        return k;
    }

    @BeforeEach
    void setUp() {
        core = host.startCore("server");
    }

    private static GossipEnvelope envelope(byte[] key, String label) {
        return GossipEnvelope.builder(Keyring.of(key)).label(label).build();
    }

    private StreamPipelines pipelines(GossipEnvelope envelope) {
        EncryptedStreamEnvelope e = new EncryptedStreamEnvelope(envelope, new EnvelopeRefusals("server"));
        e.attach(counters);
        return new StreamPipelines(core, e, counters,
                new RateLimitedLog(LoggerFactory.getLogger(getClass()), TimeUnit.SECONDS.toNanos(1)), 1 << 20, 8,
                TIMEOUT_NANOS, ch -> { });
    }

    private PeerChannel inbound(GossipEnvelope envelope) {
        PeerChannel ch = new PeerChannel();
        pipelines(envelope).initInbound(ch);
        return ch.start();
    }

    private static byte[] ping() {
        return WireEncoder.encode(new Message.Ping(7, "server", null, 0, "client"));
    }

    private static byte[] drain(PeerChannel ch) {
        List<byte[]> parts = new ArrayList<>();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            parts.add(ByteBufUtil.getBytes(b));
            b.release();
        }
        int n = parts.stream().mapToInt(p -> p.length).sum();
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return n == 0 ? null : out;
    }

    private Map<EnvelopeRejection, Long> refusals() {
        return counters.envelopeRejectionCounts();
    }

    @Test
    void anEncryptedPingGetsAnEncryptedAck() {
        GossipEnvelope client = envelope(K1, null);
        PeerChannel ch = inbound(envelope(K1, null));
        ch.writeInbound(Unpooled.wrappedBuffer(client.sealStream(ping())));
        byte[] reply = drain(ch);
        assertEquals(GossipEnvelope.STREAM_ENCRYPTED_TYPE, reply[0], "the reply is encrypted too");
        Opened o = client.openStream(reply);
        assertTrue(o.ok(), o.toString());
        assertEquals(new Message.Ack(7, null), Streams.read(o.plaintext(), 0, o.plaintext().length).value());
        assertTrue(refusals().isEmpty());
        ch.finishAndReleaseAll();
    }

    @Test
    void plaintextAndWrongKeyStreamsAreRefusedAndCounted() {
        PeerChannel plain = inbound(envelope(K1, null));
        plain.writeInbound(Unpooled.wrappedBuffer(ping()));
        assertNull(drain(plain));
        assertFalse(plain.isOpen());
        PeerChannel wrongKey = inbound(envelope(K1, null));
        wrongKey.writeInbound(Unpooled.wrappedBuffer(envelope(K2, null).sealStream(ping())));
        assertNull(drain(wrongKey));
        assertFalse(wrongKey.isOpen());
        assertEquals(Map.of(EnvelopeRejection.NOT_ENCRYPTED, 1L, EnvelopeRejection.NO_KEY_DECRYPTS, 1L), refusals());
        assertTrue(host.events.isEmpty(), "the core saw nothing");
        plain.finishAndReleaseAll();
        wrongKey.finishAndReleaseAll();
    }

    @Test
    void aLabelledConnectionIsCheckedByteByByteThenServed() {
        GossipEnvelope client = envelope(K1, "prod");
        PeerChannel ch = inbound(envelope(K1, "prod"));
        byte[] header = client.streamLabelHeader();
        byte[] request = client.sealStream(ping());
        byte[] all = new byte[header.length + request.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(request, 0, all, header.length, request.length);
        for (byte b : all) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        byte[] reply = drain(ch);
        assertTrue(client.openStream(reply).ok(), "the reply carries no label header");
        assertNull(ch.pipeline().get(StreamLabelHandlers.NAME), "the reader removed itself");
        assertTrue(refusals().isEmpty());
        ch.finishAndReleaseAll();
    }

    @Test
    void aMissingWrongOrEmptyLabelIsRefused() {
        GossipEnvelope server = envelope(K1, "prod");
        byte[][] starts = {
            envelope(K1, null).sealStream(ping()),                                            // no header
            concat(envelope(K1, "test").streamLabelHeader(), envelope(K1, "test").sealStream(ping())),
            {(byte) GossipEnvelope.LABEL_TYPE, 0, 1, 2, 3},                                  // length 0
        };
        for (byte[] start : starts) {
            PeerChannel ch = inbound(server);
            ch.writeInbound(Unpooled.wrappedBuffer(start));
            assertNull(drain(ch));
            assertFalse(ch.isOpen());
            ch.finishAndReleaseAll();
        }
        assertEquals(Map.of(EnvelopeRejection.LABEL_MISMATCH, 2L, EnvelopeRejection.BAD_LABEL_HEADER, 1L), refusals());
        assertTrue(host.events.isEmpty());
    }

    @Test
    void theDialingSideWritesTheLabelHeaderThenTheEncryptedRequest() {
        GossipEnvelope env = envelope(K1, "prod");
        EncryptedStreamEnvelope e = new EncryptedStreamEnvelope(env, new EnvelopeRefusals("client"));
        List<String> outcomes = new ArrayList<>();
        OutboundStreamHandler h = new OutboundStreamHandler(
                new StreamRequest(3, StreamRequest.Kind.PING, NodeAddress.of("127.0.0.2", 7946), "server", ping(),
                        TIMEOUT_NANOS), e, counters, new OutboundStreamHandler.Completion() {
                    @Override
                    public void reply(long streamId, byte[] message) {
                        outcomes.add("reply " + Arrays.toString(message));
                    }

                    @Override
                    public void failure(long streamId, String reason) {
                        outcomes.add("failure " + reason);
                    }
                }, null);
        PeerChannel ch = new PeerChannel();
        pipelines(env).initOutbound(ch, h);
        ch.start();
        h.watch(ch.newSucceededFuture());
        byte[] wire = drain(ch);
        byte[] header = env.streamLabelHeader();
        assertArrayEquals(header, Arrays.copyOf(wire, header.length));
        Opened request = env.openStream(Arrays.copyOfRange(wire, header.length, wire.length));
        assertArrayEquals(ping(), request.plaintext());
        byte[] ack = WireEncoder.encode(new Message.Ack(7, null));
        ch.writeInbound(Unpooled.wrappedBuffer(env.sealStream(ack)));
        assertEquals(List.of("reply " + Arrays.toString(ack)), outcomes);
        ch.finishAndReleaseAll();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
