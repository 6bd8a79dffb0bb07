package dev.grapevine.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.grapevine.crypto.EnvelopeRejection;
import dev.grapevine.crypto.GossipEnvelope;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.Opened;
import dev.grapevine.membership.Host;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Rejection;
import dev.grapevine.membership.StreamRequest;
import dev.grapevine.membership.Timer;
import dev.grapevine.membership.wire.StreamFramer;
import dev.grapevine.membership.wire.Streams;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;

/**
 * Coverage-guided fuzz target (Jazzer) for the inbound stream pipeline as {@link StreamPipelines}
 * builds it, above Netty's buffers: the label header check ({@link StreamLabelHandlers.Reader}),
 * the {@link StreamFrameDecoder}, and the {@link InboundStreamHandler} that opens the first frame
 * with an {@link EncryptedStreamEnvelope} (fixed test key) and hands it to a real, fresh
 * {@link MembershipCore}. A tap between the decoder and the stream handler records every frame.
 * (membership's {@code StreamJazzerFuzzTest} covers the framer and decoders below this.)
 *
 * <p>Input: byte 0 chooses the configuration (bit 0: cluster label "prod" on, so the label reader
 * is installed; bit 1: gossipVerifyIncoming, so plaintext frames are refused; bits 2-4: the
 * frame size limit, from 1 byte to the codec's maximum); byte 1 seeds the chunk sizes and
 * whether each chunk is an unpooled heap, pooled heap or pooled direct buffer; the rest is what
 * the peer sends. Chunks are written while the channel is open, as a socket would deliver them.
 *
 * <p>Oracles, against a model built from {@link StreamFramer} and {@link GossipEnvelope} fed the
 * received bytes whole: no exception escapes the pipeline, nor reaches the stream handler (which
 * would log it and close); the label is accepted exactly when the
 * header is complete and names "prod", and a refusal closes the channel before any frame and is
 * counted once by reason; the frames emitted are exactly the model's (same boundaries, same
 * bytes) and stop where it rejects; a framer refusal closes the channel, counts
 * {@link TransportCounters#framesTooLarge} exactly when the reason is TOO_LARGE and reaches the
 * core once with that reason; the first frame is opened (or refused, counted once by reason)
 * exactly as the envelope opens it alone, and only an opened frame gets a reply, which opens
 * with the same key; the stream slot is given back; and after {@code finishAndReleaseAll()}
 * every input buffer has a reference count of 0 (paranoid leak detection is on as well).
 *
 * <p>A normal build replays the seed corpus
 * ({@code src/test/resources/dev/grapevine/transport/StreamPipelineJazzerFuzzTestInputs/inbound/},
 * written by {@link StreamPipelineFuzzSeeds}). To fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn -B -pl transport -am test-compile surefire:test@fuzz-regression
 * -Dtest='StreamPipelineJazzerFuzzTest' -Dsurefire.failIfNoSpecifiedTests=false
 * -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=300}.
 */
class StreamPipelineJazzerFuzzTest {
    /** The frame size limits byte 0 chooses from (bits 2-4). */
    static final int[] MAX_FRAME = {1, 24, 100, 512, 4096, 65_536, 1 << 20,
        Streams.MAX_STREAM_BYTES + StreamFramer.ENVELOPE_HEADER_BYTES};
    static final String LABEL = "prod";
    static final byte[] KEY = key(7);
    static final int FLAG_LABEL = 1;
    static final int FLAG_VERIFY = 2;

    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final String FRAME_DETAIL = "stream frame: ";
    /** One per configuration, shared by all inputs, so that refusal logging stays rate-limited. */
    private static final EncryptedStreamEnvelope[] ENVELOPES = new EncryptedStreamEnvelope[4];
    private static final GossipEnvelope[] GOSSIP = new GossipEnvelope[4];

    static {
        EnvelopeRefusals refusals = new EnvelopeRefusals("fuzz");
        for (int flags = 0; flags < 4; flags++) {
            GOSSIP[flags] = gossip(flags);
            ENVELOPES[flags] = new EncryptedStreamEnvelope(GOSSIP[flags], refusals);
        }
    }

    static byte[] key(int seed) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) seed);
        return k;
    }

    /** The envelope of configuration {@code flags} (bits 0 and 1 of input byte 0). */
    static GossipEnvelope gossip(int flags) {
        return GossipEnvelope.builder(Keyring.of(KEY))
                .label((flags & FLAG_LABEL) != 0 ? LABEL : null)
                .verifyIncoming((flags & FLAG_VERIFY) != 0)
                .build();
    }

    @FuzzTest
    void inbound(byte[] input) {
        if (input.length < 2) {
            return;
        }
        int flags = input[0] & 0xff;
        boolean labelled = (flags & FLAG_LABEL) != 0;
        int max = MAX_FRAME[(flags >>> 2) & 7];
        SplittableRandom rnd = new SplittableRandom(input[1]);
        byte[] data = Arrays.copyOfRange(input, 2, input.length);

        TransportCounters counters = new TransportCounters();
        EncryptedStreamEnvelope envelope = ENVELOPES[flags & 3];
        envelope.attach(counters);
        RejectionHost host = new RejectionHost();
        MembershipCore core = MembershipCore.builder()
                .config(MembershipConfig.local())
                .name("server")
                .advertise(NodeAddress.of("127.0.0.1", 7946))
                .host(host)
                .clock(System::nanoTime)
                .random(new SplittableRandom(1))
                .build();
        core.start();
        RecordingLogger logger = new RecordingLogger();
        StreamPipelines pipelines = new StreamPipelines(core, envelope, counters, new RateLimitedLog(logger, 0), max, 8,
                TIMEOUT_NANOS, c -> { });
        PeerChannel ch = new PeerChannel();
        pipelines.initInbound(ch);
        List<Object> frames = new ArrayList<>();
        List<Throwable> caught = new ArrayList<>();
        ch.pipeline().addBefore(StreamPipelines.STREAM, "tap", new Tap(frames, caught));
        ch.start();
        assertEquals(labelled, ch.pipeline().get(StreamLabelHandlers.NAME) != null, "label reader installed");

        List<ByteBuf> inputs = new ArrayList<>();
        List<byte[]> replies = new ArrayList<>();
        int fed = 0;
        boolean closedBeforeFinish;
        try {
            while (fed < data.length && ch.isOpen()) {
                int n = Math.min(data.length - fed, 1 + rnd.nextInt(1 + rnd.nextInt(64)));
                ByteBuf b = switch (rnd.nextInt(3)) {
                    case 0 -> Unpooled.buffer(n);
                    case 1 -> PooledByteBufAllocator.DEFAULT.heapBuffer(n);
                    default -> PooledByteBufAllocator.DEFAULT.directBuffer(n);
                };
                b.writeBytes(data, fed, n);
                inputs.add(b);
                fed += n;
                ch.writeInbound(b);
                ch.checkException();
            }
            for (ByteBuf out; (out = ch.readOutbound()) != null; ) {
                try {
                    replies.add(ByteBufUtil.getBytes(out));
                } finally {
                    out.release();
                }
            }
            closedBeforeFinish = !ch.isOpen();
        } finally {
            ch.finishAndReleaseAll();
            for (ByteBuf b : inputs) {
                assertEquals(0, b.refCnt(), "an input buffer was not released");
            }
        }
        ch.checkException();
        // exceptions the stream handler would swallow (it logs "stream from ... failed: ..." and closes)
        assertEquals(List.of(), caught, "exceptions from the label reader or frame decoder");
        for (String line : logger.lines) {
            assertFalse(line.startsWith("stream from ") && line.contains(" failed: "), "a handler threw: " + line);
        }

        Model m = new Model(data, fed, labelled, max);
        String where = "flags=" + flags + " max=" + max + " fed=" + fed + "/" + data.length;
        long envelopeRefusals = Arrays.stream(counters.envelopeRejections).sum();

        // the label header
        if (m.labelRefusal != null) {
            assertTrue(closedBeforeFinish, "a refused label closes the channel: " + where);
            assertEquals(1, counters.envelopeRejections[m.labelRefusal.ordinal()], "label refusal counted: " + where);
        }

        // the frames: exactly the model's, and nothing after a rejection
        assertEquals(m.frames.size(), frames.size(), "frames emitted: " + where);
        for (int i = 0; i < frames.size(); i++) {
            assertTrue(frames.get(i) instanceof byte[], "the decoder emits byte[] only: " + frames.get(i));
            assertArrayEquals(m.frames.get(i), (byte[]) frames.get(i), "frame " + i + ": " + where);
        }
        List<Rejection> frameRefusals = host.frameRefusals;
        if (m.frameRefusal != null) {
            assertTrue(closedBeforeFinish, "a refused stream closes the channel: " + where);
            assertEquals(List.of(m.frameRefusal), frameRefusals, "refusal reaches the core: " + where);
        } else {
            assertEquals(List.of(), frameRefusals, "no frame refusal: " + where);
        }
        assertEquals(m.frameRefusal == Rejection.TOO_LARGE ? 1 : 0, counters.framesTooLarge, "framesTooLarge: " + where);

        // the first frame: opened as the envelope opens it alone, answered only when opened
        long expectedEnvelopeRefusals = m.labelRefusal != null ? 1 : 0;
        if (m.frames.isEmpty()) {
            assertEquals(List.of(), replies, "no reply without a frame: " + where);
            assertEquals(0, counters.keyringRequestsRefused);
        } else {
            byte[] first = m.frames.get(0);
            assertTrue(closedBeforeFinish, "the stream is closed after its first message: " + where);
            if (KeyringMessages.isKeyringMessage(first)) {
                assertEquals(1, counters.keyringRequestsRefused, "keyring request refused: " + where);
                assertEquals(List.of(), replies, "keyring request unanswered: " + where);
            } else {
                Opened o = GOSSIP[flags & 3].openStream(first);
                if (o.ok()) {
                    assertEquals(o.unverified() ? 1 : 0, counters.unverifiedAccepted, "unverified: " + where);
                } else {
                    expectedEnvelopeRefusals++;
                    assertEquals(1, counters.envelopeRejections[o.rejection().ordinal()],
                            "frame refusal " + o.rejection() + " counted: " + where);
                    assertEquals(List.of(), replies, "no reply to a refused frame: " + where);
                }
            }
        }
        assertEquals(expectedEnvelopeRefusals, envelopeRefusals, "envelope refusals: " + where);
        assertTrue(replies.size() <= 1, "at most one reply: " + where);
        for (byte[] reply : replies) {
            Opened o = GOSSIP[flags & 3].openStream(reply);
            assertTrue(o.ok() && !o.unverified(), "the reply is sealed with the key: " + where);
            assertTrue(Streams.read(o.plaintext(), 0, o.plaintext().length).ok(), "the reply decodes: " + where);
        }
        assertEquals(1, counters.streamsAccepted);
        assertEquals(0, counters.inboundInProgress, "slot given back: " + where);
    }

    /** What the pipeline should make of {@code data[0, fed)}, from the framer and envelope alone. */
    static final class Model {
        final List<byte[]> frames = new ArrayList<>();
        EnvelopeRejection labelRefusal;
        Rejection frameRefusal;

        Model(byte[] data, int fed, boolean labelled, int max) {
            int pos = 0;
            if (labelled) {
                if (fed == 0) {
                    return;
                }
                if ((data[0] & 0xff) == 244) {
                    if (fed < 2 || fed < 2 + (data[1] & 0xff)) {
                        return; // header incomplete: the reader waits
                    }
                    int n = data[1] & 0xff;
                    byte[] label = Arrays.copyOfRange(data, 2, 2 + n);
                    if (n == 0) {
                        labelRefusal = EnvelopeRejection.BAD_LABEL_HEADER;
                    } else if (!Arrays.equals(label, LABEL.getBytes(StandardCharsets.UTF_8))) {
                        labelRefusal = EnvelopeRejection.LABEL_MISMATCH;
                    }
                    pos = 2 + n;
                } else {
                    labelRefusal = EnvelopeRejection.LABEL_MISMATCH;
                }
                if (labelRefusal != null) {
                    return;
                }
            }
            while (pos < fed) {
                StreamFramer f = new StreamFramer(max);
                int r = f.frameLength(data, pos, fed - pos);
                if (r == StreamFramer.NEED_MORE) {
                    return;
                }
                if (r == StreamFramer.REJECTED) {
                    frameRefusal = f.rejection();
                    return;
                }
                frames.add(Arrays.copyOfRange(data, pos, pos + r));
                pos += r;
            }
        }
    }

    /**
     * Records each frame the decoder emits, and each exception from the handlers before it, and
     * passes them on to the stream handler. (It does not assert: a throw here would reach the
     * stream handler's exceptionCaught, which logs and closes, not the test.)
     */
    private static final class Tap extends ChannelInboundHandlerAdapter {
        private final List<Object> frames;
        private final List<Throwable> caught;

        Tap(List<Object> frames, List<Throwable> caught) {
            this.frames = frames;
            this.caught = caught;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            frames.add(msg instanceof byte[] b ? b.clone() : msg.getClass().getName());
            ctx.fireChannelRead(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            caught.add(cause);
            ctx.fireExceptionCaught(cause);
        }
    }

    /**
     * The pipeline's log, recorded and never printed (every line: the rate limit is 0), so that an
     * exception the stream handler caught and logged is seen.
     */
    private static final class RecordingLogger extends LegacyAbstractLogger {
        final List<String> lines = new ArrayList<>();

        @Override
        public boolean isTraceEnabled() {
            return false;
        }

        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String msg, Object[] arguments,
                                                   Throwable throwable) {
            lines.add(msg);
        }
    }

    /** The core's host: records the stream refusals the pipeline reports to the core. */
    private static final class RejectionHost implements Host {
        final List<Rejection> frameRefusals = new ArrayList<>();

        @Override
        public void sendPacket(NodeAddress to, byte[] packet) {
        }

        @Override
        public void openStream(StreamRequest request) {
        }

        @Override
        public void schedule(Timer timer, long delayNanos) {
        }

        @Override
        public void emit(MembershipEvent event) {
        }

        @Override
        public void rejected(NodeAddress from, Rejection reason, String detail) {
            if (detail != null && detail.startsWith(FRAME_DETAIL)) {
                frameRefusals.add(reason);
            }
        }
    }
}
