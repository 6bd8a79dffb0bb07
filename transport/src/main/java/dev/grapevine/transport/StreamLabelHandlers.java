package dev.grapevine.transport;

import dev.grapevine.crypto.GossipEnvelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * The connection-level label header of newer memberlist ({@code [244][n][n bytes]}), for nodes
 * with a cluster label: the dialing side writes it once before its request ({@link Writer}); the
 * accepting side reads and checks it before the first frame ({@link Reader}), then gets out of
 * the way. The reply carries no header. Installed by {@link StreamPipelines} only when the
 * {@link StreamEnvelope} has a label.
 *
 * <p><b>Threading.</b> One instance per channel, on the node's event loop.
 */
final class StreamLabelHandlers {
    static final String NAME = "label";

    private StreamLabelHandlers() {
    }

    /** Writes the header when the connection opens, before the stream handler writes its request. */
    static final class Writer extends ChannelInboundHandlerAdapter {
        private final byte[] header;

        Writer(byte[] header) {
            this.header = header;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.write(Unpooled.wrappedBuffer(header));
            ctx.fireChannelActive();
            ctx.pipeline().remove(this);
        }
    }

    /**
     * Reads the header (or finds none) and asks the envelope whether to go on; then removes itself,
     * passing any bytes after the header on to the frame decoder. A refused connection is closed and
     * its further bytes discarded. Bytes held are bounded by the header's 257 bytes plus one read.
     */
    static final class Reader extends ByteToMessageDecoder {
        private final StreamEnvelope envelope;
        private boolean refused;

        Reader(StreamEnvelope envelope) {
            this.envelope = envelope;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (refused) {
                in.skipBytes(in.readableBytes());
                return;
            }
            if (!in.isReadable()) {
                return;
            }
            int start = in.readerIndex();
            byte[] label = null;
            if (in.getUnsignedByte(start) == GossipEnvelope.LABEL_TYPE) {
                if (in.readableBytes() < 2) {
                    return;
                }
                int n = in.getUnsignedByte(start + 1);
                if (in.readableBytes() < 2 + n) {
                    return;
                }
                label = new byte[n];
                in.getBytes(start + 2, label);
                in.skipBytes(2 + n);
            }
            if (!envelope.acceptLabel(label, ctx.channel().remoteAddress())) {
                refused = true;
                in.skipBytes(in.readableBytes());
                ctx.close();
                return;
            }
            ctx.pipeline().remove(this);
        }
    }
}
