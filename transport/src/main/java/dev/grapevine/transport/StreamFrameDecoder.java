package dev.grapevine.transport;

import dev.grapevine.membership.Rejection;
import dev.grapevine.membership.wire.StreamFramer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.SocketAddress;
import java.util.List;

/**
 * Cuts the bytes of a stream connection into memberlist stream messages (memberlist-wire.md §6):
 * each complete message goes down the pipeline as a {@code byte[]} of its own (a copy: no
 * {@link ByteBuf} leaves this handler). Where a message ends is found by {@link StreamFramer},
 * without decoding it, in work linear in its size however it arrives.
 *
 * <p><b>Limits.</b> A message may be at most {@code maxFrameBytes} long (for an encrypted
 * stream, its {@code [10][L]} header included). A longer one is refused as soon as a length field
 * or the bytes present show it: counted in {@link TransportCounters#framesTooLarge} and the
 * connection closed. Any other invalid stream (an unknown first byte, broken msgpack) closes the
 * connection too. Bytes after a refused message are discarded. The bytes held while a message
 * is incomplete are bounded by the limit plus one socket read.
 *
 * <p><b>Buffers.</b> The cumulation is always a heap buffer ({@link #HEAP_CUMULATOR}) so the
 * framer can read its array in place; the framer resumes where it stopped, so a message fed in
 * many small reads is not rescanned. Every input buffer is released by the cumulator, and the
 * cumulation by {@link ByteToMessageDecoder} when the channel closes.
 *
 * <p><b>Threading.</b> Keeps per-connection state: never {@code @Sharable}, one instance per
 * channel, used on that channel's event loop.
 */
final class StreamFrameDecoder extends ByteToMessageDecoder {

    /**
     * Merges reads into one heap buffer (the default cumulator may keep a direct buffer, whose
     * bytes the framer cannot read in place). Releases {@code in} in every case.
     */
    static final Cumulator HEAP_CUMULATOR = (ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) -> {
        try {
            int required = in.readableBytes();
            if (cumulation.hasArray() && cumulation.refCnt() == 1 && !cumulation.isReadOnly()
                    && cumulation.writableBytes() >= required && cumulation.capacity() > 0) {
                cumulation.writeBytes(in);
                return cumulation;
            }
            int needed = cumulation.readableBytes() + required;
            int capacity = Math.max(256, needed > (1 << 29) ? needed : Integer.highestOneBit(needed - 1) << 1);
            ByteBuf bigger = alloc.heapBuffer(Math.max(capacity, needed));
            bigger.writeBytes(cumulation);
            bigger.writeBytes(in);
            cumulation.release();
            return bigger;
        } finally {
            in.release();
        }
    };

    /** Where a refused stream is reported with its typed reason (the core counts it). */
    @FunctionalInterface
    interface RefusalSink {
        /**
         * @param remote the connection's peer
         * @param reason why the framer refused the stream
         * @param detail a short description
         */
        void refused(SocketAddress remote, Rejection reason, String detail);
    }

    private final int maxFrameBytes;
    private final TransportCounters counters;
    private final RateLimitedLog log;
    private final RefusalSink refusals;
    private StreamFramer framer;
    private boolean failed;

    /**
     * @param maxFrameBytes the longest message accepted
     * @param counters      where refusals are counted
     * @param log           where refusals are logged (rate-limited, debug)
     */
    StreamFrameDecoder(int maxFrameBytes, TransportCounters counters, RateLimitedLog log) {
        this(maxFrameBytes, counters, log, (remote, reason, detail) -> { });
    }

    /**
     * @param maxFrameBytes the longest message accepted
     * @param counters      where oversized frames are counted
     * @param log           where refusals are logged (rate-limited, debug)
     * @param refusals      where every refusal is reported with its reason
     */
    StreamFrameDecoder(int maxFrameBytes, TransportCounters counters, RateLimitedLog log, RefusalSink refusals) {
        this.refusals = refusals;
        this.maxFrameBytes = maxFrameBytes;
        this.counters = counters;
        this.log = log;
        this.framer = new StreamFramer(maxFrameBytes);
        setCumulator(HEAP_CUMULATOR);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (!in.hasArray()) {
            throw new IllegalStateException("cumulation is not a heap buffer");
        }
        int n = framer.frameLength(in.array(), in.arrayOffset() + in.readerIndex(), in.readableBytes());
        if (n == StreamFramer.NEED_MORE) {
            return;
        }
        if (n == StreamFramer.REJECTED) {
            failed = true;
            in.skipBytes(in.readableBytes());
            if (framer.rejection() == Rejection.TOO_LARGE) {
                counters.framesTooLarge++;
            }
            log.debug("stream from " + ctx.channel().remoteAddress() + " refused: " + framer.rejection() + " ("
                    + framer.detail() + ")");
            refusals.refused(ctx.channel().remoteAddress(), framer.rejection(), "stream frame: " + framer.detail());
            ctx.close();
            return;
        }
        byte[] frame = new byte[n];
        in.readBytes(frame);
        out.add(frame);
        framer = new StreamFramer(maxFrameBytes);
    }
}
