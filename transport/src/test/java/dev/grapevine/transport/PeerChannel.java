package dev.grapevine.transport;

import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * An {@link EmbeddedChannel} whose peer has a real IP address, as stream handlers expect. Created
 * unregistered, so that a test can build the pipeline first (as a channel initializer would) and
 * then {@link #register()} it, which makes it active.
 */
final class PeerChannel extends EmbeddedChannel {
    static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.2", 40000);

    PeerChannel() {
        super(EmbeddedChannel.builder().register(false));
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return isActive() ? PEER : null;
    }

    /** Registers the channel, which makes it active. */
    PeerChannel start() {
        try {
            register();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return this;
    }
}
