/**
 * TLS 1.3 with mutual authentication for node-to-node streams ({@link
 * dev.grapevine.crypto.tls.NodeTls}): {@code SSLEngine}s for the transport, trusting the cluster CA
 * alone and checking that a server is the node the client meant to reach. BouncyCastle's JSSE
 * provider does the protocol; the JDK's providers do the bulk crypto and key exchange.
 */
package dev.grapevine.crypto.tls;
