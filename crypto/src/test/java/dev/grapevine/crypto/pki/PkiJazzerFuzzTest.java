package dev.grapevine.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzz targets (Jazzer) for the PKI decoders: PEM certificate files, PEM private
 * key files ({@link Pem#readCertificates} / {@link Pem#readPrivateKey} after their size bound), DER
 * certificates as they arrive in signed claims ({@link Certificates#parse}) and the trust check on
 * whatever parses ({@link ClusterTrust#evaluate}).
 *
 * <p>A normal {@code mvn verify} replays the seed corpus
 * ({@code src/test/resources/dev/grapevine/crypto/pki/PkiJazzerFuzzTestInputs/<method>/}, written by
 * {@code CryptoFuzzSeeds} with {@link ClusterCa}). To fuzz for real, one method per run:
 * {@code JAZZER_FUZZ=1 mvn -B -o -pl crypto -am test-compile surefire:test@fuzz-regression
 * -Dtest='PkiJazzerFuzzTest#certificateDer' -Dsurefire.failIfNoSpecifiedTests=false} (add
 * {@code -Djazzer.instrumentation_includes='dev.grapevine.**:org.bouncycastle.**'} so that coverage of
 * BouncyCastle's parsers guides it too).
 * A run lasts 5 minutes (Jazzer's default); for another length add
 * {@code -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=<seconds>}. The fuzz
 * JVM runs with a 256 KB stack (see the pom), so deep recursion shows up within 4 KB inputs.
 *
 * <p>Oracles: the only failure is a {@link PkiException} naming the source (never a parser's
 * exception, never an {@link Error}); a private key's refusal quotes none of the file's base64; what
 * is accepted re-encodes and parses back to the same thing, and an accepted key is Ed25519 or P-256
 * and can sign; a DER certificate is accepted only in its exact encoding (no trailing bytes, no
 * BER, no PEM), and a canonical DER certificate the JDK parses is not refused unless nested too
 * deeply; the trust check never throws and agrees with a model built on the JDK's own
 * signature check ({@link X509Certificate#verify}).
 */
class PkiJazzerFuzzTest {
    private static final String SOURCE = "fuzz.pem";
    private static final ClusterTrust TRUST = FuzzPki.trust();

    /** The stored valid seeds are still accepted (and trusted: the fixed CAs and "now" still match). */
    @Test
    void validSeedsAreAccepted() throws Exception {
        for (String name : new String[] {"node-b", "node-c-p256-ca"}) {
            X509Certificate c = Certificates.parse(seed("certificateDer", name));
            assertTrue(TRUST.evaluate(c, null).trusted(), name);
        }
        for (String name : new String[] {"one", "bundle", "text-around"}) {
            assertFalse(Pem.certificates(new String(seed("certificatePem", name), StandardCharsets.ISO_8859_1), name)
                    .isEmpty());
        }
        for (String name : new String[] {"pkcs8-ed25519", "pkcs8-p256", "sec1-p256", "sec1-p256-with-params"}) {
            assertNotNull(Pem.privateKey(new String(seed("privateKeyPem", name), StandardCharsets.ISO_8859_1), name));
        }
    }

    private static byte[] seed(String method, String name) throws Exception {
        return Files.readAllBytes(Path.of(PkiJazzerFuzzTest.class.getResource("PkiJazzerFuzzTestInputs/" + method
                + "/" + name).toURI()));
    }

    @FuzzTest
    void certificatePem(byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        List<X509Certificate> certs;
        try {
            certs = Pem.certificates(text, SOURCE);
        } catch (PkiException e) {
            assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
            return;
        }
        assertFalse(certs.isEmpty());
        String again = pem("CERTIFICATE", certs.stream().map(PkiJazzerFuzzTest::der).toList());
        assertEquals(certs, Pem.certificates(again, SOURCE), "written certificates read back differently");
        for (X509Certificate c : certs) {
            checkParsedCertificate(c);
        }
    }

    @FuzzTest
    void privateKeyPem(byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        PrivateKey key;
        try {
            key = Pem.privateKey(text, SOURCE);
        } catch (PkiException e) {
            assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
            assertQuotesNoBase64(text, e);
            return;
        }
        assertNotNull(key);
        assertEquals("PKCS#8", key.getFormat());
        String alg = key.getAlgorithm();
        assertTrue(alg.equals("EdDSA") || alg.equals("Ed25519") || alg.equals("EC"), alg);
        if (key instanceof ECPrivateKey ec) {
            assertEquals(256, ec.getParams().getCurve().getField().getFieldSize());
        }
        byte[] der = key.getEncoded();
        PrivateKey again = Pem.privateKey(pem("PRIVATE KEY", List.of(der)), SOURCE);
        assertArrayEquals(der, again.getEncoded(), "a written key reads back differently");
        try {
            Signature s = Signature.getInstance(key instanceof ECPrivateKey ? "SHA256withECDSA" : "Ed25519");
            s.initSign(key);
            s.update(data);
            assertTrue(s.sign().length > 0);
        } catch (GeneralSecurityException e) {
            throw new AssertionError("an accepted key cannot sign", e);
        }
    }

    /** Bytes as a certificate in a signed claim; if it parses, also its trust check. */
    @FuzzTest
    void certificateDer(byte[] data) {
        byte[] copy = data.clone();
        X509Certificate cert;
        try {
            cert = Certificates.parse(data);
        } catch (PkiException e) {
            assertArrayEquals(copy, data, "the input was modified");
            assertFalse(!e.getMessage().contains("nested more than") && jdkTakesExactly(data) && canonicalDer(data),
                    "refused a canonical DER certificate the JDK parses: " + e.getMessage());
            return;
        }
        assertArrayEquals(copy, data, "the input was modified");
        assertArrayEquals(data, der(cert), "accepted a certificate that is not exactly its DER encoding");
        checkParsedCertificate(cert);
    }

    /** Whether the JDK's factory alone parses {@code der} as a certificate whose encoding is {@code der}. */
    private static boolean jdkTakesExactly(byte[] der) {
        try {
            return Arrays.equals(der, Pem.certificate(der).getEncoded());
        } catch (Exception | StackOverflowError e) {
            return false; // (the overflow is what Certificates.parse guards against)
        }
    }

    /**
     * Whether BouncyCastle parses all of {@code der} (the JDK skips what it does not need, such as
     * the contents of unknown trailing fields) and re-encodes it as DER to the same bytes.
     */
    private static boolean canonicalDer(byte[] der) {
        try {
            return Arrays.equals(der, ASN1Primitive.fromByteArray(der).getEncoded(ASN1Encoding.DER));
        } catch (Exception | StackOverflowError e) {
            return false;
        }
    }

    /** Helpers and the trust check on any certificate the JDK parsed: no exception, and the model's answer. */
    private static void checkParsedCertificate(X509Certificate cert) {
        List<String> names = Certificates.dnsNames(cert);
        assertNotNull(names);
        assertEquals(names.size() == 1 ? names.get(0) : null, Certificates.nodeName(cert).orElse(null));
        Certificates.ed25519Key(cert);
        Certificates.algorithm(cert.getPublicKey());
        for (String expected : new String[] {null, names.isEmpty() ? "node-b" : names.get(0), "node-b"}) {
            ClusterTrust.Evaluation ev = TRUST.evaluate(cert, expected);
            assertNotNull(ev);
            assertEquals(ev.reason(), TRUST.check(cert, expected));
            boolean model = modelTrusted(cert, expected);
            assertEquals(model, ev.trusted(), () -> "trust check says " + ev + ", the model says " + model);
            if (ev.trusted()) {
                assertTrue(ev.trustedAt(FuzzPki.NOW));
                assertFalse(ev.trustedFrom().isAfter(ev.trustedUntil()));
            } else {
                assertTrue(ev.reason().chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f), ev.reason());
            }
        }
    }

    /** The trust rules, with the JDK verifying the CA's signature. */
    private static boolean modelTrusted(X509Certificate cert, String expected) {
        Instant now = FuzzPki.NOW;
        X509Certificate issuer = null;
        for (X509Certificate ca : TRUST.certificates()) {
            if (ca.getSubjectX500Principal().equals(cert.getIssuerX500Principal()) && jdkVerifies(cert, ca)) {
                issuer = ca;
                break;
            }
        }
        if (issuer == null || now.isBefore(cert.getNotBefore().toInstant()) || now.isAfter(cert.getNotAfter().toInstant())
                || now.isBefore(issuer.getNotBefore().toInstant()) || now.isAfter(issuer.getNotAfter().toInstant())
                || cert.getBasicConstraints() >= 0) {
            return false;
        }
        boolean[] usage = cert.getKeyUsage();
        if (usage != null && !usage[0]) {
            return false;
        }
        List<String> names = Certificates.dnsNames(cert);
        return !names.isEmpty() && (expected == null || names.contains(expected));
    }

    private static boolean jdkVerifies(X509Certificate cert, X509Certificate ca) {
        try {
            cert.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** No run of 16 base64 characters of the input appears in the refusal (or its causes). */
    private static void assertQuotesNoBase64(String text, PkiException e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        String msg = all.toString();
        int run = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean b64 = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/';
            run = b64 ? run + 1 : 0;
            if (run >= 16) {
                String window = text.substring(i - 15, i + 1);
                assertFalse(msg.contains(window), () -> "the refusal quotes the file: " + msg);
            }
        }
    }

    static String pem(String type, List<byte[]> ders) {
        StringWriter out = new StringWriter();
        try (PemWriter w = new PemWriter(out)) {
            for (byte[] d : ders) {
                w.writeObject(new PemObject(type, d));
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toString();
    }

    private static byte[] der(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }
}
