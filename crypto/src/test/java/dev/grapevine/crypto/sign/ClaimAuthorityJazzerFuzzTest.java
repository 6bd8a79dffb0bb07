package dev.grapevine.crypto.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.grapevine.crypto.pki.Certificates;
import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.pki.FuzzPki;
import dev.grapevine.crypto.pki.PkiException;
import dev.grapevine.membership.ClaimAuthority.Verdict;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzz target (Jazzer) for {@link CertificateClaimAuthority#verify}: a claim's
 * signer, signature, optional certificate and signed bytes, all from the input, against the fixed
 * cluster CAs of {@link FuzzPki}.
 *
 * <p>A normal {@code mvn verify} replays the seed corpus
 * ({@code src/test/resources/dev/grapevine/crypto/sign/ClaimAuthorityJazzerFuzzTestInputs/verify/},
 * written by {@code CryptoFuzzSeeds}). To fuzz for real:
 * {@code JAZZER_FUZZ=1 mvn -B -o -pl crypto -am test-compile surefire:test@fuzz-regression
 * -Dtest='ClaimAuthorityJazzerFuzzTest#verify' -Dsurefire.failIfNoSpecifiedTests=false} (add
 * {@code -Djazzer.instrumentation_includes='dev.grapevine.**:org.bouncycastle.**'} so that coverage of
 * BouncyCastle's parsers guides it too).
 * A run lasts 5 minutes (Jazzer's default); for another length add
 * {@code -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=<seconds>}. The fuzz
 * JVM runs with a 256 KB stack (see the pom), so deep recursion shows up within 4 KB inputs.
 *
 * <p>Input ({@link #claim}): {@code [flags][n] signer(n) [s] signature(s) ([u16 c] certificate(c))? signedBytes},
 * cut short wherever the input ends; flag bit 0: a certificate is present, bit 1: a cache of one
 * entry instead of 64. Each input gets a fresh authority. Oracles: never throws, always a verdict;
 * the verdict equals a model's that checks the certificate with the trust check and the signature
 * with the JDK's Ed25519 (not BouncyCastle's, which the authority uses); asking again gives the
 * same verdict (cached or not); after an OK with a certificate, the same claim without it is OK
 * (the signer is known), and before, it is {@link Verdict#UNKNOWN_SIGNER}.
 */
class ClaimAuthorityJazzerFuzzTest {
    private static final ClusterTrust TRUST = FuzzPki.trust();
    private static final NodeIdentity LOCAL = NodeIdentity.load(FuzzPki.resource(FuzzPki.LOCAL_CERT),
            FuzzPki.resource(FuzzPki.LOCAL_KEY));

    /** One decoded input. */
    record Claim(boolean small, String signer, byte[] signature, byte[] certificate, byte[] signedBytes) {
    }

    static Claim claim(byte[] d) {
        int[] at = {0};
        int flags = take(d, at, 1).length == 1 ? d[0] & 0xff : 0;
        byte[] n = take(d, at, 1);
        String signer = new String(take(d, at, n.length == 0 ? 0 : n[0] & 0xff), StandardCharsets.UTF_8);
        byte[] s = take(d, at, 1);
        byte[] signature = take(d, at, s.length == 0 ? 0 : s[0] & 0xff);
        byte[] cert = null;
        if ((flags & 1) != 0) {
            byte[] c = take(d, at, 2);
            cert = take(d, at, c.length < 2 ? 0 : (c[0] & 0xff) << 8 | (c[1] & 0xff));
        }
        byte[] signed = Arrays.copyOfRange(d, at[0], d.length);
        return new Claim((flags & 2) != 0, signer, signature, cert, signed);
    }

    /** The encoding {@link #claim} reads (for the seed writer). */
    static byte[] encode(Claim c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((c.certificate() != null ? 1 : 0) | (c.small() ? 2 : 0));
        byte[] name = c.signer().getBytes(StandardCharsets.UTF_8);
        out.write(name.length);
        out.writeBytes(name);
        out.write(c.signature().length);
        out.writeBytes(c.signature());
        if (c.certificate() != null) {
            out.write(c.certificate().length >>> 8);
            out.write(c.certificate().length);
            out.writeBytes(c.certificate());
        }
        out.writeBytes(c.signedBytes());
        return out.toByteArray();
    }

    private static byte[] take(byte[] d, int[] at, int n) {
        int end = Math.min(d.length, at[0] + n);
        byte[] out = Arrays.copyOfRange(d, at[0], end);
        at[0] = end;
        return out;
    }

    /** The stored valid claims still verify (the fixed PKI, "now" and the input format still match). */
    @Test
    void validSeedsVerify() throws Exception {
        for (String name : new String[] {"node-b", "node-b-small-cache", "node-c-p256-ca", "node-b-no-certificate"}) {
            Claim c = claim(Files.readAllBytes(Path.of(ClaimAuthorityJazzerFuzzTest.class.getResource(
                    "ClaimAuthorityJazzerFuzzTestInputs/verify/" + name).toURI())));
            CertificateClaimAuthority a = new CertificateClaimAuthority(TRUST, LOCAL, 64);
            Verdict v = a.verify(c.signer(), c.signature(), c.certificate(), c.signedBytes());
            assertEquals(c.certificate() == null ? Verdict.UNKNOWN_SIGNER : Verdict.OK, v, name);
        }
    }

    @FuzzTest
    void verify(byte[] data) {
        Claim c = claim(data);
        CertificateClaimAuthority a = new CertificateClaimAuthority(TRUST, LOCAL, c.small() ? 1 : 64);
        Verdict expected = model(c);

        if (c.certificate() != null) {
            assertEquals(c.signature().length == 64 ? Verdict.UNKNOWN_SIGNER : Verdict.BAD_SIGNATURE,
                    verdict(a, c.signer(), c.signature(), null, c.signedBytes()),
                    "a signer is unknown before its certificate was seen");
        }
        Verdict first = verdict(a, c.signer(), c.signature(), c.certificate(), c.signedBytes());
        assertEquals(expected, first, "verdict");
        assertEquals(first, verdict(a, c.signer(), c.signature(), c.certificate(), c.signedBytes()), "asked again");
        if (c.certificate() != null && first == Verdict.OK) {
            assertEquals(Verdict.OK, verdict(a, c.signer(), c.signature(), null, c.signedBytes()),
                    "the signer's certificate is known after an OK");
        }
        CertificateClaimAuthority.Stats st = a.stats();
        assertEquals(st.signatureMisses(), st.verifications(), "every signature-cache miss is one verification");
    }

    private static Verdict verdict(CertificateClaimAuthority a, String signer, byte[] sig, byte[] cert, byte[] signed) {
        Verdict v = a.verify(signer, sig, cert, signed);
        assertNotNull(v);
        return v;
    }

    /** The rules of {@link CertificateClaimAuthority#verify} for a fresh authority, with the JDK's Ed25519. */
    static Verdict model(Claim c) {
        if (c.signature().length != 64) {
            return Verdict.BAD_SIGNATURE;
        }
        if (c.certificate() == null) {
            return Verdict.UNKNOWN_SIGNER;
        }
        X509Certificate cert;
        try {
            cert = Certificates.parse(c.certificate());
        } catch (PkiException e) {
            return Verdict.UNTRUSTED_CERTIFICATE;
        }
        if (!TRUST.evaluate(cert, c.signer()).trusted()
                || !c.signer().equals(Certificates.nodeName(cert).orElse(null))
                || Certificates.ed25519Key(cert).isEmpty()) {
            return Verdict.UNTRUSTED_CERTIFICATE;
        }
        try {
            Signature v = Signature.getInstance("Ed25519");
            v.initVerify(cert.getPublicKey());
            v.update(c.signedBytes());
            return v.verify(c.signature()) ? Verdict.OK : Verdict.BAD_SIGNATURE;
        } catch (GeneralSecurityException e) {
            return Verdict.BAD_SIGNATURE;
        }
    }
}
