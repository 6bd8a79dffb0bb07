package dev.grapevine.crypto.pki;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The fixed PKI of the fuzz targets: two cluster CAs (Ed25519 and ECDSA P-256) and one node
 * identity, stored under {@code src/test/resources/dev/grapevine/crypto/fuzz/} by
 * {@code CryptoFuzzSeeds} together with the seed corpora made from them (a fresh CA would make
 * every stored seed certificate untrusted). Its certificates are valid around {@link #NOW}.
 */
public final class FuzzPki {
    /** "Now" for every fuzz target that checks validity. */
    public static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
    /**
     * The file names under the resource directory (PEM content; not named {@code *.pem} / {@code *.key},
     * which the repository ignores). The node key is a throwaway test key, used nowhere else.
     */
    public static final String CA_ED25519 = "ca-ed25519.crt";
    public static final String CA_P256 = "ca-p256.crt";
    public static final String LOCAL_CERT = "node-local.crt";
    public static final String LOCAL_KEY = "node-local-key.txt";

    private FuzzPki() {
    }

    /** A file of the fixed PKI. */
    public static Path resource(String name) {
        URL url = FuzzPki.class.getResource("/dev/grapevine/crypto/fuzz/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource dev/grapevine/crypto/fuzz/" + name
                    + " (run CryptoFuzzSeeds)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Both CA certificates. */
    public static List<X509Certificate> cas() {
        List<X509Certificate> out = new ArrayList<>(Pem.readCertificates(resource(CA_ED25519)));
        out.addAll(Pem.readCertificates(resource(CA_P256)));
        return out;
    }

    /** A trust of both CAs at {@link #NOW}. */
    public static ClusterTrust trust() {
        return ClusterTrust.of(cas(), new TestClock(NOW));
    }
}
