package dev.grapevine.transport;

/**
 * Whether a node's stream connections (push/pulls, stream pings, reliable messages) use TLS; see
 * {@link GrapevineNode.Builder#tls}. Immutable; any thread.
 */
public enum TlsMode {
    /** Plain TCP streams, as memberlist and Serf speak them. */
    OFF,
    /**
     * Mutual TLS on every stream, with no plaintext fallback: inbound connections that do not
     * complete a TLS handshake with a certificate from the cluster CA are closed; outbound streams
     * always use TLS, and expect the certificate of the node they are opened to. A node enters this
     * node's member list only once a TLS handshake (or, in signing mode, a signed alive) has proven
     * that it holds a certificate naming it. Serf and memberlist peers cannot join.
     */
    REQUIRED
}
