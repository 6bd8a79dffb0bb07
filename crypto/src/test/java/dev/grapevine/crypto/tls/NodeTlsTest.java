package dev.grapevine.crypto.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.crypto.pki.PkiException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NodeTlsTest {
    private static final Duration HOUR = Duration.ofHours(1);

    @TempDir
    Path dir;

    private static NodeTls node(ClusterCa ca, String name, KeyAlgorithm alg) {
        IssuedCertificate c = ca.issue(name, alg, HOUR);
        return NodeTls.of(ca.trust(), c.certificate(), c.privateKey());
    }

    /** The messages of a failure and its causes, for asserting why a handshake failed. */
    private static String why(Exception e) {
        assertNotNull(e, "the handshake should have failed");
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t).append(" | ");
        }
        return b.toString();
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void mutualHandshake(KeyAlgorithm alg) {
        ClusterCa ca = ClusterCa.create("test CA", alg, Duration.ofDays(1));
        NodeTls a = node(ca, "node-a", alg);
        NodeTls b = node(ca, "node-b", alg);
        long signs = GrapevineTlsCrypto.ED25519_SIGNATURES.sum();
        long verifies = GrapevineTlsCrypto.ED25519_VERIFICATIONS.sum();
        long agreements = GrapevineTlsCrypto.X25519_AGREEMENTS.sum();
        SSLEngine client = a.newClientEngine("node-b");
        SSLEngine server = b.newServerEngine();
        Exception failure = Handshakes.run(client, server);
        assertNull(failure, () -> "handshake failed: " + why(failure));
        assertEquals("node-b", NodeTls.peerName(client.getSession()).orElseThrow());
        assertEquals("node-a", NodeTls.peerName(server.getSession()).orElseThrow());
        assertEquals("TLSv1.3", client.getSession().getProtocol());
        assertEquals("TLSv1.3", server.getSession().getProtocol());
        assertEquals("TLS_AES_128_GCM_SHA256", client.getSession().getCipherSuite());
        assertEquals("node-a", a.localName());
        // Ed25519 keys: the ed25519 signature scheme was negotiated and ran through BouncyCastle's
        // low-level Ed25519 (both CertificateVerify messages signed and verified).
        long expected = alg == KeyAlgorithm.ED25519 ? 2 : 0;
        assertEquals(expected, GrapevineTlsCrypto.ED25519_SIGNATURES.sum() - signs);
        assertEquals(expected, GrapevineTlsCrypto.ED25519_VERIFICATIONS.sum() - verifies);
        // The key exchange is X25519 (first in BCJSSE's preference), done by BouncyCastle on both sides.
        assertEquals(2, GrapevineTlsCrypto.X25519_AGREEMENTS.sum() - agreements);
    }

    @Test
    void mixedKeyTypesUnderOneCa() {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        NodeTls a = node(ca, "node-a", KeyAlgorithm.ECDSA_P256);
        NodeTls b = node(ca, "node-b", KeyAlgorithm.ED25519);
        assertNull(Handshakes.run(a.newClientEngine("node-b"), b.newServerEngine()));
        assertNull(Handshakes.run(b.newClientEngine("node-a"), a.newServerEngine()));
    }

    @Test
    void anyClusterNodeWhenNoNameIsExpected() {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        NodeTls a = node(ca, "node-a", KeyAlgorithm.ED25519);
        NodeTls b = node(ca, "node-b", KeyAlgorithm.ED25519);
        SSLEngine client = a.newClientEngine(null);
        assertNull(Handshakes.run(client, b.newServerEngine()));
        assertEquals("node-b", NodeTls.peerName(client.getSession()).orElseThrow());
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void wrongNameRefused(KeyAlgorithm alg) {
        ClusterCa ca = ClusterCa.create("test CA", alg, Duration.ofDays(1));
        NodeTls a = node(ca, "node-a", alg);
        NodeTls b = node(ca, "node-b", alg);
        String why = why(Handshakes.run(a.newClientEngine("node-c"), b.newServerEngine()));
        assertTrue(why.contains("server certificate refused: names [node-b], not node-c"), why);
        assertEquals(new NodeTls.Stats(0, 1, 0, 0), a.stats());
    }

    @Test
    void serverFromAnotherCaRefused() {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        ClusterCa other = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        NodeTls a = node(ca, "node-a", KeyAlgorithm.ED25519);
        IssuedCertificate forged = other.issue("node-b", KeyAlgorithm.ED25519, HOUR);
        // The impostor trusts our CA, so only the client's check stands between them.
        NodeTls b = NodeTls.of(ca.trust(), forged.certificate(), forged.privateKey());
        String why = why(Handshakes.run(a.newClientEngine("node-b"), b.newServerEngine()));
        assertTrue(why.contains("server certificate refused: not issued by a cluster CA"), why);
    }

    @Test
    void clientFromAnotherCaRefused() {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ECDSA_P256, Duration.ofDays(1));
        ClusterCa other = ClusterCa.create("other CA", KeyAlgorithm.ECDSA_P256, Duration.ofDays(1));
        IssuedCertificate forged = other.issue("node-a", KeyAlgorithm.ECDSA_P256, HOUR);
        NodeTls a = NodeTls.of(ca.trust(), forged.certificate(), forged.privateKey());
        NodeTls b = node(ca, "node-b", KeyAlgorithm.ECDSA_P256);
        String why = why(Handshakes.run(a.newClientEngine("node-b"), b.newServerEngine()));
        assertTrue(why.contains("client certificate refused: not issued by a cluster CA"), why);
        assertEquals(1, b.stats().refusedClients());
    }

    @Test
    void expiredCertificatesRefused() {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        Instant now = Instant.now();
        IssuedCertificate old = ca.issue("node-b", KeyAlgorithm.ED25519.generate(), now.minus(Duration.ofDays(2)),
                now.minus(Duration.ofDays(1)));
        NodeTls expired = NodeTls.of(ca.trust(), old.certificate(), old.privateKey());
        NodeTls a = node(ca, "node-a", KeyAlgorithm.ED25519);
        String asServer = why(Handshakes.run(a.newClientEngine("node-b"), expired.newServerEngine()));
        assertTrue(asServer.contains("server certificate refused: expired at"), asServer);
        String asClient = why(Handshakes.run(expired.newClientEngine("node-a"), a.newServerEngine()));
        assertTrue(asClient.contains("client certificate refused: expired at"), asClient);
    }

    @Test
    void everyConnectionChecksCertificatesAnew() {
        // No session resumption: a second connection between the same nodes re-checks the
        // certificates, so one that expired in between is refused.
        dev.grapevine.crypto.pki.TestClock clock = new dev.grapevine.crypto.pki.TestClock(Instant.now());
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        ClusterTrust trust = ClusterTrust.of(java.util.List.of(ca.certificate()), clock);
        IssuedCertificate ia = ca.issue("node-a", KeyAlgorithm.ED25519, Duration.ofDays(1));
        IssuedCertificate ib = ca.issue("node-b", KeyAlgorithm.ED25519, HOUR);
        NodeTls a = NodeTls.of(trust, ia.certificate(), ia.privateKey());
        NodeTls b = NodeTls.of(trust, ib.certificate(), ib.privateKey());
        for (int i = 0; i < 3; i++) {
            assertNull(Handshakes.run(a.newClientEngine("node-b"), b.newServerEngine()));
        }
        clock.advance(Duration.ofHours(2));
        String why = why(Handshakes.run(a.newClientEngine("node-b"), b.newServerEngine()));
        assertTrue(why.contains("server certificate refused: expired at"), why);
    }

    @Test
    void clientWithoutCertificateRefused() throws Exception {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        NodeTls b = node(ca, "node-b", KeyAlgorithm.ED25519);
        SSLContext anonymous = SSLContext.getInstance("TLS", NodeTls.Bcjsse.PROVIDER);
        anonymous.init(null, new TrustManager[] {new TrustAll()}, new java.security.SecureRandom());
        SSLEngine client = anonymous.createSSLEngine();
        client.setUseClientMode(true);
        client.setEnabledProtocols(new String[] {"TLSv1.3"});
        SSLEngine server = b.newServerEngine();
        String why = why(Handshakes.run(client, server));
        assertTrue(why.contains("certificate_required") || why.contains("no certificate"), why);
        assertTrue(NodeTls.peerName(server.getSession()).isEmpty());
    }

    @Test
    void tls12Refused() throws Exception {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ECDSA_P256, Duration.ofDays(1));
        NodeTls b = node(ca, "node-b", KeyAlgorithm.ECDSA_P256);
        SSLContext old = SSLContext.getInstance("TLS", NodeTls.Bcjsse.PROVIDER);
        old.init(null, new TrustManager[] {new TrustAll()}, new java.security.SecureRandom());
        SSLEngine client = old.createSSLEngine();
        client.setUseClientMode(true);
        client.setEnabledProtocols(new String[] {"TLSv1.2"});
        assertNotNull(Handshakes.run(client, b.newServerEngine()));
    }

    @Test
    void certificateSwappedOnDiskIsUsedByTheNextEngine() throws Exception {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        ClusterTrust trust = ca.trust();
        Path cert = dir.resolve("node-b.pem");
        Path key = dir.resolve("node-b.key");
        IssuedCertificate first = ca.issue("node-b", KeyAlgorithm.ED25519, HOUR);
        first.write(cert, key);
        AtomicLong nanos = new AtomicLong();
        NodeTls b = NodeTls.load(trust, cert, key, nanos::get);
        NodeTls a = node(ca, "node-a", KeyAlgorithm.ED25519);
        assertEquals(first.certificate(), serverCertificateSeenBy(a, b));

        // A renewed certificate with a new key (ECDSA now), written as a renewal tool would.
        IssuedCertificate second = ca.issue("node-b", KeyAlgorithm.ECDSA_P256, HOUR);
        second.write(cert, key);
        assertEquals(first.certificate(), serverCertificateSeenBy(a, b), "checked at most once a second");
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals(second.certificate(), serverCertificateSeenBy(a, b));
        assertEquals(second.certificate(), b.certificate());

        // A broken file keeps the previous pair in use.
        Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals(second.certificate(), serverCertificateSeenBy(a, b));

        // So does a certificate for another node, and one whose key is not in the key file.
        ca.issue("node-z", KeyAlgorithm.ED25519, HOUR).write(cert, key);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals(second.certificate(), serverCertificateSeenBy(a, b));
        IssuedCertificate third = ca.issue("node-b", KeyAlgorithm.ED25519, HOUR);
        dev.grapevine.crypto.pki.Pem.writeCertificates(cert, java.util.List.of(third.certificate()));
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals(second.certificate(), serverCertificateSeenBy(a, b));

        // ... until its key arrives too.
        dev.grapevine.crypto.pki.Pem.writePrivateKey(key, third.privateKey());
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals(third.certificate(), serverCertificateSeenBy(a, b));
        assertEquals(new NodeTls.Stats(0, 0, 2, 3), b.stats());
        assertNotEquals(first.certificate(), third.certificate());
    }

    @Test
    void loadRefusesAMismatchedPair() {
        ClusterCa ca = ClusterCa.create("test CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        ca.issue("node-a", KeyAlgorithm.ED25519, HOUR).write(cert, dir.resolve("unused.pem"));
        ca.issue("node-a", KeyAlgorithm.ED25519, HOUR).write(dir.resolve("unused2.pem"), key);
        Path caPem = dir.resolve("ca.pem");
        dev.grapevine.crypto.pki.Pem.writeCertificates(caPem, java.util.List.of(ca.certificate()));
        PkiException e = assertThrows(PkiException.class, () -> NodeTls.load(caPem, cert, key));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
    }

    private static X509Certificate serverCertificateSeenBy(NodeTls client, NodeTls server) throws Exception {
        SSLEngine c = client.newClientEngine("node-b");
        Exception failure = Handshakes.run(c, server.newServerEngine());
        assertNull(failure, () -> why(failure));
        return (X509Certificate) c.getSession().getPeerCertificates()[0];
    }

    /** For the deliberately broken clients above: accepts any server. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
