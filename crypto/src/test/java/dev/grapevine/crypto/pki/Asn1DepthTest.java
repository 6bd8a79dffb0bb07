package dev.grapevine.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.pki.Asn1Depth.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The non-recursive ASN.1 structure check in front of the certificate and PEM parsers. */
class Asn1DepthTest {
    private static final HexFormat HEX = HexFormat.of();
    @TempDir
    Path dir;

    private static byte[] hex(String s) {
        return HEX.parseHex(s.replace(" ", ""));
    }

    private static byte[] nested(int depth) {
        byte[] b = new byte[4 * depth];
        for (int i = 0; i < depth; i++) {
            b[2 * i] = 0x30;
            b[2 * i + 1] = (byte) 0x80;
        }
        return b;
    }

    @Test
    void realCertificatesAreWellFormedAndShallow() throws Exception {
        ClusterCa ca = ClusterCa.create("CA", KeyAlgorithm.ECDSA_P256, Duration.ofDays(1));
        for (X509Certificate c : new X509Certificate[] {ca.certificate(),
                ca.issue("node-1", KeyAlgorithm.ED25519, Duration.ofDays(1)).certificate()}) {
            assertEquals(Shape.OK, Asn1Depth.check(c.getEncoded(), 6, false, true));
            assertEquals(Shape.TOO_DEEP, Asn1Depth.check(c.getEncoded(), 3, false, true));
        }
    }

    @Test
    void definiteAndIndefiniteLengths() {
        assertEquals(Shape.OK, Asn1Depth.check(hex("30 06 02 01 05 04 01 ff"), 1, false, true));
        assertEquals(Shape.OK, Asn1Depth.check(hex("30 80 02 01 05 00 00"), 1, true, true));
        assertEquals(Shape.MALFORMED, Asn1Depth.check(hex("30 80 02 01 05 00 00"), 1, false, true), "DER: no BER");
        assertEquals(Shape.OK, Asn1Depth.check(hex("30 80 30 03 02 01 05 00 00"), 2, true, true));
        assertEquals(Shape.OK, Asn1Depth.check(hex("30 06 30 80 05 00 00 00"), 2, true, true), "BER inside DER");
        assertEquals(Shape.OK, Asn1Depth.check(hex("30 81 03 02 01 05"), 1, false, true), "long-form length");
        assertEquals(Shape.OK, Asn1Depth.check(hex("bf 81 00 03 02 01 05"), 1, false, true), "high tag number");
        assertEquals(Shape.OK, Asn1Depth.check(hex("05 00 05 00"), 1, false, false), "several values");
    }

    @Test
    void malformedInput() {
        for (String bad : new String[] {"", "30", "30 05 02 01", "30 03 02 05 00", "02 01 05 00",
                "04 80 00 00", "30 80 02 01 05", "30 85 00 00 00 00 03 02 01 05", "30 84 ff ff ff ff",
                "bf ff ff ff ff 7f 00", "30 03 30 80 00 00 00", "30 04 30 80 00 00 00 00"}) {
            assertEquals(Shape.MALFORMED, Asn1Depth.check(hex(bad), 8, true, true), bad);
        }
        assertEquals(Shape.MALFORMED, Asn1Depth.check(hex("05 00 05 00"), 1, false, true), "trailing value");
    }

    @Test
    void depthIsBoundedWithoutRecursion() {
        assertEquals(Shape.OK, Asn1Depth.check(nested(32), 32, true, true));
        assertEquals(Shape.TOO_DEEP, Asn1Depth.check(nested(33), 32, true, true));
        assertEquals(Shape.TOO_DEEP, Asn1Depth.check(nested(1_000_000), 64, true, true));
        // Far wider than deep: a million sibling values in one SEQUENCE.
        byte[] wide = new byte[4 + 2_000_000];
        wide[0] = 0x30;
        wide[1] = (byte) 0x80;
        for (int i = 0; i < 1_000_000; i++) {
            wide[2 + 2 * i] = 0x05;
        }
        assertEquals(Shape.OK, Asn1Depth.check(wide, 1, true, true));
    }

    /** Found by probing the PKI fuzz targets: these overflowed the stack of the parsers behind them. */
    @Test
    void deeplyNestedInputIsRefusedNotOverflowed() throws Exception {
        byte[] deep = nested(20_000);
        assertThrows(PkiException.class, () -> Certificates.parse(deep)); // BER: refused before the depth matters
        byte[] definite = new byte[0];
        for (int i = 0; i < 1000; i++) {
            byte[] next = new byte[4 + definite.length];
            next[0] = 0x30;
            next[1] = (byte) 0x82;
            next[2] = (byte) (definite.length >>> 8);
            next[3] = (byte) definite.length;
            System.arraycopy(definite, 0, next, 4, definite.length);
            definite = next;
        }
        byte[] deepDer = definite;
        PkiException e = assertThrows(PkiException.class, () -> Certificates.parse(deepDer));
        assertTrue(e.getMessage().contains("nested more than " + Certificates.MAX_DER_DEPTH), e.getMessage());
        String b64 = Base64.getMimeEncoder().encodeToString(Arrays.copyOf(deep, 40_000));
        for (String type : new String[] {"CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY"}) {
            Path f = dir.resolve(type.replace(' ', '-') + ".pem");
            Files.writeString(f, "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n");
            PkiException p = assertThrows(PkiException.class,
                    () -> {
                        if (type.equals("CERTIFICATE")) {
                            Pem.readCertificates(f);
                        } else {
                            Pem.readPrivateKey(f);
                        }
                    });
            assertTrue(p.getMessage().contains("nested more than " + Pem.MAX_ASN1_DEPTH), p.getMessage());
        }
    }
}
