package dev.grapevine.crypto.pki;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster certificate authority: a self-signed CA certificate and its key, issuing node
 * certificates that bind a node name to a key.
 *
 * <p>The CA certificate has basic constraints {@code CA:true, pathlen:0} and may only sign
 * certificates. A node certificate has the node name as its subject CN and as its only subject
 * alternative DNS name, basic constraints {@code CA:false}, key usage {@code digitalSignature},
 * extended key usages {@code serverAuth} and {@code clientAuth}, and a random 127-bit serial. Its
 * validity starts {@link #BACKDATE} before now to absorb clock skew between nodes. Certificates are
 * built with BouncyCastle's PKIX API and signed with the JDK's providers.
 *
 * <p>Node names must be 1..255 printable ASCII characters without spaces (they travel in an
 * IA5String).
 *
 * <p><b>Threading.</b> Immutable and thread-safe. Issuing does a few milliseconds of CPU work;
 * {@link #load} and {@link #write} block on file I/O. Meant for tools and tests, not hot paths.
 */
public final class ClusterCa {
    /** How far before "now" a new certificate's validity starts. */
    public static final Duration BACKDATE = Duration.ofMinutes(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey key;
    private final Clock clock;

    private ClusterCa(X509Certificate certificate, PrivateKey key, Clock clock) {
        this.certificate = certificate;
        this.key = key;
        this.clock = clock;
    }

    /**
     * Creates a new CA with a fresh key pair and a self-signed certificate.
     *
     * @param commonName the CA's subject CN, e.g. "grapevine cluster CA"
     * @param alg        the CA's key type
     * @param validity   how long the CA certificate is valid from now
     */
    public static ClusterCa create(String commonName, KeyAlgorithm alg, Duration validity) {
        return create(commonName, alg, validity, Clock.systemUTC());
    }

    /** {@link #create(String, KeyAlgorithm, Duration)} with a given clock for "now". */
    public static ClusterCa create(String commonName, KeyAlgorithm alg, Duration validity, Clock clock) {
        Objects.requireNonNull(commonName, "commonName");
        if (commonName.isBlank()) {
            throw new IllegalArgumentException("the CA needs a common name");
        }
        requirePositive(validity);
        KeyPair keys = alg.generate();
        Instant now = clock.instant();
        X500Name subject = cn(commonName);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(validity)), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            ext.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate cert = sign(b, keys.getPrivate());
            return new ClusterCa(cert, keys.getPrivate(), clock);
        } catch (CertIOException | java.security.NoSuchAlgorithmException e) {
            throw new PkiException("cannot build the CA certificate: " + e.getMessage(), e);
        }
    }

    /**
     * Loads a CA from its certificate (the first of the file) and key, with the system clock.
     *
     * @throws PkiException if a file is unreadable, the key is not the certificate's, or the
     *                      certificate is not a CA certificate
     */
    public static ClusterCa load(Path certPem, Path keyPem) {
        IssuedCertificate pair = IssuedCertificate.load(certPem, keyPem);
        if (pair.certificate().getBasicConstraints() < 0) {
            throw new PkiException(certPem + ": not a CA certificate (no basicConstraints CA:true)");
        }
        return new ClusterCa(pair.certificate(), pair.privateKey(), Clock.systemUTC());
    }

    /** The CA's certificate: what nodes trust. */
    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Issues a node certificate with a fresh key pair, valid from {@link #BACKDATE} ago for
     * {@code validity}.
     *
     * @param nodeName the node's name (subject CN and the DNS subject alternative name)
     * @param alg      the node's key type ({@link KeyAlgorithm#ED25519} for signing mode)
     */
    public IssuedCertificate issue(String nodeName, KeyAlgorithm alg, Duration validity) {
        requirePositive(validity);
        Instant now = clock.instant();
        return issue(nodeName, alg.generate(), now.minus(BACKDATE), now.plus(validity));
    }

    /**
     * Issues a node certificate for a given key pair and validity (tests use it for certificates
     * that are expired or not yet valid).
     */
    public IssuedCertificate issue(String nodeName, KeyPair keys, Instant notBefore, Instant notAfter) {
        requireNodeName(nodeName);
        if (!notAfter.isAfter(notBefore)) {
            throw new IllegalArgumentException("notAfter must be after notBefore");
        }
        PublicKey pub = keys.getPublic();
        if (Certificates.algorithm(pub).isEmpty()) {
            throw new PkiException("node keys must be Ed25519 or ECDSA P-256, not " + pub.getAlgorithm());
        }
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), serial(),
                    Date.from(notBefore), Date.from(notAfter), cn(nodeName), pub)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(new GeneralName(GeneralName.dNSName, nodeName)))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pub))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(certificate));
            return new IssuedCertificate(sign(b, key), keys.getPrivate());
        } catch (CertIOException | java.security.NoSuchAlgorithmException
                 | java.security.cert.CertificateEncodingException e) {
            throw new PkiException("cannot build the certificate for " + nodeName + ": " + e.getMessage(), e);
        }
    }

    /** Writes the CA certificate ({@code 0644}) and key ({@code 0600}), each atomically. */
    public void write(Path certPem, Path keyPem) {
        Pem.writePrivateKey(keyPem, key);
        Pem.writeCertificates(certPem, java.util.List.of(certificate));
    }

    /** A trust store of this CA alone, with the system clock. */
    public ClusterTrust trust() {
        return ClusterTrust.of(java.util.List.of(certificate), Clock.systemUTC());
    }

    @Override
    public String toString() {
        return "ClusterCa[" + certificate.getSubjectX500Principal().getName() + ", valid until "
                + certificate.getNotAfter().toInstant() + "]";
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signingKey) {
        KeyAlgorithm alg = KeyAlgorithm.valueOf(signingKeyAlgorithm(signingKey));
        try {
            ContentSigner signer = new JcaContentSignerBuilder(alg.signatureAlgorithm()).build(signingKey);
            X509CertificateHolder h = b.build(signer);
            return Pem.certificate(h.getEncoded());
        } catch (OperatorCreationException | CertificateException | java.io.IOException e) {
            throw new PkiException("cannot sign a certificate: " + e.getMessage(), e);
        }
    }

    private static String signingKeyAlgorithm(PrivateKey k) {
        return "EC".equals(k.getAlgorithm()) ? KeyAlgorithm.ECDSA_P256.name() : KeyAlgorithm.ED25519.name();
    }

    private static X500Name cn(String name) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
    }

    private static BigInteger serial() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        b[0] &= 0x7f;
        BigInteger s = new BigInteger(1, b);
        return s.signum() == 0 ? BigInteger.ONE : s;
    }

    private static void requirePositive(Duration validity) {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive, got " + validity);
        }
    }

    /** Checks a node name for use in a certificate (1..255 printable ASCII, no spaces). */
    static void requireNodeName(String nodeName) {
        Objects.requireNonNull(nodeName, "nodeName");
        if (nodeName.isEmpty() || nodeName.length() > 255) {
            throw new IllegalArgumentException("a node name in a certificate must be 1..255 characters");
        }
        for (int i = 0; i < nodeName.length(); i++) {
            char c = nodeName.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new IllegalArgumentException("a node name in a certificate must be printable ASCII without "
                        + "spaces: " + nodeName);
            }
        }
    }
}
