package dev.grapevine.crypto.pki;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * The cluster CA certificates as trust anchors, and the one check every peer certificate passes:
 * issued directly by a cluster CA (no intermediates), within its validity and the CA's, an end-entity
 * certificate (not a CA) whose key may sign, and naming a node in its subject alternative name.
 *
 * <p>Several CAs may be trusted at once, to roll the cluster CA over: trust old and new, reissue every
 * node, then drop the old. Ed25519 CA signatures are checked with BouncyCastle's low-level verifier
 * (about ten times faster than the JDK's); others with the JDK.
 *
 * <p><b>Threading.</b> Immutable and thread-safe; {@link #check} does CPU work only (one signature
 * verification, tens of microseconds) and never blocks. {@link #load} reads a file.
 */
public final class ClusterTrust {
    private final List<X509Certificate> cas;
    private final List<Ed25519PublicKeyParameters> edKeys;
    private final Clock clock;

    private ClusterTrust(List<X509Certificate> cas, Clock clock) {
        if (cas.isEmpty()) {
            throw new PkiException("no cluster CA certificate to trust");
        }
        this.cas = List.copyOf(cas);
        this.edKeys = this.cas.stream().map(c -> Certificates.ed25519Key(c).orElse(null)).toList();
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Trusts the CA certificates of a PEM file, with the system clock.
     *
     * @param caPem one or more CA certificates
     * @throws PkiException if the file cannot be read or holds no certificate
     */
    public static ClusterTrust load(Path caPem) {
        return new ClusterTrust(Pem.readCertificates(caPem), Clock.systemUTC());
    }

    /**
     * Trusts the given CA certificates.
     *
     * @param cas   at least one CA certificate
     * @param clock what "now" is for validity checks (tests pass a fixed clock)
     */
    public static ClusterTrust of(List<X509Certificate> cas, Clock clock) {
        return new ClusterTrust(cas, clock);
    }

    /** The trusted CA certificates. */
    public List<X509Certificate> certificates() {
        return cas;
    }

    /** The clock validity is checked against. */
    public Clock clock() {
        return clock;
    }

    /**
     * Checks a peer's certificate.
     *
     * @param cert         the certificate (may be null: "no certificate")
     * @param expectedName the node name one of its DNS names must equal exactly, or null for any
     *                     node (a DNS name is still required)
     * @return null when the certificate is trusted; otherwise a short reason for logs, naming no key
     */
    public String check(X509Certificate cert, String expectedName) {
        return evaluate(cert, expectedName).reason();
    }

    /**
     * {@link #check} with the period of trust: when a certificate passes, it stays trusted from its
     * own notBefore (or its CA's, if later) to its own notAfter (or its CA's, if earlier), so a cache
     * of checked certificates need only compare "now" with that period.
     *
     * @return the outcome; never null
     */
    public Evaluation evaluate(X509Certificate cert, String expectedName) {
        if (cert == null) {
            return Evaluation.refused("no certificate");
        }
        X509Certificate issuer = issuer(cert);
        if (issuer == null) {
            return Evaluation.refused("not issued by a cluster CA (issuer " + cert.getIssuerX500Principal().getName()
                    + ")");
        }
        Instant now = clock.instant();
        if (now.isBefore(cert.getNotBefore().toInstant())) {
            return Evaluation.refused("not valid before " + cert.getNotBefore().toInstant());
        }
        if (now.isAfter(cert.getNotAfter().toInstant())) {
            return Evaluation.refused("expired at " + cert.getNotAfter().toInstant());
        }
        if (now.isAfter(issuer.getNotAfter().toInstant()) || now.isBefore(issuer.getNotBefore().toInstant())) {
            return Evaluation.refused("the issuing cluster CA is outside its validity");
        }
        if (cert.getBasicConstraints() >= 0) {
            return Evaluation.refused("a CA certificate, not a node's");
        }
        boolean[] usage = cert.getKeyUsage();
        if (usage != null && !usage[0]) {
            return Evaluation.refused("its key usage does not allow digital signatures");
        }
        List<String> names = Certificates.dnsNames(cert);
        if (names.isEmpty()) {
            return Evaluation.refused("no DNS name in its subject alternative names");
        }
        if (expectedName != null && !names.contains(expectedName)) {
            return Evaluation.refused("names " + names + ", not " + expectedName);
        }
        Instant from = later(cert.getNotBefore().toInstant(), issuer.getNotBefore().toInstant());
        Instant until = earlier(cert.getNotAfter().toInstant(), issuer.getNotAfter().toInstant());
        return new Evaluation(null, from, until);
    }

    /**
     * The outcome of {@link #evaluate}.
     *
     * @param reason       null when trusted, else why not
     * @param trustedFrom  when trusted: the start of the period of trust (else null)
     * @param trustedUntil when trusted: the end of the period of trust, inclusive (else null)
     */
    public record Evaluation(String reason, Instant trustedFrom, Instant trustedUntil) {
        static Evaluation refused(String reason) {
            return new Evaluation(reason, null, null);
        }

        /** Whether the certificate passed. */
        public boolean trusted() {
            return reason == null;
        }

        /** Whether a certificate that passed is still within its period of trust at {@code now}. */
        public boolean trustedAt(Instant now) {
            return reason == null && !now.isBefore(trustedFrom) && !now.isAfter(trustedUntil);
        }
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant earlier(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /**
     * The node a certificate names (see {@link Certificates#nodeName}); does not check trust.
     *
     * @return its single DNS name, or empty
     */
    public Optional<String> nodeName(X509Certificate cert) {
        return Certificates.nodeName(cert);
    }

    /** The trusted CA that signed {@code cert}, or null. */
    private X509Certificate issuer(X509Certificate cert) {
        for (int i = 0; i < cas.size(); i++) {
            X509Certificate ca = cas.get(i);
            if (!ca.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
                continue;
            }
            if (signedBy(cert, ca, edKeys.get(i))) {
                return ca;
            }
        }
        return null;
    }

    private static boolean signedBy(X509Certificate cert, X509Certificate ca, Ed25519PublicKeyParameters edKey) {
        try {
            if (edKey != null) {
                if (!"1.3.101.112".equals(cert.getSigAlgOID())) {
                    return false;
                }
                byte[] sig = cert.getSignature();
                if (sig.length != Ed25519PrivateKeyParameters.SIGNATURE_SIZE) {
                    return false;
                }
                byte[] tbs = cert.getTBSCertificate();
                return edKey.verify(Ed25519.Algorithm.Ed25519, null, tbs, 0,
                        tbs.length, sig, 0);
            }
            cert.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
