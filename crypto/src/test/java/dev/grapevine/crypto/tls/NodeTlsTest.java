package dev.grapevine.crypto.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import java.time.Duration;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NodeTlsTest {

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void mutualHandshake(KeyAlgorithm alg) {
        ClusterCa ca = ClusterCa.create("test CA", alg, Duration.ofDays(1));
        ClusterTrust trust = ca.trust();
        IssuedCertificate a = ca.issue("node-a", alg, Duration.ofHours(1));
        IssuedCertificate b = ca.issue("node-b", alg, Duration.ofHours(1));
        NodeTls ta = NodeTls.of(trust, a.certificate(), a.privateKey());
        NodeTls tb = NodeTls.of(trust, b.certificate(), b.privateKey());
        SSLEngine client = ta.newClientEngine("node-b");
        SSLEngine server = tb.newServerEngine();
        Exception failure = Handshakes.run(client, server);
        assertNull(failure, () -> "handshake failed: " + failure);
        assertEquals("node-b", NodeTls.peerName(client.getSession()).orElseThrow());
        assertEquals("node-a", NodeTls.peerName(server.getSession()).orElseThrow());
        assertEquals("TLSv1.3", client.getSession().getProtocol());
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void wrongNameRefused(KeyAlgorithm alg) {
        ClusterCa ca = ClusterCa.create("test CA", alg, Duration.ofDays(1));
        IssuedCertificate a = ca.issue("node-a", alg, Duration.ofHours(1));
        IssuedCertificate b = ca.issue("node-b", alg, Duration.ofHours(1));
        NodeTls ta = NodeTls.of(ca.trust(), a.certificate(), a.privateKey());
        NodeTls tb = NodeTls.of(ca.trust(), b.certificate(), b.privateKey());
        assertNotNull(Handshakes.run(ta.newClientEngine("node-c"), tb.newServerEngine()));
    }
}
