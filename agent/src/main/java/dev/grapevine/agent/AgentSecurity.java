package dev.grapevine.agent;

import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.pki.PkiException;
import dev.grapevine.crypto.sign.NodeIdentity;
import dev.grapevine.crypto.tls.NodeTls;
import dev.grapevine.transport.GrapevineNode;
import dev.grapevine.transport.TlsMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The agent's TLS and signing settings, read and checked at start: every file is loaded, and a
 * wrong one refused with a message that names the flag and the file (never key material).
 *
 * <p>Signing uses the node certificate and key ({@code --tls-cert}, {@code --tls-key}), which must
 * then be Ed25519, unless {@code --identity-cert} and {@code --identity-key} name a separate
 * Ed25519 certificate and key (both, or neither). Every certificate must be from the cluster CA
 * ({@code --tls-ca}) and name the node ({@code --name}) in its SAN DNS entry.
 *
 * <p><b>Threading.</b> Built once, on the thread that starts the agent. Immutable.
 *
 * @param tlsMode  off or required
 * @param tls      the TLS material when required, else null
 * @param identity the signing identity when signing is on, else null
 * @param trust    the cluster CA when signing is on, else null
 */
record AgentSecurity(TlsMode tlsMode, NodeTls tls, NodeIdentity identity, ClusterTrust trust) {

    /** The flag values, as given (null when absent). */
    record Flags(String tls, Path ca, Path cert, Path key, String signing, Path identityCert, Path identityKey) {
    }

    /**
     * Reads and checks the settings.
     *
     * @throws IllegalArgumentException naming the flag and file at fault
     */
    static AgentSecurity load(String nodeName, Flags f) {
        TlsMode mode = switch (lower(f.tls() == null ? "off" : f.tls())) {
            case "off" -> TlsMode.OFF;
            case "required" -> TlsMode.REQUIRED;
            default -> throw new IllegalArgumentException("--tls must be off or required, got " + f.tls());
        };
        boolean signing = switch (lower(f.signing() == null ? "off" : f.signing())) {
            case "off" -> false;
            case "on" -> true;
            default -> throw new IllegalArgumentException("--signing must be off or on, got " + f.signing());
        };
        if ((f.identityCert() == null) != (f.identityKey() == null)) {
            throw new IllegalArgumentException("--identity-cert and --identity-key go together: give both or neither");
        }
        if (!signing && f.identityCert() != null) {
            throw new IllegalArgumentException("--identity-cert and --identity-key are for --signing on");
        }
        if (mode == TlsMode.OFF && !signing && (f.ca() != null || f.cert() != null || f.key() != null)) {
            throw new IllegalArgumentException("--tls-ca, --tls-cert and --tls-key need --tls required or --signing on");
        }
        if (mode == TlsMode.OFF && !signing) {
            return new AgentSecurity(TlsMode.OFF, null, null, null);
        }
        String why = mode == TlsMode.REQUIRED ? "--tls required" : "--signing on";
        Path ca = need(f.ca(), "--tls-ca", why);
        readable(ca, "--tls-ca");
        ClusterTrust trust = load(() -> ClusterTrust.load(ca), "--tls-ca", "");

        NodeTls tls = null;
        if (mode == TlsMode.REQUIRED) {
            Path cert = need(f.cert(), "--tls-cert", why);
            Path key = need(f.key(), "--tls-key", why);
            readable(cert, "--tls-cert");
            readable(key, "--tls-key");
            tls = load(() -> NodeTls.load(ca, cert, key), "--tls-cert/--tls-key", "");
            if (!nodeName.equals(tls.localName())) {
                throw new IllegalArgumentException("--tls-cert " + cert + " names '" + tls.localName()
                        + "', not this node '" + nodeName + "': its SAN DNS entry must be the node name (--name)");
            }
            String untrusted = trust.check(tls.certificate(), nodeName);
            if (untrusted != null) {
                throw new IllegalArgumentException("--tls-cert " + cert + " is not trusted by --tls-ca " + ca + ": "
                        + untrusted);
            }
        }
        NodeIdentity identity = null;
        ClusterTrust signingTrust = null;
        if (signing) {
            boolean separate = f.identityCert() != null;
            String certFlag = separate ? "--identity-cert" : "--tls-cert";
            String keyFlag = separate ? "--identity-key" : "--tls-key";
            Path cert = need(separate ? f.identityCert() : f.cert(), certFlag, "--signing on");
            Path key = need(separate ? f.identityKey() : f.key(), keyFlag, "--signing on");
            readable(cert, certFlag);
            readable(key, keyFlag);
            identity = load(() -> NodeIdentity.load(cert, key), certFlag + "/" + keyFlag, separate ? ""
                    : " (give --identity-cert/--identity-key for a separate Ed25519 identity)");
            if (!nodeName.equals(identity.nodeName())) {
                throw new IllegalArgumentException(certFlag + " " + cert + " names '" + identity.nodeName()
                        + "', not this node '" + nodeName + "': its SAN DNS entry must be the node name (--name)");
            }
            String untrusted = trust.check(identity.certificate(), nodeName);
            if (untrusted != null) {
                throw new IllegalArgumentException(certFlag + " " + cert + " is not trusted by --tls-ca " + ca + ": "
                        + untrusted);
            }
            signingTrust = trust;
        }
        return new AgentSecurity(mode, tls, identity, signingTrust);
    }

    /** Applies the settings to a node builder. */
    void apply(GrapevineNode.Builder builder) {
        builder.tls(tlsMode, tls);
        if (identity != null) {
            builder.signing(identity, trust);
        }
    }

    /** A short description for the start-up log line. */
    String describe() {
        return "TLS " + (tlsMode == TlsMode.REQUIRED ? "required" : "off") + ", signing "
                + (identity != null ? "on" : "off");
    }

    private interface Loader<T> {
        T load();
    }

    /** Runs a loader; its errors (which name the file) become one naming the flags too. */
    private static <T> T load(Loader<T> loader, String flags, String hint) {
        try {
            return loader.load();
        } catch (PkiException | IllegalArgumentException e) {
            throw new IllegalArgumentException(flags + ": " + e.getMessage() + hint, e);
        }
    }

    private static Path need(Path p, String flag, String why) {
        if (p == null) {
            throw new IllegalArgumentException(why + " needs " + flag);
        }
        return p;
    }

    private static void readable(Path p, String flag) {
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new IllegalArgumentException(flag + " " + p + ": not a readable file");
        }
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
