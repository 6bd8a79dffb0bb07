package dev.grapevine.crypto.tls;

import dev.grapevine.crypto.pki.Certificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.jcajce.util.JcaJceHelper;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsAgreement;
import org.bouncycastle.tls.crypto.TlsECConfig;
import org.bouncycastle.tls.crypto.TlsECDomain;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.tls.crypto.Tls13Verifier;
import org.bouncycastle.tls.crypto.TlsStreamSigner;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/**
 * BCJSSE's JCA-based crypto (record protection, hashes, HKDF, ECDSA and P-256 key exchange through
 * the JDK's providers) except for two public-key operations that Java 17's providers do slowly and
 * BouncyCastle's low-level code does fast:
 * <ul>
 *   <li>Ed25519 signatures in TLS 1.3 CertificateVerify (the JDK's Ed25519 is 10-25 times slower; a
 *       mutual handshake signs twice and verifies twice);</li>
 *   <li>X25519 key exchange (the JDK's XDH took a quarter of a handshake's CPU time), with RFC 7748's
 *       all-zero shared secret refused.</li>
 * </ul>
 */
final class GrapevineTlsCrypto extends JcaTlsCrypto {
    /** Ed25519 CertificateVerify signatures made here (tests check that the fast path is taken). */
    static final LongAdder ED25519_SIGNATURES = new LongAdder();
    /** Ed25519 CertificateVerify signatures verified here. */
    static final LongAdder ED25519_VERIFICATIONS = new LongAdder();

    private GrapevineTlsCrypto(JcaJceHelper helper, JcaJceHelper altHelper, SecureRandom entropy,
                               SecureRandom nonceEntropy) {
        super(helper, altHelper, entropy, nonceEntropy);
    }

    /** The provider BCJSSE is built with: JDK JCA helpers, not bound to any named provider. */
    static final class Provider extends JcaTlsCryptoProvider {
        @Override
        public JcaTlsCrypto create(SecureRandom keyRandom, SecureRandom nonceRandom) {
            return new GrapevineTlsCrypto(getHelper(), getAltHelper(), keyRandom, nonceRandom);
        }
    }

    /** X25519 key exchanges done here. */
    static final LongAdder X25519_AGREEMENTS = new LongAdder();

    @Override
    public TlsECDomain createECDomain(TlsECConfig ecConfig) {
        if (ecConfig.getNamedGroup() == NamedGroup.x25519) {
            return X25519Agreement::new;
        }
        return super.createECDomain(ecConfig);
    }

    /** One side of an ephemeral X25519 exchange. */
    private final class X25519Agreement implements TlsAgreement {
        private final byte[] privateKey = new byte[X25519.SCALAR_SIZE];
        private byte[] peer;

        @Override
        public byte[] generateEphemeral() {
            X25519.generatePrivateKey(getSecureRandom(), privateKey);
            byte[] publicKey = new byte[X25519.POINT_SIZE];
            X25519.generatePublicKey(privateKey, 0, publicKey, 0);
            return publicKey;
        }

        @Override
        public void receivePeerValue(byte[] peerValue) throws IOException {
            if (peerValue == null || peerValue.length != X25519.POINT_SIZE) {
                throw new TlsFatalAlert(AlertDescription.illegal_parameter, "X25519 key share of the wrong size");
            }
            this.peer = peerValue.clone();
        }

        @Override
        public TlsSecret calculateSecret() throws IOException {
            byte[] shared = new byte[X25519.POINT_SIZE];
            try {
                if (peer == null || !X25519.calculateAgreement(privateKey, 0, peer, 0, shared, 0)) {
                    throw new TlsFatalAlert(AlertDescription.illegal_parameter, "X25519 agreement failed");
                }
                X25519_AGREEMENTS.increment();
                return createSecret(shared);
            } finally {
                Arrays.fill(shared, (byte) 0);
                Arrays.fill(privateKey, (byte) 0);
            }
        }
    }

    @Override
    protected TlsStreamSigner createStreamSigner(String algorithmName, AlgorithmParameterSpec parameter,
                                                 PrivateKey privateKey, boolean needsRandom) throws IOException {
        if ("Ed25519".equalsIgnoreCase(algorithmName) && parameter == null && privateKey instanceof Ed25519TlsKey k) {
            return new Ed25519StreamSigner(k.bcKey());
        }
        return super.createStreamSigner(algorithmName, parameter, privateKey, needsRandom);
    }

    @Override
    protected Tls13Verifier createTls13Verifier(String algorithmName, AlgorithmParameterSpec parameter,
                                                PublicKey publicKey) throws IOException {
        if ("Ed25519".equalsIgnoreCase(algorithmName) && parameter == null) {
            Ed25519PublicKeyParameters key = Certificates.ed25519Key(publicKey).orElse(null);
            if (key != null) {
                return new Ed25519Verifier(key);
            }
        }
        return super.createTls13Verifier(algorithmName, parameter, publicKey);
    }

    /** Buffers the (small) CertificateVerify content, then signs it. */
    private static final class Ed25519StreamSigner implements TlsStreamSigner {
        private final Ed25519PrivateKeyParameters key;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(160);

        Ed25519StreamSigner(Ed25519PrivateKeyParameters key) {
            this.key = key;
        }

        @Override
        public OutputStream getOutputStream() {
            return buffer;
        }

        @Override
        public byte[] getSignature() {
            byte[] data = buffer.toByteArray();
            byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
            key.sign(Ed25519.Algorithm.Ed25519, null, data, 0, data.length, sig, 0);
            ED25519_SIGNATURES.increment();
            return sig;
        }
    }

    /** Buffers the CertificateVerify content, then verifies the peer's signature over it. */
    private static final class Ed25519Verifier implements Tls13Verifier {
        private final Ed25519PublicKeyParameters key;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(160);

        Ed25519Verifier(Ed25519PublicKeyParameters key) {
            this.key = key;
        }

        @Override
        public OutputStream getOutputStream() {
            return buffer;
        }

        @Override
        public boolean verifySignature(byte[] signature) {
            if (signature == null || signature.length != Ed25519.SIGNATURE_SIZE) {
                return false;
            }
            byte[] data = buffer.toByteArray();
            ED25519_VERIFICATIONS.increment();
            return key.verify(Ed25519.Algorithm.Ed25519, null, data, 0, data.length, signature, 0);
        }
    }
}
