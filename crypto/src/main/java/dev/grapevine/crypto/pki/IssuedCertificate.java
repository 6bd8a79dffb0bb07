package dev.grapevine.crypto.pki;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A certificate and its private key (a node's, or the CA's own). Constructing one checks that the
 * key belongs to the certificate. {@link #toString} never shows the key.
 *
 * @param certificate the certificate
 * @param privateKey  its private key (Ed25519 or ECDSA P-256)
 */
public record IssuedCertificate(X509Certificate certificate, PrivateKey privateKey) {

    /** Checks that the key is the certificate's; see the record description. */
    public IssuedCertificate {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
        Certificates.requireKeyMatches(certificate, privateKey, "issued certificate");
    }

    /**
     * Reads a certificate (the first of the file) and its key.
     *
     * @throws PkiException if either file is unreadable or the key is not the certificate's
     */
    public static IssuedCertificate load(Path certPem, Path keyPem) {
        X509Certificate cert = Pem.readCertificates(certPem).get(0);
        PrivateKey key = Pem.readPrivateKey(keyPem);
        Certificates.requireKeyMatches(cert, key, keyPem.toString());
        return new IssuedCertificate(cert, key);
    }

    /**
     * Writes the certificate ({@code 0644}) and the key ({@code 0600}), each atomically; the key
     * first, so that a reader that sees the new certificate finds its key.
     */
    public void write(Path certPem, Path keyPem) {
        Pem.writePrivateKey(keyPem, privateKey);
        Pem.writeCertificates(certPem, List.of(certificate));
    }

    /** The node name the certificate carries, if it has exactly one DNS name. */
    public String nodeName() {
        return Certificates.nodeName(certificate).orElse(null);
    }

    @Override
    public String toString() {
        return "IssuedCertificate[" + certificate.getSubjectX500Principal().getName() + ", serial "
                + certificate.getSerialNumber().toString(16) + ", valid until " + certificate.getNotAfter().toInstant()
                + ", " + privateKey.getAlgorithm() + " key]";
    }
}
