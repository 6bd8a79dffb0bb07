package dev.grapevine.crypto.tls;

import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.util.Optional;

/**
 * A JDK Ed25519 private key that names its algorithm "Ed25519" rather than "EdDSA": BCJSSE's signer
 * selection goes by that name. Everything else is the wrapped key's. Never printed.
 */
final class Ed25519TlsKey implements EdECPrivateKey {
    private static final long serialVersionUID = 1L;
    private final transient EdECPrivateKey key;

    Ed25519TlsKey(EdECPrivateKey key) {
        this.key = key;
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
