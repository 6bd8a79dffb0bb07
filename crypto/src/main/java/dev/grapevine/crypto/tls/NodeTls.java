package dev.grapevine.crypto.tls;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.grapevine.crypto.pki.Certificates;
import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.PkiException;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS 1.3 contexts for node-to-node streams: mutual authentication always, and the cluster CA as the
 * only trust anchor. Built on BouncyCastle's JSSE provider (which, unlike the JDK's on Java 17,
 * negotiates Ed25519 certificates) with its bulk crypto done by the JDK's JCA providers (AES-GCM
 * with AES-NI), never by BouncyCastle's pure-Java ciphers; the provider's java.util.logging output
 * is turned down to WARNING (its per-handshake INFO lines slow handshakes severalfold).
 *
 * <p><b>Peers.</b> A server engine requires a client certificate from the cluster CA, whatever node
 * it names ({@link #peerName} tells which). A client engine requires the server's certificate to name
 * the expected node (its DNS subject alternative name, exactly), or any node for a join seed whose
 * name is not known yet. Certificates are checked by {@link ClusterTrust#check} at every handshake;
 * sessions are never resumed (engines are created without a peer host), so every connection sees a
 * full handshake and a current check.
 *
 * <p><b>Rotation.</b> When built by {@link #load}, the node's certificate and key files are
 * re-read when they change: each new engine looks at their modification time, size and file key at
 * most once per second; a change rebuilds the context used by the engines created after it. A new
 * pair that cannot be read, whose key is not the certificate's, or that names another node is
 * refused with a warning, and the previous pair stays in use (writing the key first and the
 * certificate second, each atomically, as {@link IssuedCertificate#write} does, avoids the
 * transient mismatch). The CA file is read once.
 *
 * <p><b>Threading.</b> Thread-safe. {@link #newClientEngine} and {@link #newServerEngine} may be
 * called from any thread (Netty event loops); they do not block, except for the file checks above
 * (a few {@code stat} calls a second) and, after a change, the re-read of two small files.
 */
public final class NodeTls {
    private static final Logger LOG = LoggerFactory.getLogger(NodeTls.class);
    /** The only protocol enabled. */
    public static final String PROTOCOL = "TLSv1.3";
    private static final String[] PROTOCOLS = {PROTOCOL};
    /** Cipher suites, AES-GCM first (hardware accelerated through the JDK). */
    private static final String[] SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256"};
    private static final long CHECK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final String ANY_PEER = "\0any";

    private final ClusterTrust trust;
    private final Path certPem;
    private final Path keyPem;
    private final LongSupplier nanoTime;
    private final TrustManager[] trustManagers;
    /** Expected server names by client engine (weak keys: an entry lives as long as its engine). */
    private final Cache<SSLEngine, String> expected = Caffeine.newBuilder().weakKeys().executor(Runnable::run).build();
    private volatile Current current;
    private volatile long nextCheck;
    /** Guarded by this. */
    private Stamps seen;

    private NodeTls(ClusterTrust trust, IssuedCertificate pair, Path certPem, Path keyPem, LongSupplier nanoTime) {
        this.trust = Objects.requireNonNull(trust, "trust");
        this.certPem = certPem;
        this.keyPem = keyPem;
        this.nanoTime = nanoTime;
        this.trustManagers = new TrustManager[] {new ClusterTrustManager()};
        String name = Certificates.nodeName(pair.certificate()).orElseThrow(() -> new PkiException(
                "the node certificate must carry exactly one DNS subject alternative name (the node name), it has "
                        + Certificates.dnsNames(pair.certificate())));
        String own = trust.check(pair.certificate(), name);
        if (own != null) {
            LOG.warn("this node's certificate ({}) is not trusted by the cluster CA: {}; peers will refuse it", name,
                    own);
        }
        this.current = build(pair, name);
        this.nextCheck = nanoTime.getAsLong() + CHECK_INTERVAL_NANOS;
    }

    /**
     * Contexts from PEM files: the cluster CA certificate(s), this node's certificate and its key
     * (Ed25519 or ECDSA P-256). The certificate and key are re-read when they change (see the class
     * description).
     *
     * @throws PkiException if a file cannot be read or the key is not the certificate's
     */
    public static NodeTls load(Path caPem, Path certPem, Path keyPem) {
        return load(ClusterTrust.load(caPem), certPem, keyPem, System::nanoTime);
    }

    /** {@link #load(Path, Path, Path)} with a given trust and time source (tests). */
    static NodeTls load(ClusterTrust trust, Path certPem, Path keyPem, LongSupplier nanoTime) {
        Stamps stamps = Stamps.of(certPem, keyPem);
        NodeTls tls = new NodeTls(trust, IssuedCertificate.load(certPem, keyPem), certPem, keyPem, nanoTime);
        synchronized (tls) {
            tls.seen = stamps;
        }
        return tls;
    }

    /**
     * Contexts from a certificate and key in memory; never reloaded.
     *
     * @throws PkiException if the key is not the certificate's
     */
    public static NodeTls of(ClusterTrust trust, X509Certificate cert, PrivateKey key) {
        return new NodeTls(trust, new IssuedCertificate(cert, key), null, null, System::nanoTime);
    }

    /**
     * A client-side engine: TLS 1.3, presents this node's certificate, and accepts the server only
     * if its certificate is trusted and names {@code expectedPeerName}.
     *
     * @param expectedPeerName the node the server must be, or null to accept any node of the
     *                         cluster (a join seed known only by address)
     */
    public SSLEngine newClientEngine(String expectedPeerName) {
        maybeReload();
        SSLEngine e = current.context.createSSLEngine();
        e.setUseClientMode(true);
        configure(e);
        expected.put(e, expectedPeerName == null ? ANY_PEER : expectedPeerName);
        return e;
    }

    /** A server-side engine: TLS 1.3, requires a client certificate of any node of the cluster. */
    public SSLEngine newServerEngine() {
        maybeReload();
        SSLEngine e = current.context.createSSLEngine();
        e.setUseClientMode(false);
        configure(e);
        e.setNeedClientAuth(true);
        return e;
    }

    /**
     * The node name the peer's certificate carries (its single DNS subject alternative name).
     *
     * @param session a session whose handshake completed (or the engine's handshake session)
     * @return the name, or empty when the peer is not verified or names no single node
     */
    public static Optional<String> peerName(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length > 0 && chain[0] instanceof X509Certificate c) {
                return Certificates.nodeName(c);
            }
        } catch (SSLPeerUnverifiedException e) {
            // No peer certificate: nothing to name.
        }
        return Optional.empty();
    }

    /** This node's name, from its certificate. */
    public String localName() {
        return current.name;
    }

    /** This node's certificate in use (the newest accepted one). */
    public X509Certificate certificate() {
        return current.certificate;
    }

    /** The cluster trust peers are checked against. */
    public ClusterTrust trust() {
        return trust;
    }

    private static void configure(SSLEngine e) {
        e.setEnabledProtocols(PROTOCOLS);
        e.setEnabledCipherSuites(SUITES);
    }

    private void maybeReload() {
        if (certPem == null) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (now - nextCheck < 0) {
            return;
        }
        synchronized (this) {
            if (now - nextCheck < 0) {
                return;
            }
            nextCheck = now + CHECK_INTERVAL_NANOS;
            Stamps stamps = Stamps.of(certPem, keyPem);
            if (stamps.equals(seen)) {
                return;
            }
            seen = stamps;
            try {
                IssuedCertificate pair = IssuedCertificate.load(certPem, keyPem);
                String name = Certificates.nodeName(pair.certificate()).orElse(null);
                if (!current.name.equals(name)) {
                    throw new PkiException(certPem + ": the new certificate names " + Certificates.dnsNames(
                            pair.certificate()) + ", this node is " + current.name);
                }
                String reason = trust.check(pair.certificate(), name);
                if (reason != null) {
                    throw new PkiException(certPem + ": the new certificate is not trusted: " + reason);
                }
                current = build(pair, name);
                LOG.info("TLS certificate of {} reloaded from {} (serial {}, valid until {})", name, certPem,
                        pair.certificate().getSerialNumber().toString(16), pair.certificate().getNotAfter().toInstant());
            } catch (PkiException e) {
                LOG.warn("TLS certificate not reloaded, keeping the previous one: {}", e.getMessage());
            }
        }
    }

    private Current build(IssuedCertificate pair, String name) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS", Bcjsse.PROVIDER);
            ctx.init(new KeyManager[] {new NodeKeyManager(pair.certificate(), pair.privateKey())}, trustManagers,
                    new SecureRandom());
            return new Current(ctx, pair.certificate(), name);
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot build the TLS context for " + name + " (" + e.getClass().getSimpleName()
                    + ")", e);
        }
    }

    /** The context in use and what it presents. */
    private record Current(SSLContext context, X509Certificate certificate, String name) {
    }

    /** What identifies a version of the certificate and key files. */
    private record Stamps(Stamp cert, Stamp key) {
        static Stamps of(Path cert, Path key) {
            return new Stamps(Stamp.of(cert), Stamp.of(key));
        }
    }

    private record Stamp(FileTime modified, long size, Object fileKey) {
        static Stamp of(Path p) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                return new Stamp(null, -1, null);
            }
        }
    }

    /** Checks peers against the cluster trust; server names against what the client engine expects. */
    private final class ClusterTrustManager extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            require(chain, null, "client");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            String name = engine == null ? null : expected.getIfPresent(engine);
            if (name == null) {
                throw new CertificateException("no expected peer for this engine (not created by NodeTls)");
            }
            require(chain, ANY_PEER.equals(name) ? null : name, "server");
        }

        private void require(X509Certificate[] chain, String name, String role) throws CertificateException {
            String reason = chain == null || chain.length == 0 ? "no certificate" : trust.check(chain[0], name);
            if (reason != null) {
                throw new CertificateException(role + " certificate refused: " + reason);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("NodeTls supports SSLEngine only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("NodeTls supports SSLEngine only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("NodeTls supports SSLEngine only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("NodeTls supports SSLEngine only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return trust.certificates().toArray(new X509Certificate[0]);
        }
    }

    /** The BCJSSE provider, built once, over the JDK's JCA crypto; its logging turned down. */
    static final class Bcjsse {
        /** Held so that the level set on it is not lost to garbage collection. */
        private static final java.util.logging.Logger JSSE_LOG = java.util.logging.Logger.getLogger("org.bouncycastle.jsse");
        private static final java.util.logging.Logger TLS_LOG = java.util.logging.Logger.getLogger("org.bouncycastle.tls");
        static final BouncyCastleJsseProvider PROVIDER;

        static {
            JSSE_LOG.setLevel(Level.WARNING);
            TLS_LOG.setLevel(Level.WARNING);
            PROVIDER = new BouncyCastleJsseProvider(false, new JcaTlsCryptoProvider());
        }

        private Bcjsse() {
        }
    }
}
