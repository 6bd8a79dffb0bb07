package dev.grapevine.crypto;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.FuzzPki;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.crypto.pki.Pem;
import dev.grapevine.crypto.pki.TestClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Writes the fixed PKI ({@link FuzzPki}) and the seed corpora of every crypto fuzz target: valid
 * inputs of each kind (envelopes for each key size, keyring size, version 0 and 1, with and without
 * a label; keyring files; PEM files and certificates made with {@link ClusterCa}; signed claims)
 * plus near misses for each refusal. Not a test; run it by hand after a format change, from the
 * crypto module directory, with the test classpath:
 * {@code java -cp target/test-classes:target/classes:<deps> dev.grapevine.crypto.CryptoFuzzSeeds src/test/resources}
 * (it replaces the CAs, so every certificate seed is rewritten too). Inputs found by fuzzing are
 * added to the same directories by hand (named {@code crash-*}); the writer overwrites only its own
 * files, so do not delete the directories before running it.
 */
final class CryptoFuzzSeeds {
    private CryptoFuzzSeeds() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        Random rnd = new Random(4242);
        envelopes(root.resolve("dev/grapevine/crypto/GossipEnvelopeJazzerFuzzTestInputs"), rnd);
        keyringFiles(root.resolve("dev/grapevine/crypto/KeyringFileJazzerFuzzTestInputs/parse"));
        pki(root, rnd);
    }

    // ---------------------------------------------------------------------------------------------
    // Envelopes
    // ---------------------------------------------------------------------------------------------

    private static void envelopes(Path dir, Random rnd) throws Exception {
        Path packet = dir.resolve("packet");
        Path stream = dir.resolve("stream");
        int[] sizes = {0, 1, 15, 16, 17, 60};
        int i = 0;
        for (int keyCount = 1; keyCount <= 3; keyCount++) {
            for (int first = 0; first < 3; first++) {
                for (int version = 0; version <= 1; version++) {
                    for (boolean labelled : new boolean[] {false, true}) {
                        GossipEnvelopeJazzerFuzzTest.Config c = new GossipEnvelopeJazzerFuzzTest.Config(keyCount,
                                first, true, labelled, version, true);
                        byte[] plain = bytes(rnd, sizes[i % sizes.length]);
                        GossipEnvelope e = c.envelope(c.keyring());
                        write(packet, "sealed-" + i, with(c, e.sealPacket(plain)));
                        write(stream, "sealed-" + i, with(c, e.sealStream(plain)));
                        i++;
                    }
                }
            }
        }
        // Sealed with the last key of a ring of three, opened by the ring (a rotation in progress).
        for (int first = 0; first < 3; first++) {
            GossipEnvelopeJazzerFuzzTest.Config ring = new GossipEnvelopeJazzerFuzzTest.Config(3, first, true, false,
                    1, true);
            GossipEnvelopeJazzerFuzzTest.Config sealer = new GossipEnvelopeJazzerFuzzTest.Config(1, (first + 2) % 3,
                    true, false, 1, true);
            GossipEnvelope e = sealer.envelope(sealer.keyring());
            write(packet, "secondary-key-" + first, with(ring, e.sealPacket(bytes(rnd, 40))));
            write(stream, "secondary-key-" + first, with(ring, e.sealStream(bytes(rnd, 40))));
        }
        // Migration mode and empty keyrings: plaintext accepted (unverified or not).
        byte[] ping = bytes(rnd, 59);
        GossipEnvelopeJazzerFuzzTest.Config open = new GossipEnvelopeJazzerFuzzTest.Config(2, 0, false, false, 1, false);
        write(packet, "unverified-plaintext", with(open, ping));
        write(stream, "unverified-plaintext", with(open, ping));
        GossipEnvelopeJazzerFuzzTest.Config none = new GossipEnvelopeJazzerFuzzTest.Config(0, 0, true, false, 1, true);
        GossipEnvelopeJazzerFuzzTest.Config noneLabelled = new GossipEnvelopeJazzerFuzzTest.Config(0, 0, true, true, 1,
                true);
        write(packet, "no-keys", with(none, ping));
        write(packet, "no-keys-labelled", with(noneLabelled, noneLabelled.envelope(noneLabelled.keyring())
                .sealPacket(ping)));
        write(stream, "no-keys", with(none, ping));
        // Near misses.
        GossipEnvelopeJazzerFuzzTest.Config one = new GossipEnvelopeJazzerFuzzTest.Config(1, 2, true, true, 1, true);
        byte[] good = one.envelope(one.keyring()).sealPacket(ping);
        byte[] hdr = Arrays.copyOf(good, 2 + GossipEnvelopeJazzerFuzzTest.LABEL.length());
        write(packet, "label-length-zero", with(one, new byte[] {(byte) 244, 0, 1, 2, 3}));
        write(packet, "label-cut-short", with(one, Arrays.copyOf(hdr, hdr.length - 3)));
        byte[] otherLabel = good.clone();
        otherLabel[3] ^= 1;
        write(packet, "label-other", with(one, otherLabel));
        byte[] v2 = good.clone();
        v2[hdr.length] = 2;
        write(packet, "version-2", with(one, v2));
        write(packet, "too-short-v1", with(one, Arrays.copyOf(good, hdr.length + 28)));
        byte[] flipped = good.clone();
        flipped[flipped.length - 1] ^= 1;
        write(packet, "bad-tag", with(one, flipped));
        GossipEnvelopeJazzerFuzzTest.Config plain32 = new GossipEnvelopeJazzerFuzzTest.Config(1, 2, true, false, 0, true);
        byte[] k32 = plain32.keyBytes()[0];
        write(packet, "v0-bad-padding", with(plain32, v0WithBlock(k32, new byte[0], fill(16, 0))));
        write(packet, "v0-padding-17", with(plain32, v0WithBlock(k32, new byte[0], fill(32, 17))));
        byte[] mixed = fill(16, 3);
        mixed[13] = 2;
        write(packet, "v0-padding-mixed", with(plain32, v0WithBlock(k32, new byte[0], mixed)));
        GossipEnvelopeJazzerFuzzTest.Config s1 = new GossipEnvelopeJazzerFuzzTest.Config(1, 1, true, false, 1, true);
        byte[] sealedStream = s1.envelope(s1.keyring()).sealStream(ping);
        byte[] badLen = sealedStream.clone();
        badLen[4]++;
        write(stream, "bad-length", with(s1, badLen));
        write(stream, "header-only", with(s1, Arrays.copyOf(sealedStream, 3)));
        write(stream, "encrypted-but-no-keys", with(none, sealedStream));
        byte[] v0Stream = v0WithBlock(s1.keyBytes()[0], new byte[] {10, 0, 0, 0, 45}, fill(16, 16));
        write(stream, "v0-stream-padding-only", with(s1, v0Stream));
        write(stream, "plaintext-refused", with(s1, ping));

        Path label = dir.resolve("label");
        GossipEnvelopeJazzerFuzzTest.Config lab = new GossipEnvelopeJazzerFuzzTest.Config(1, 0, true, true, 1, true);
        write(label, "same", with(lab, GossipEnvelopeJazzerFuzzTest.LABEL.getBytes(StandardCharsets.UTF_8)));
        write(label, "empty", with(lab, new byte[0]));
        write(label, "none-vs-none", with(none, new byte[0]));
        write(label, "utf8", with(none, "ñode-☃".getBytes(StandardCharsets.UTF_8)));
        write(label, "not-utf8", with(lab, new byte[] {(byte) 0xc3, 0x28, (byte) 0xff}));
        write(label, "max", with(none, fill(255, 'a')));
        write(label, "too-long", with(lab, fill(256, 'a')));
    }

    /**
     * A version-0 envelope (with the stream header as AAD when given) whose last plaintext block is
     * {@code lastBlock}: valid encryption, arbitrary padding bytes. The stream header is prepended.
     */
    private static byte[] v0WithBlock(byte[] key, byte[] streamHeader, byte[] lastBlock) throws GeneralSecurityException {
        byte[] nonce = new byte[12];
        new Random(7).nextBytes(nonce);
        Cipher ci = Cipher.getInstance("AES/GCM/NoPadding");
        ci.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        if (streamHeader.length > 0) {
            ci.updateAAD(streamHeader);
        }
        byte[] ct = ci.doFinal(lastBlock);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(streamHeader);
        out.write(0);
        out.writeBytes(nonce);
        out.writeBytes(ct);
        return out.toByteArray();
    }

    private static byte[] with(GossipEnvelopeJazzerFuzzTest.Config c, byte[] rest) {
        byte[] out = new byte[1 + rest.length];
        out[0] = (byte) c.toByte();
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Keyring files
    // ---------------------------------------------------------------------------------------------

    private static void keyringFiles(Path dir) throws IOException {
        byte[][] k = GossipEnvelopeJazzerFuzzTest.keys();
        write(dir, "one-key", KeyringFile.encode(List.of(k[2])));
        write(dir, "three-keys", KeyringFile.encode(List.of(k[2], k[0], k[1])));
        String b32 = java.util.Base64.getEncoder().encodeToString(k[2]);
        String b16 = java.util.Base64.getEncoder().encodeToString(k[0]);
        ascii(dir, "compact-newline", "[\"" + b32 + "\",\"" + b16 + "\"]\n");
        // JSON escapes inside the base64: a unicode escape, an escaped newline (skipped, as Go does), an escaped slash.
        String escaped = String.format("\\u%04x", (int) b32.charAt(0)) + b32.substring(1, 8) + "\\n"
                + b32.substring(8).replace("/", "\\/");
        ascii(dir, "escapes", "[ \"" + escaped + "\" ]");
        ascii(dir, "null", "null");
        ascii(dir, "empty-array", " [ ] ");
        ascii(dir, "duplicate", "[\"" + b16 + "\",\"" + b16 + "\"]");
        ascii(dir, "bad-length", "[\"" + java.util.Base64.getEncoder().encodeToString(new byte[20]) + "\"]");
        ascii(dir, "bad-base64", "[\"" + b16.replace('A', '*') + "*\"]");
        ascii(dir, "no-padding", "[\"" + b16.replace("=", "") + "\"]");
        ascii(dir, "number", "[1]");
        ascii(dir, "trailing", "[\"" + b16 + "\"] x");
        ascii(dir, "unterminated", "[\"" + b16);
        ascii(dir, "control", "[\"\t" + b16 + "\"]");
    }

    // ---------------------------------------------------------------------------------------------
    // PKI: the fixed CAs and identity, PEM files, DER certificates, signed claims
    // ---------------------------------------------------------------------------------------------

    private static void pki(Path root, Random rnd) throws Exception {
        Path fixed = root.resolve("dev/grapevine/crypto/fuzz");
        Files.createDirectories(fixed);
        Instant now = FuzzPki.NOW;
        TestClock caClock = new TestClock(now.minus(Duration.ofDays(1)));
        ClusterCa edCa = ClusterCa.create("fuzz cluster CA", KeyAlgorithm.ED25519, Duration.ofDays(36_500), caClock);
        ClusterCa ecCa = ClusterCa.create("fuzz cluster CA (P-256)", KeyAlgorithm.ECDSA_P256, Duration.ofDays(36_500),
                caClock);
        ClusterCa rogue = ClusterCa.create("fuzz cluster CA", KeyAlgorithm.ED25519, Duration.ofDays(36_500), caClock);
        Pem.writeCertificates(fixed.resolve(FuzzPki.CA_ED25519), List.of(edCa.certificate()));
        Pem.writeCertificates(fixed.resolve(FuzzPki.CA_P256), List.of(ecCa.certificate()));
        Instant from = now.minus(Duration.ofDays(30));
        Instant until = now.plus(Duration.ofDays(365));
        IssuedCertificate local = edCa.issue("node-local", KeyAlgorithm.ED25519.generate(), from, until);
        local.write(fixed.resolve(FuzzPki.LOCAL_CERT), fixed.resolve(FuzzPki.LOCAL_KEY));

        IssuedCertificate b = edCa.issue("node-b", KeyAlgorithm.ED25519.generate(), from, until);
        IssuedCertificate c = ecCa.issue("node-c", KeyAlgorithm.ED25519.generate(), from, until);
        IssuedCertificate e = edCa.issue("node-e", KeyAlgorithm.ECDSA_P256.generate(), from, until);
        IssuedCertificate x = rogue.issue("node-b", KeyAlgorithm.ED25519.generate(), from, until);
        IssuedCertificate old = edCa.issue("node-b", KeyAlgorithm.ED25519.generate(),
                now.minus(Duration.ofDays(400)), now.minus(Duration.ofDays(35)));
        IssuedCertificate future = edCa.issue("node-b", KeyAlgorithm.ED25519.generate(),
                now.plus(Duration.ofDays(1)), until);

        Path der = root.resolve("dev/grapevine/crypto/pki/PkiJazzerFuzzTestInputs/certificateDer");
        write(der, "node-b", b.certificate().getEncoded());
        write(der, "node-c-p256-ca", c.certificate().getEncoded());
        write(der, "node-e-p256-key", e.certificate().getEncoded());
        write(der, "rogue-ca", x.certificate().getEncoded());
        write(der, "expired", old.certificate().getEncoded());
        write(der, "not-yet-valid", future.certificate().getEncoded());
        write(der, "ca-ed25519", edCa.certificate().getEncoded());
        write(der, "ca-p256", ecCa.certificate().getEncoded());
        byte[] trailing = Arrays.copyOf(b.certificate().getEncoded(), b.certificate().getEncoded().length + 1);
        write(der, "trailing-byte", trailing);
        // Nested indefinite-length SEQUENCEs: the JDK's factory recursed once per level into a
        // StackOverflowError (5000 levels at a 1 MB stack; 1023, the most the 4096-byte wire limit
        // holds, at 256 KB). Found by probing after fuzzing; refused by the structure check now.
        write(der, "crash-nesting-5000", nested(5000));
        write(der, "crash-nesting-1023", nested(1023));

        Path certPem = root.resolve("dev/grapevine/crypto/pki/PkiJazzerFuzzTestInputs/certificatePem");
        ascii(certPem, "one", pem(b.certificate()));
        ascii(certPem, "bundle", pem(ecCa.certificate()) + pem(edCa.certificate()));
        ascii(certPem, "text-around", "Certificate:\n    Data: (openssl x509 -text)\n" + pem(c.certificate())
                + "trailing text\n");
        ascii(certPem, "a-key", pkcs8(KeyAlgorithm.ED25519.generate().getPrivate()));
        ascii(certPem, "cert-then-key", pem(e.certificate()) + pkcs8(KeyAlgorithm.ED25519.generate().getPrivate()));
        ascii(certPem, "empty", "");
        ascii(certPem, "crash-nesting-5000", pem("CERTIFICATE", nested(5000)));
        ascii(certPem, "bad-base64", "-----BEGIN CERTIFICATE-----\nMIIB*\n-----END CERTIFICATE-----\n");

        Path keyPem = root.resolve("dev/grapevine/crypto/pki/PkiJazzerFuzzTestInputs/privateKeyPem");
        KeyPair ed = KeyAlgorithm.ED25519.generate();
        KeyPair p256 = KeyAlgorithm.ECDSA_P256.generate();
        ascii(keyPem, "pkcs8-ed25519", pkcs8(ed.getPrivate()));
        ascii(keyPem, "pkcs8-p256", pkcs8(p256.getPrivate()));
        ascii(keyPem, "sec1-p256", sec1(p256, SECObjectIdentifiers.secp256r1));
        ascii(keyPem, "sec1-p256-with-params", pem("EC PARAMETERS", SECObjectIdentifiers.secp256r1.getEncoded())
                + sec1(p256, SECObjectIdentifiers.secp256r1));
        ascii(keyPem, "sec1-no-params", jcaPem(p256));
        ascii(keyPem, "encrypted-pkcs8", encryptedPkcs8(p256.getPrivate()));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp384r1"));
        ascii(keyPem, "p384", pkcs8(g.generateKeyPair().getPrivate()));
        ascii(keyPem, "sec1-p384", sec1(g.generateKeyPair(), SECObjectIdentifiers.secp384r1));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        ascii(keyPem, "rsa", pkcs8(rsa.generateKeyPair().getPrivate()));
        ascii(keyPem, "two-keys", pkcs8(ed.getPrivate()) + pkcs8(KeyAlgorithm.ED25519.generate().getPrivate()));
        ascii(keyPem, "certificate", pem(b.certificate()));
        ascii(keyPem, "crash-nesting-5000", pem("PRIVATE KEY", nested(5000)));
        ascii(keyPem, "crash-nesting-sec1-5000", pem("EC PRIVATE KEY", nested(5000)));
        ascii(keyPem, "empty", "");

        Path claims = root.resolve("dev/grapevine/crypto/sign/ClaimAuthorityJazzerFuzzTestInputs/verify");
        byte[] payload = bytes(rnd, 40);
        write(claims, "node-b", claim(false, "node-b", b, true, payload));
        write(claims, "node-b-small-cache", claim(true, "node-b", b, true, payload));
        write(claims, "node-c-p256-ca", claim(false, "node-c", c, true, payload));
        write(claims, "node-b-no-certificate", claim(false, "node-b", b, false, payload));
        write(claims, "node-e-p256-key", claim(false, "node-e", e, true, payload));
        write(claims, "rogue-ca", claim(false, "node-b", x, true, payload));
        write(claims, "expired", claim(false, "node-b", old, true, payload));
        write(claims, "other-signer", claim(false, "node-c", b, true, payload));
        byte[] bad = claim(false, "node-b", b, true, payload);
        bad[bad.length - 1] ^= 1;
        write(claims, "bad-signature", bad);
        write(claims, "empty-signed-bytes", claim(false, "node-b", b, true, new byte[0]));
        ByteArrayOutputStream deep = new ByteArrayOutputStream();
        deep.write(1);
        deep.write(6);
        deep.writeBytes("node-b".getBytes(StandardCharsets.US_ASCII));
        deep.write(64);
        deep.writeBytes(new byte[64]);
        byte[] cert = nested(1023);
        deep.write(cert.length >>> 8);
        deep.write(cert.length);
        deep.writeBytes(cert);
        write(claims, "crash-certificate-nesting-1023", deep.toByteArray());
    }

    /** A claim in {@code ClaimAuthorityJazzerFuzzTest}'s input format, signed by {@code who}'s key when it is Ed25519. */
    private static byte[] claim(boolean small, String signer, IssuedCertificate who, boolean withCert, byte[] signed)
            throws Exception {
        byte[] sig;
        PrivateKey k = who.privateKey();
        if ("EC".equals(k.getAlgorithm())) {
            sig = new byte[64];
        } else {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(k);
            s.update(signed);
            sig = s.sign();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((withCert ? 1 : 0) | (small ? 2 : 0));
        byte[] name = signer.getBytes(StandardCharsets.UTF_8);
        out.write(name.length);
        out.writeBytes(name);
        out.write(sig.length);
        out.writeBytes(sig);
        if (withCert) {
            byte[] der = who.certificate().getEncoded();
            out.write(der.length >>> 8);
            out.write(der.length);
            out.writeBytes(der);
        }
        out.writeBytes(signed);
        return out.toByteArray();
    }

    private static String pem(X509Certificate c) throws Exception {
        return pem("CERTIFICATE", c.getEncoded());
    }

    private static String pkcs8(PrivateKey k) throws IOException {
        return pem("PRIVATE KEY", k.getEncoded());
    }

    private static String pem(String type, byte[] der) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(new PemObject(type, der));
        }
        return w.toString();
    }

    /** A key pair as BouncyCastle writes it: SEC 1 ({@code EC PRIVATE KEY}) for EC keys. */
    private static String jcaPem(KeyPair kp) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(kp);
        }
        return w.toString();
    }

    /** A SEC 1 {@code EC PRIVATE KEY} with the curve named, as {@code openssl ecparam -genkey} writes it. */
    private static String sec1(KeyPair kp, ASN1ObjectIdentifier curve) throws IOException {
        BigInteger d = ((ECPrivateKey) kp.getPrivate()).getS();
        ASN1BitString point = SubjectPublicKeyInfo.getInstance(kp.getPublic().getEncoded()).getPublicKeyData();
        int bits = ((ECPrivateKey) kp.getPrivate()).getParams().getOrder().bitLength();
        return pem("EC PRIVATE KEY", new org.bouncycastle.asn1.sec.ECPrivateKey(bits, d, point, curve).getEncoded());
    }

    private static String encryptedPkcs8(PrivateKey k) throws IOException, OperatorCreationException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(new JcaPKCS8Generator(k, new JceOpenSSLPKCS8EncryptorBuilder(
                    JcaPKCS8Generator.AES_256_CBC).setProvider(new BouncyCastleProvider())
                    .setPassword("fuzz".toCharArray()).build()));
        }
        return w.toString();
    }

    // ---------------------------------------------------------------------------------------------

    private static byte[] bytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    /** {@code depth} nested indefinite-length SEQUENCEs: {@code 30 80 ... 00 00}. */
    private static byte[] nested(int depth) {
        byte[] b = new byte[4 * depth];
        for (int i = 0; i < depth; i++) {
            b[2 * i] = 0x30;
            b[2 * i + 1] = (byte) 0x80;
        }
        return b;
    }

    private static byte[] fill(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static void ascii(Path dir, String name, String text) throws IOException {
        write(dir, name, text.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void write(Path dir, String name, byte[] bytes) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), bytes);
    }
}
