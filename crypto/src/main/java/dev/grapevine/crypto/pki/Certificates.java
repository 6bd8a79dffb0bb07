package dev.grapevine.crypto.pki;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/**
 * Small certificate utilities shared by the PKI, signing and TLS code: the node name a certificate
 * carries and key checks. Names are read with BouncyCastle's ASN.1 parser, so a node name the JDK's
 * stricter DNS-name syntax refuses is still read. Thread-safety: static and stateless.
 */
public final class Certificates {
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
    static Optional<Ed25519PublicKeyParameters> ed25519Key(PublicKey key) {
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
     * Checks that a private key belongs to a certificate, by signing a random challenge with it and
     * verifying with the certificate's key.
     *
     * @param source what to name in the message (a file, "issued certificate")
     * @throws PkiException if the key is not an Ed25519 or P-256 key or is not the certificate's
     */
    public static void requireKeyMatches(X509Certificate cert, PrivateKey key, String source) {
        KeyAlgorithm alg = algorithm(cert.getPublicKey()).orElseThrow(() -> new PkiException(source
                + ": the certificate's key is neither Ed25519 nor ECDSA P-256"));
        byte[] challenge = new byte[32];
        RANDOM.nextBytes(challenge);
        boolean ok;
        try {
            Signature s = Signature.getInstance(alg.signatureAlgorithm());
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg.signatureAlgorithm());
            v.initVerify(cert.getPublicKey());
            v.update(challenge);
            ok = v.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw new PkiException(source + ": the private key does not belong to the certificate for "
                    + cert.getSubjectX500Principal().getName());
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

    /** Parses DER with the JDK's certificate factory. */
    public static X509Certificate parse(byte[] der) {
        try {
            return Pem.certificate(der);
        } catch (java.security.cert.CertificateException | RuntimeException e) {
            throw new PkiException("not a DER X.509 certificate (" + e.getMessage() + ")", e);
        }
    }
}
