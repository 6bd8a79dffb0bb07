package dev.grapevine.transport;

import dev.grapevine.crypto.tls.NodeTls;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

/**
 * Where stream pipelines get their TLS engines, and how they read the peer's node name from a
 * completed handshake: {@link NodeTls} in production, a stand-in in codec tests.
 *
 * <p><b>Threading.</b> Called on the node's event loop; implementations must not block for long
 * (loading changed certificate files from disk is acceptable).
 */
interface StreamTls {

    /** A client engine that fails the handshake unless the server presents a certificate naming {@code expectedPeer} (any cluster certificate when null). */
    SSLEngine clientEngine(String expectedPeer);

    /** A server engine that requires a client certificate from the cluster CA. */
    SSLEngine serverEngine();

    /** The node name in the peer's certificate of a completed handshake, or null when it names none. */
    String peerName(SSLSession session);

    /** The node name in this node's own certificate. */
    String localName();

    /** Adapts the crypto module's TLS material. */
    static StreamTls of(NodeTls tls) {
        Objects.requireNonNull(tls, "tls");
        return new StreamTls() {
            @Override
            public SSLEngine clientEngine(String expectedPeer) {
                return tls.newClientEngine(expectedPeer);
            }

            @Override
            public SSLEngine serverEngine() {
                return tls.newServerEngine();
            }

            @Override
            public String peerName(SSLSession session) {
                return NodeTls.peerName(session).orElse(null);
            }

            @Override
            public String localName() {
                return tls.localName();
            }
        };
    }
}
