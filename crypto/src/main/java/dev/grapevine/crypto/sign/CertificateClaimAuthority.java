package dev.grapevine.crypto.sign;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.grapevine.crypto.pki.Certificates;
import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.membership.ClaimAuthority;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ClaimAuthority} of signing mode: signs with this node's {@link NodeIdentity} and
 * verifies other nodes' Ed25519 signatures against certificates the {@link ClusterTrust} accepts.
 *
 * <p><b>Caches.</b> Verifying an Ed25519 signature costs about 85 microseconds and checking a
 * certificate (parse plus the CA's signature) about as much again, while the same claims and
 * certificates arrive many times over (gossip repeats, every push/pull carries a proof per member).
 * Three bounded Caffeine caches (least-recently/frequently used entries go first) keep that work to
 * once per distinct input:
 * <ul>
 *   <li><b>trusted certificates</b>, keyed by the SHA-256 of their DER, up to {@code cacheSize}
 *       entries; a hit re-checks the period of trust (the earlier of the certificate's and its CA's
 *       notAfter) against the trust's clock, so an expired certificate stops verifying even while
 *       cached. Certificates that fail are not cached.</li>
 *   <li><b>known certificates</b>, the last trusted certificate each signer proved it holds (a
 *       signature that verified with it), up to {@code cacheSize} signers; used for claims that
 *       carry no certificate. A signer's entry is replaced only by a certificate that starts no
 *       earlier, unless the known one has expired, so a replayed old certificate cannot displace a
 *       rotated one.</li>
 *   <li><b>verified signatures</b>, keyed by the SHA-256 of the public key, signer, signature and
 *       signed bytes, up to {@code 4 * cacheSize} entries (a member has several live claims). Failed
 *       verifications are not cached.</li>
 * </ul>
 * {@code cacheSize} should exceed the cluster's size: a signer evicted from the known certificates
 * yields {@link Verdict#UNKNOWN_SIGNER} for its certificate-less claims until its next alive claim.
 * Cache maintenance runs on the calling thread (no background executor).
 *
 * <p><b>Threading.</b> Thread-safe. {@link #verify} and {@link #sign} are CPU-only and never block
 * (the core calls them on its thread); {@link #verify} never throws for any input.
 */
public final class CertificateClaimAuthority implements ClaimAuthority {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateClaimAuthority.class);
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    });

    private final ClusterTrust trust;
    private volatile NodeIdentity identity;
    private final Cache<Digest, Trusted> certificates;
    private final Cache<String, Trusted> known;
    private final Cache<Digest, Boolean> verified;
    private final LongAdder certificateHits = new LongAdder();
    private final LongAdder certificateMisses = new LongAdder();
    private final LongAdder signatureHits = new LongAdder();
    private final LongAdder signatureMisses = new LongAdder();
    private final LongAdder verifications = new LongAdder();
    private final LongAdder refusedCertificates = new LongAdder();
    private final LongAdder badSignatures = new LongAdder();

    /**
     * @param trust     the cluster CA(s) and the clock validity is checked against
     * @param identity  this node's identity
     * @param cacheSize bounds of the caches (see the class description); at least 1
     */
    public CertificateClaimAuthority(ClusterTrust trust, NodeIdentity identity, int cacheSize) {
        this.trust = Objects.requireNonNull(trust, "trust");
        this.identity = Objects.requireNonNull(identity, "identity");
        if (cacheSize < 1) {
            throw new IllegalArgumentException("cacheSize must be at least 1, got " + cacheSize);
        }
        this.certificates = Caffeine.newBuilder().maximumSize(cacheSize).executor(Runnable::run).build();
        this.known = Caffeine.newBuilder().maximumSize(cacheSize).executor(Runnable::run).build();
        this.verified = Caffeine.newBuilder().maximumSize(4L * cacheSize).executor(Runnable::run).build();
        String own = trust.check(identity.certificate(), identity.nodeName());
        if (own != null) {
            LOG.warn("this node's certificate ({}) is not trusted by the cluster CA: {}; peers will refuse its claims",
                    identity.nodeName(), own);
        }
    }

    /**
     * Replaces this node's identity (a renewed certificate, possibly a new key) for what it signs
     * from now on.
     *
     * @throws IllegalArgumentException if the new identity names another node
     */
    public void rotate(NodeIdentity next) {
        if (!next.nodeName().equals(identity.nodeName())) {
            throw new IllegalArgumentException("a rotated identity must keep the node name " + identity.nodeName()
                    + ", not " + next.nodeName());
        }
        identity = next;
    }

    /** This node's current identity. */
    public NodeIdentity identity() {
        return identity;
    }

    @Override
    public byte[] certificate() {
        return identity.certificateDer();
    }

    @Override
    public byte[] sign(byte[] signedBytes) {
        return identity.sign(signedBytes);
    }

    @Override
    public Verdict verify(String signer, byte[] signature, byte[] certificate, byte[] signedBytes) {
        if (signer == null || signature == null || signedBytes == null
                || signature.length != Ed25519.SIGNATURE_SIZE) {
            badSignatures.increment();
            return Verdict.BAD_SIGNATURE;
        }
        Instant now = trust.clock().instant();
        Trusted t;
        if (certificate != null) {
            t = trusted(certificate);
            if (t == null || !t.name.equals(signer) || now.isBefore(t.from) || now.isAfter(t.until)) {
                refusedCertificates.increment();
                return Verdict.UNTRUSTED_CERTIFICATE;
            }
        } else {
            t = known.getIfPresent(signer);
            if (t == null) {
                return Verdict.UNKNOWN_SIGNER;
            }
            if (now.isBefore(t.from) || now.isAfter(t.until)) {
                refusedCertificates.increment();
                return Verdict.UNTRUSTED_CERTIFICATE;
            }
        }
        Digest key = signatureDigest(t, signer, signature, signedBytes);
        if (verified.getIfPresent(key) != null) {
            signatureHits.increment();
        } else {
            signatureMisses.increment();
            verifications.increment();
            boolean ok;
            try {
                ok = t.key.verify(Ed25519.Algorithm.Ed25519, null, signedBytes, 0, signedBytes.length, signature, 0);
            } catch (RuntimeException e) {
                ok = false;
            }
            if (!ok) {
                badSignatures.increment();
                return Verdict.BAD_SIGNATURE;
            }
            verified.put(key, Boolean.TRUE);
        }
        if (certificate != null) {
            remember(signer, t, now);
        }
        return Verdict.OK;
    }

    /** The entry for a certificate from the cache, or checked and cached; null when untrusted. */
    private Trusted trusted(byte[] der) {
        Digest d = Digest.of(sha256().digest(der));
        Trusted t = certificates.getIfPresent(d);
        if (t != null) {
            certificateHits.increment();
            return t;
        }
        certificateMisses.increment();
        X509Certificate cert;
        try {
            cert = Certificates.parse(der);
        } catch (RuntimeException e) {
            return null;
        }
        ClusterTrust.Evaluation e = trust.evaluate(cert, null);
        if (!e.trusted()) {
            return null;
        }
        String name = Certificates.nodeName(cert).orElse(null);
        Ed25519PublicKeyParameters key = Certificates.ed25519Key(cert).orElse(null);
        if (name == null || key == null) {
            return null;
        }
        t = new Trusted(name, key, e.trustedFrom(), e.trustedUntil());
        certificates.put(d, t);
        return t;
    }

    private void remember(String signer, Trusted t, Instant now) {
        known.asMap().compute(signer, (k, cur) -> cur == null || cur == t || now.isAfter(cur.until)
                || !t.from.isBefore(cur.from) ? t : cur);
    }

    private static Digest signatureDigest(Trusted t, String signer, byte[] signature, byte[] signedBytes) {
        MessageDigest md = sha256();
        md.update(t.key.getEncoded());
        byte[] name = signer.getBytes(StandardCharsets.UTF_8);
        md.update((byte) name.length);
        md.update(name);
        md.update(signature);
        md.update(signedBytes);
        return Digest.of(md.digest());
    }

    private static MessageDigest sha256() {
        MessageDigest md = SHA256.get();
        md.reset();
        return md;
    }

    /**
     * The counters so far and the caches' current sizes (after pending maintenance).
     *
     * @return a snapshot
     */
    public Stats stats() {
        certificates.cleanUp();
        known.cleanUp();
        verified.cleanUp();
        return new Stats(certificateHits.sum(), certificateMisses.sum(), signatureHits.sum(), signatureMisses.sum(),
                verifications.sum(), refusedCertificates.sum(), badSignatures.sum(), certificates.estimatedSize(),
                known.estimatedSize(), verified.estimatedSize());
    }

    /**
     * Counters of a {@link CertificateClaimAuthority}.
     *
     * @param certificateHits      certificates found in the trusted-certificate cache
     * @param certificateMisses    certificates parsed and checked against the trust
     * @param signatureHits        signatures found in the verified-signature cache
     * @param signatureMisses      signatures not in it
     * @param verifications        Ed25519 verifications performed
     * @param refusedCertificates  {@link Verdict#UNTRUSTED_CERTIFICATE} verdicts
     * @param badSignatures        {@link Verdict#BAD_SIGNATURE} verdicts
     * @param cachedCertificates   entries in the trusted-certificate cache
     * @param knownSigners         entries in the known-certificate cache
     * @param cachedSignatures     entries in the verified-signature cache
     */
    public record Stats(long certificateHits, long certificateMisses, long signatureHits, long signatureMisses,
                        long verifications, long refusedCertificates, long badSignatures, long cachedCertificates,
                        long knownSigners, long cachedSignatures) {
    }

    @Override
    public String toString() {
        return "CertificateClaimAuthority[" + identity.nodeName() + "]";
    }

    /** A trusted certificate's binding: node name, key and period of trust. */
    private record Trusted(String name, Ed25519PublicKeyParameters key, Instant from, Instant until) {
    }

    /** A SHA-256 digest as a cache key. */
    private record Digest(long a, long b, long c, long d) {
        static Digest of(byte[] sha256) {
            ByteBuffer bb = ByteBuffer.wrap(sha256);
            return new Digest(bb.getLong(), bb.getLong(), bb.getLong(), bb.getLong());
        }
    }
}
