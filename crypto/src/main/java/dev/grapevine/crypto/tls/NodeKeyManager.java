package dev.grapevine.crypto.tls;

import dev.grapevine.crypto.pki.Certificates;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import org.bouncycastle.jsse.BCX509ExtendedKeyManager;
import org.bouncycastle.jsse.BCX509Key;

/**
 * Offers this node's one certificate and key to BCJSSE. BCJSSE's own key manager recognises an
 * Ed25519 key only when its {@code getAlgorithm()} says "Ed25519", while the JDK's keys say "EdDSA";
 * this one matches on the key's actual type instead. Immutable and thread-safe.
 */
final class NodeKeyManager extends BCX509ExtendedKeyManager {
    private static final String ALIAS = "node";
    private final X509Certificate[] chain;
    private final PrivateKey key;
    /** The TLS 1.3 key type BCJSSE names this kind of key by. */
    private final String want;

    NodeKeyManager(X509Certificate cert, PrivateKey key) {
        this.chain = new X509Certificate[] {cert};
        this.key = key instanceof java.security.interfaces.EdECPrivateKey ed && !"Ed25519".equals(key.getAlgorithm())
                ? new Ed25519TlsKey(ed) : key;
        this.want = Certificates.algorithm(cert.getPublicKey()).orElseThrow() == KeyAlgorithm.ED25519
                ? "Ed25519" : "EC/secp256r1";
    }

    /** The TLS 1.3 key type BCJSSE asks for that this key serves, or null. */
    private String match(String[] keyTypes) {
        if (keyTypes == null) {
            return null;
        }
        for (String t : keyTypes) {
            if (want.equals(t)) {
                return t;
            }
        }
        return null;
    }

    private BCX509Key key(String[] keyTypes) {
        String t = match(keyTypes);
        return t == null ? null : new Key(t);
    }

    @Override
    public BCX509Key chooseEngineClientKeyBC(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return key(keyTypes);
    }

    @Override
    public BCX509Key chooseEngineServerKeyBC(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return key(keyTypes);
    }

    @Override
    public BCX509Key chooseClientKeyBC(String[] keyTypes, Principal[] issuers, Socket socket) {
        return key(keyTypes);
    }

    @Override
    public BCX509Key chooseServerKeyBC(String[] keyTypes, Principal[] issuers, Socket socket) {
        return key(keyTypes);
    }

    @Override
    protected BCX509Key getKeyBC(String keyType, String alias) {
        return ALIAS.equals(alias) ? key(new String[] {keyType}) : null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return match(keyTypes) == null ? null : ALIAS;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return match(new String[] {keyType}) == null ? null : ALIAS;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return match(new String[] {keyType}) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return match(keyTypes) == null ? null : ALIAS;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return match(new String[] {keyType}) == null ? null : ALIAS;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }

    /** The key as BCJSSE takes it. */
    private final class Key implements BCX509Key {
        private final String keyType;

        Key(String keyType) {
            this.keyType = keyType;
        }

        @Override
        public X509Certificate[] getCertificateChain() {
            return chain.clone();
        }

        @Override
        public String getKeyType() {
            return keyType;
        }

        @Override
        public PrivateKey getPrivateKey() {
            return key;
        }

        @Override
        public String toString() {
            return "NodeKey[" + keyType + "]";
        }
    }
}
