package dev.grapevine.crypto.tls;

import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.util.Optional;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * A JDK Ed25519 private key that names its algorithm "Ed25519" rather than "EdDSA" (BCJSSE's signer
 * selection goes by that name) and carries the same key for BouncyCastle's low-level signer
 * ({@link GrapevineTlsCrypto}). Everything else is the wrapped key's. Never printed.
 */
final class Ed25519TlsKey implements EdECPrivateKey {
    private static final long serialVersionUID = 1L;
    private final transient EdECPrivateKey key;
    private final transient Ed25519PrivateKeyParameters bcKey;

    /**
     * @param key a JDK Ed25519 key whose raw bytes are exportable
     * @throws IllegalArgumentException if they are not
     */
    Ed25519TlsKey(EdECPrivateKey key) {
        this.key = key;
        byte[] raw = key.getBytes().orElseThrow(() -> new IllegalArgumentException("the Ed25519 key is not exportable"));
        try {
            this.bcKey = new Ed25519PrivateKeyParameters(raw, 0);
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
    }

    /** The same key for BouncyCastle's low-level Ed25519 (its public key computed once). */
    Ed25519PrivateKeyParameters bcKey() {
        return bcKey;
    }

    @Override
    public Optional<byte[]> getBytes() {
        return key.getBytes();
    }

    @Override
    public NamedParameterSpec getParams() {
        return key.getParams();
    }

    @Override
    public String getAlgorithm() {
        return "Ed25519";
    }

    @Override
    public String getFormat() {
        return key.getFormat();
    }

    @Override
    public byte[] getEncoded() {
        return key.getEncoded();
    }

    @Override
    public String toString() {
        return "Ed25519TlsKey";
    }
}
