package dev.grapevine.transport;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The Netty I/O flavour a node runs on: Linux epoll when {@link Epoll#isAvailable()}, the JDK's
 * NIO otherwise. Holds the event-loop handler factory and the three channel types that go with it.
 * Immutable.
 *
 * @param name           {@code "epoll"} or {@code "nio"}, for logs
 * @param handlerFactory creates the event loop's I/O handler
 * @param datagram       the UDP channel type
 * @param server         the TCP listener type
 * @param socket         the TCP connection type
 */
record IoTransport(String name, IoHandlerFactory handlerFactory, Class<? extends DatagramChannel> datagram,
                   Class<? extends ServerSocketChannel> server, Class<? extends SocketChannel> socket) {

    /** epoll when the native library loads on this machine, else NIO. */
    static IoTransport detect() {
        return Epoll.isAvailable() ? epoll() : nio();
    }

    /** The JDK's NIO; works everywhere. */
    static IoTransport nio() {
        return new IoTransport("nio", NioIoHandler.newFactory(), NioDatagramChannel.class,
                NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /** Linux epoll; only when {@link Epoll#isAvailable()}. */
    static IoTransport epoll() {
        Epoll.ensureAvailability();
        return new IoTransport("epoll", EpollIoHandler.newFactory(), EpollDatagramChannel.class,
                EpollServerSocketChannel.class, EpollSocketChannel.class);
    }
}
