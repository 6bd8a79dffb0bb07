package dev.grapevine.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/**
 * The UDP socket's only handler: copies each datagram's bytes into a {@code byte[]}, releases
 * the Netty buffer at once, and hands the bytes and the sender to a {@link Sink} (the node, which
 * opens the {@link PacketEnvelope} and feeds the core). Errors on the socket are logged and the
 * socket stays open: a gossip socket must survive bad input.
 *
 * <p><b>Buffers.</b> Every {@link DatagramPacket} is released here, before the sink runs, whether
 * or not copying succeeded. Other messages are passed on untouched.
 *
 * <p><b>Threading.</b> Stateless apart from its collaborators; used on the node's event loop.
 */
final class PacketHandler extends ChannelInboundHandlerAdapter {

    /** Receives each datagram, on the event loop. */
    @FunctionalInterface
    interface Sink {
        /**
         * @param sender where the datagram came from
         * @param bytes  its payload; owned by the sink
         */
        void packet(InetSocketAddress sender, byte[] bytes);
    }

    private final Sink sink;
    private final RateLimitedLog log;

    PacketHandler(Sink sink, RateLimitedLog log) {
        this.sink = sink;
        this.log = log;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ctx.fireChannelRead(msg);
            return;
        }
        byte[] bytes;
        InetSocketAddress sender;
        try {
            ByteBuf content = packet.content();
            bytes = ByteBufUtil.getBytes(content, content.readerIndex(), content.readableBytes());
            sender = packet.sender();
        } finally {
            packet.release();
        }
        sink.packet(sender, bytes);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("UDP socket error (socket stays open): " + cause);
    }
}
