package dev.grapevine.crypto.pki;

import dev.grapevine.crypto.SecureFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes certificates and private keys in PEM, the way {@code openssl} writes them.
 *
 * <p>Certificates: one or more {@code BEGIN CERTIFICATE} blocks (text around the blocks, such as
 * {@code openssl x509 -text} output, is ignored). Private keys: one unencrypted Ed25519 or ECDSA
 * P-256 key, as PKCS#8 ({@code BEGIN PRIVATE KEY}, what {@code openssl genpkey} writes) or as
 * SEC 1 ({@code BEGIN EC PRIVATE KEY}, what {@code openssl ecparam -genkey} writes, with or without
 * its {@code EC PARAMETERS} block). Files larger than {@link #MAX_FILE_BYTES} are refused before
 * they are parsed. Keys are returned as JDK key objects.
 *
 * <p>Writes are atomic: a temporary file in the same directory, created owner-only, is filled,
 * flushed to disk and moved over the target; private keys stay {@code 0600}, certificates become
 * {@code 0644}.
 *
 * <p>Every failure is a {@link PkiException} naming the file; messages about keys never include
 * key bytes. Thread-safety: static and stateless; every method blocks on file I/O.
 */
public final class Pem {
    /** The largest PEM file read (certificate bundles included). */
    public static final int MAX_FILE_BYTES = 256 * 1024;
    /** The deepest nesting of ASN.1 values read from a PEM block (a certificate needs about 6). */
    public static final int MAX_ASN1_DEPTH = 64;
    private static final Logger LOG = LoggerFactory.getLogger(Pem.class);
    private static final Set<PosixFilePermission> GROUP_OR_OTHER = Set.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private Pem() {
    }

    /**
     * Reads every certificate of a PEM file.
     *
     * @param file a PEM file of one or more certificates
     * @return the certificates in file order (at least one)
     * @throws PkiException if the file is missing, too large, malformed, holds no certificate or
     *                      holds anything else
     */
    public static List<X509Certificate> readCertificates(Path file) {
        return certificates(read(file), file.toString());
    }

    /**
     * {@link #readCertificates} on a file's content (read as ISO-8859-1, at most
     * {@link #MAX_FILE_BYTES}); {@code file} names the source in messages.
     */
    static List<X509Certificate> certificates(String text, String file) {
        requireShallow(text, file);
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (!(o instanceof X509CertificateHolder h)) {
                    throw new PkiException(file + ": expected certificates, found " + describe(o));
                }
                out.add(certificate(h.getEncoded()));
            }
        } catch (PkiException e) {
            throw e;
        } catch (IOException | RuntimeException | CertificateException e) {
            throw new PkiException(file + ": not a valid PEM certificate file (" + e.getMessage() + ")", e);
        }
        if (out.isEmpty()) {
            throw new PkiException(file + ": no certificate found (expected a BEGIN CERTIFICATE block)");
        }
        return List.copyOf(out);
    }

    /**
     * Reads an unencrypted Ed25519 or ECDSA P-256 private key. Logs a warning when the file is
     * readable or writable by group or others.
     *
     * @param file a PEM file holding exactly one private key
     * @return the key, as a JDK key object ({@code EdDSA} or {@code EC})
     * @throws PkiException if the file is missing, too large, malformed, encrypted, of another key
     *                      type or curve, or holds anything else
     */
    public static PrivateKey readPrivateKey(Path file) {
        String text = read(file);
        warnIfShared(file);
        return privateKey(text, file.toString());
    }

    /**
     * {@link #readPrivateKey} on a file's content (read as ISO-8859-1, at most
     * {@link #MAX_FILE_BYTES}); {@code file} names the source in messages.
     */
    static PrivateKey privateKey(String text, String file) {
        requireShallow(text, file);
        PrivateKeyInfo info = null;
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                PrivateKeyInfo found;
                if (o instanceof PrivateKeyInfo p) {
                    found = p;
                } else if (o instanceof PEMKeyPair kp) {
                    found = kp.getPrivateKeyInfo();
                } else if (o instanceof ASN1ObjectIdentifier) {
                    continue; // an EC PARAMETERS block, as openssl ecparam -genkey writes before the key
                } else if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                    throw new PkiException(file + ": encrypted private keys are not supported; "
                            + "write it unencrypted (openssl pkey -in key.pem -out plain.pem) and protect the file");
                } else {
                    throw new PkiException(file + ": expected a private key, found " + describe(o));
                }
                if (info != null) {
                    throw new PkiException(file + ": more than one private key");
                }
                info = found;
            }
        } catch (PkiException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // No cause attached: a parser's message about a key block is not worth the risk.
            throw new PkiException(file + ": not a valid PEM private key file (" + e.getClass().getSimpleName() + ")");
        }
        if (info == null) {
            throw new PkiException(file + ": no private key found (expected a BEGIN PRIVATE KEY block)");
        }
        return privateKey(info, file);
    }

    /**
     * Writes certificates as PEM, atomically, readable by all ({@code 0644}).
     *
     * @param file  the target, replaced if present
     * @param certs at least one certificate
     * @throws PkiException on an I/O failure
     */
    public static void writeCertificates(Path file, List<X509Certificate> certs) {
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("no certificates to write");
        }
        StringWriter out = new StringWriter();
        try (PemWriter w = new PemWriter(out)) {
            for (X509Certificate c : certs) {
                w.writeObject(new PemObject("CERTIFICATE", c.getEncoded()));
            }
        } catch (IOException | CertificateException e) {
            throw new PkiException(file + ": cannot encode certificates: " + e.getMessage(), e);
        }
        byte[] bytes = out.toString().getBytes(StandardCharsets.US_ASCII);
        write(file, bytes, false);
    }

    /**
     * Writes a private key as unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), atomically, owner
     * only ({@code 0600}).
     *
     * @param file the target, replaced if present
     * @param key  an Ed25519 or ECDSA P-256 key
     * @throws PkiException on an I/O failure or a key without a PKCS#8 encoding
     */
    public static void writePrivateKey(Path file, PrivateKey key) {
        byte[] der = key.getEncoded();
        if (der == null || !"PKCS#8".equals(key.getFormat())) {
            throw new PkiException(file + ": the key has no PKCS#8 encoding");
        }
        StringWriter out = new StringWriter();
        try (PemWriter w = new PemWriter(out)) {
            w.writeObject(new PemObject("PRIVATE KEY", der));
        } catch (IOException e) {
            throw new PkiException(file + ": cannot encode the private key");
        } finally {
            Arrays.fill(der, (byte) 0);
        }
        byte[] bytes = out.toString().getBytes(StandardCharsets.US_ASCII);
        try {
            write(file, bytes, true);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    private static void write(Path file, byte[] bytes, boolean secret) {
        try {
            SecureFiles.writeAtomically(file, bytes, secret);
        } catch (IOException e) {
            throw new PkiException(file + ": cannot write (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + ")", e);
        }
    }

    /** Parses one DER certificate with the JDK's factory. */
    static X509Certificate certificate(byte[] der) throws CertificateException {
        CertificateFactory f = CertificateFactory.getInstance("X.509");
        return (X509Certificate) f.generateCertificate(new ByteArrayInputStream(der));
    }

    /** Converts a PKCS#8 structure to a JDK key, refusing other types than Ed25519 and P-256. */
    static PrivateKey privateKey(PrivateKeyInfo info, String source) {
        AlgorithmIdentifier alg = info.getPrivateKeyAlgorithm();
        String jcaName;
        if (EdECObjectIdentifiers.id_Ed25519.equals(alg.getAlgorithm())) {
            jcaName = "Ed25519";
        } else if (X9ObjectIdentifiers.id_ecPublicKey.equals(alg.getAlgorithm())) {
            ASN1Encodable params = alg.getParameters();
            if (!SECObjectIdentifiers.secp256r1.equals(params)) {
                throw new PkiException(source + ": an EC key on a curve other than P-256 (secp256r1/prime256v1)");
            }
            jcaName = "EC";
        } else {
            throw new PkiException(source + ": unsupported key type " + alg.getAlgorithm()
                    + " (only Ed25519 and ECDSA P-256 are supported)");
        }
        byte[] der = null;
        try {
            der = info.getEncoded();
            return KeyFactory.getInstance(jcaName).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new PkiException(source + ": the " + jcaName + " private key does not decode ("
                    + e.getClass().getSimpleName() + ")");
        } finally {
            if (der != null) {
                Arrays.fill(der, (byte) 0);
            }
        }
    }

    private static String describe(Object o) {
        if (o instanceof PrivateKeyInfo || o instanceof PEMKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo
                || o instanceof PEMEncryptedKeyPair) {
            return "a private key";
        }
        if (o instanceof X509CertificateHolder) {
            return "a certificate";
        }
        if (o instanceof org.bouncycastle.asn1.x509.SubjectPublicKeyInfo) {
            return "a public key";
        }
        if (o instanceof org.bouncycastle.pkcs.PKCS10CertificationRequest) {
            return "a certificate request";
        }
        if (o instanceof ASN1ObjectIdentifier) {
            return "EC parameters";
        }
        return "a " + o.getClass().getSimpleName();
    }

    /**
     * Refuses a file with a PEM block whose ASN.1 nests more than {@link #MAX_ASN1_DEPTH} levels
     * deep, before BouncyCastle's parser (which recurses per level) sees it: a few kilobytes of
     * nested headers would otherwise overflow the stack (found by fuzzing). Anything else wrong with
     * the file is left to the parser to report.
     */
    private static void requireShallow(String text, String file) {
        try (PemReader r = new PemReader(new StringReader(text))) {
            for (PemObject o = r.readPemObject(); o != null; o = r.readPemObject()) {
                byte[] content = o.getContent();
                Asn1Depth.Shape shape = Asn1Depth.check(content, MAX_ASN1_DEPTH, true, false);
                Arrays.fill(content, (byte) 0); // may be a key
                if (shape == Asn1Depth.Shape.TOO_DEEP) {
                    throw new PkiException(file + ": a PEM block with ASN.1 nested more than " + MAX_ASN1_DEPTH
                            + " levels deep");
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof PkiException p) {
                throw p;
            }
            // malformed PEM: the parser reports it
        }
    }

    /** Reads at most {@link #MAX_FILE_BYTES} of a file as text. */
    private static String read(Path file) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new PkiException(file + ": no such file");
        } catch (IOException e) {
            throw new PkiException(file + ": cannot read (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + ")", e);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new PkiException(file + ": larger than " + MAX_FILE_BYTES + " bytes, not a PEM file of ours");
        }
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        Arrays.fill(bytes, (byte) 0);
        return text;
    }

    private static void warnIfShared(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(GROUP_OR_OTHER::contains)) {
                LOG.warn("private key file {} is accessible to group or others (chmod 600 it)", file);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // Not a POSIX file system: nothing to check.
        }
    }
}
