package dev.grapevine.crypto.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;

/**
 * Small certificate utilities shared by the PKI, signing and TLS code: the node name a certificate
 * carries and key checks. Names are read with BouncyCastle's ASN.1 parser, so a node name the JDK's
 * stricter DNS-name syntax refuses is still read. Thread-safety: static and stateless.
 */
public final class Certificates {
    /** The deepest nesting of constructed values {@link #parse} takes (a certificate needs about 6). */
    public static final int MAX_DER_DEPTH = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Certificates() {
    }

    /**
     * The DNS names of a certificate's subject alternative name extension.
     *
     * @return the names in certificate order; empty when there is none or the extension is malformed
     */
    public static List<String> dnsNames(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(Extension.subjectAlternativeName.getId());
        if (ext == null) {
            return List.of();
        }
        try {
            GeneralNames names = GeneralNames.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            List<String> out = new ArrayList<>(1);
            for (GeneralName n : names.getNames()) {
                if (n.getTagNo() == GeneralName.dNSName) {
                    out.add(ASN1IA5String.getInstance(n.getName()).getString());
                }
            }
            return List.copyOf(out);
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /**
     * The node a certificate names: its subject alternative name's DNS entry, when it has exactly
     * one.
     *
     * @return the node name, or empty when the certificate has no DNS name or several
     */
    public static Optional<String> nodeName(X509Certificate cert) {
        List<String> names = dnsNames(cert);
        return names.size() == 1 ? Optional.of(names.get(0)) : Optional.empty();
    }

    /**
     * The raw 32-byte Ed25519 public key of a certificate, for BouncyCastle's low-level verifier.
     *
     * @return the key, or empty when the certificate's key is not Ed25519
     */
    public static Optional<Ed25519PublicKeyParameters> ed25519Key(X509Certificate cert) {
        return ed25519Key(cert.getPublicKey());
    }

    /** {@link #ed25519Key(X509Certificate)} for a public key. */
    public static Optional<Ed25519PublicKeyParameters> ed25519Key(PublicKey key) {
        try {
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(key.getEncoded());
            if (!EdECObjectIdentifiers.id_Ed25519.equals(spki.getAlgorithm().getAlgorithm())) {
                return Optional.empty();
            }
            byte[] raw = spki.getPublicKeyData().getOctets();
            if (raw.length != Ed25519PublicKeyParameters.KEY_SIZE) {
                return Optional.empty();
            }
            return Optional.of(new Ed25519PublicKeyParameters(raw, 0));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The key type of a public key.
     *
     * @return the type, or empty for anything but Ed25519 and ECDSA P-256
     */
    public static Optional<KeyAlgorithm> algorithm(PublicKey key) {
        try {
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(key.getEncoded());
            var oid = spki.getAlgorithm().getAlgorithm();
            if (EdECObjectIdentifiers.id_Ed25519.equals(oid)) {
                return Optional.of(KeyAlgorithm.ED25519);
            }
            if (org.bouncycastle.asn1.x9.X9ObjectIdentifiers.id_ecPublicKey.equals(oid)
                    && org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1.equals(spki.getAlgorithm().getParameters())) {
                return Optional.of(KeyAlgorithm.ECDSA_P256);
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Checks that a private key belongs to a certificate: for Ed25519 by deriving the public key, for
     * ECDSA by signing a random challenge and verifying it with the certificate's key.
     *
     * @param source what to name in the message (a file, "issued certificate")
     * @throws PkiException if the key is not an Ed25519 or P-256 key or is not the certificate's
     */
    public static void requireKeyMatches(X509Certificate cert, PrivateKey key, String source) {
        KeyAlgorithm alg = algorithm(cert.getPublicKey()).orElseThrow(() -> new PkiException(source
                + ": the certificate's key is neither Ed25519 nor ECDSA P-256"));
        boolean ok = alg == KeyAlgorithm.ED25519 ? ed25519Matches(cert, key) : signatureMatches(alg, cert, key);
        if (!ok) {
            throw new PkiException(source + ": the private key does not belong to the certificate for "
                    + cert.getSubjectX500Principal().getName());
        }
    }

    /** Ed25519: the public key derived from the private key is the certificate's (BouncyCastle, fast). */
    private static boolean ed25519Matches(X509Certificate cert, PrivateKey key) {
        byte[] encoded = key.getEncoded();
        if (encoded == null) {
            return false;
        }
        try {
            AsymmetricKeyParameter p = PrivateKeyFactory.createKey(PrivateKeyInfo.getInstance(encoded));
            return p instanceof Ed25519PrivateKeyParameters ed && Arrays.equals(ed.generatePublicKey().getEncoded(),
                    ed25519Key(cert).orElseThrow().getEncoded());
        } catch (IOException | RuntimeException e) {
            return false;
        } finally {
            Arrays.fill(encoded, (byte) 0);
        }
    }

    /** Others: a signature over a random challenge verifies with the certificate's key. */
    private static boolean signatureMatches(KeyAlgorithm alg, X509Certificate cert, PrivateKey key) {
        byte[] challenge = new byte[32];
        RANDOM.nextBytes(challenge);
        try {
            Signature s = Signature.getInstance(alg.signatureAlgorithm());
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg.signatureAlgorithm());
            v.initVerify(cert.getPublicKey());
            v.update(challenge);
            return v.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** The certificate's DER bytes, as an unchecked failure when the JDK cannot encode it. */
    static byte[] der(X509Certificate cert) {
        try {
            return cert.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new PkiException("cannot encode the certificate of " + cert.getSubjectX500Principal().getName(), e);
        }
    }

    /**
     * Parses exactly one DER certificate with the JDK's certificate factory. The input must be the
     * certificate's DER encoding and nothing else: the factory on its own also takes PEM or base64
     * text, BER and trailing bytes after the certificate, so one certificate could arrive in many
     * byte forms (each a separate entry in a cache keyed by the bytes). Its structure is checked
     * first, without recursion: definite lengths only, at most {@link #MAX_DER_DEPTH} levels of
     * nesting (the factory recurses per level of BER nesting and would overflow the stack).
     *
     * @throws PkiException if the bytes are not exactly one DER X.509 certificate
     */
    public static X509Certificate parse(byte[] der) {
        Asn1Depth.Shape shape = Asn1Depth.check(der, MAX_DER_DEPTH, false, true);
        if (shape != Asn1Depth.Shape.OK) {
            throw new PkiException("not a DER X.509 certificate (" + (shape == Asn1Depth.Shape.TOO_DEEP
                    ? "nested more than " + MAX_DER_DEPTH + " levels deep)" : "not one well-formed DER value)"));
        }
        X509Certificate cert;
        try {
            cert = Pem.certificate(der);
        } catch (java.security.cert.CertificateException | RuntimeException e) {
            throw new PkiException("not a DER X.509 certificate (" + e.getMessage() + ")", e);
        }
        if (!Arrays.equals(der(cert), der)) {
            throw new PkiException("not a DER X.509 certificate (not exactly its DER encoding: trailing bytes, "
                    + "BER or text)");
        }
        return cert;
    }
}
