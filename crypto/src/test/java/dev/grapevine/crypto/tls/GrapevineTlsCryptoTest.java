package dev.grapevine.crypto.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.SecureRandom;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsAgreement;
import org.bouncycastle.tls.crypto.TlsECConfig;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.junit.jupiter.api.Test;

class GrapevineTlsCryptoTest {
    private final JcaTlsCrypto crypto = new GrapevineTlsCrypto.Provider().create(new SecureRandom(), new SecureRandom());

    private TlsAgreement x25519() {
        return crypto.createECDomain(new TlsECConfig(NamedGroup.x25519)).createECDH();
    }

    @Test
    void x25519AgreesWithItself() throws Exception {
        TlsAgreement a = x25519();
        TlsAgreement b = x25519();
        byte[] pa = a.generateEphemeral();
        byte[] pb = b.generateEphemeral();
        assertEquals(32, pa.length);
        a.receivePeerValue(pb);
        b.receivePeerValue(pa);
        assertArrayEquals(a.calculateSecret().extract(), b.calculateSecret().extract());
    }

    @Test
    void x25519RefusesBadPeerValues() throws Exception {
        TlsAgreement a = x25519();
        a.generateEphemeral();
        assertThrows(TlsFatalAlert.class, () -> a.receivePeerValue(new byte[31]));
        // The all-zero point (low order): the shared secret would be all zeros (RFC 7748 section 6.1).
        a.receivePeerValue(new byte[32]);
        assertThrows(TlsFatalAlert.class, a::calculateSecret);
    }

    @Test
    void otherGroupsStayWithTheJdk() {
        assertEquals("org.bouncycastle.tls.crypto.impl.jcajce.JceTlsECDomain",
                crypto.createECDomain(new TlsECConfig(NamedGroup.secp256r1)).getClass().getName());
    }
}
