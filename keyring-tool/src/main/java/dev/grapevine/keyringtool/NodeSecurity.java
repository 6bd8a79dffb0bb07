package dev.grapevine.keyringtool;

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
 * A node's TLS and signing settings, from the command-line flags that name its files, read and
 * checked before the node starts: every file is loaded, and a wrong one refused with a message
 * that names the flag and the file (never key material). Shared by {@code grapevine agent} and
 * keyring-tool's live commands, so both take the same flags with the same rules.
 *
 * <p>Signing uses the node certificate and key ({@code --tls-cert}, {@code --tls-key}), which must
 * then be Ed25519, unless {@code --identity-cert} and {@code --identity-key} name a separate
 * Ed25519 certificate and key (both, or neither). Every certificate must be from the cluster CA
 * ({@code --tls-ca}) and name the node in its SAN DNS entry: the name given, or, when none is
 * given, the name in the first certificate (the TLS one when TLS is on), which the others must
 * then carry too.
 *
 * <p><b>Threading.</b> {@link #load} reads files and blocks briefly, on the calling thread (the one
 * that starts the node). Instances are immutable and may be shared.
 */
public final class NodeSecurity {

    /**
     * The flag values, as given (null when absent).
     *
     * @param tls          {@code --tls}: off or required (null: off)
     * @param ca           {@code --tls-ca}
     * @param cert         {@code --tls-cert}
     * @param key          {@code --tls-key}
     * @param signing      {@code --signing}: off or on (null: off)
     * @param identityCert {@code --identity-cert}
     * @param identityKey  {@code --identity-key}
     */
    public record Flags(String tls, Path ca, Path cert, Path key, String signing, Path identityCert,
                        Path identityKey) {
    }

    private static final NodeSecurity OFF = new NodeSecurity(null, TlsMode.OFF, null, null, null);

    private final String nodeName;
    private final TlsMode tlsMode;
    private final NodeTls tls;
    private final NodeIdentity identity;
    private final ClusterTrust trust;

    private NodeSecurity(String nodeName, TlsMode tlsMode, NodeTls tls, NodeIdentity identity, ClusterTrust trust) {
        this.nodeName = nodeName;
        this.tlsMode = tlsMode;
        this.tls = tls;
        this.identity = identity;
        this.trust = trust;
    }

    /**
     * Reads and checks the settings.
     *
     * @param nodeName the node's name, or null to take it from the certificate
     * @param f        the flags
     * @return the settings; {@link #tlsMode()} OFF and no identity when neither TLS nor signing is on
     * @throws IllegalArgumentException naming the flag and file at fault
     */
    public static NodeSecurity load(String nodeName, Flags f) {
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
            return OFF;
        }
        String why = mode == TlsMode.REQUIRED ? "--tls required" : "--signing on";
        Path ca = need(f.ca(), "--tls-ca", why);
        readable(ca, "--tls-ca");
        ClusterTrust trust = load(() -> ClusterTrust.load(ca), "--tls-ca", "");
        String name = nodeName;

        NodeTls tls = null;
        if (mode == TlsMode.REQUIRED) {
            Path cert = need(f.cert(), "--tls-cert", why);
            Path key = need(f.key(), "--tls-key", why);
            readable(cert, "--tls-cert");
            readable(key, "--tls-key");
            tls = load(() -> NodeTls.load(ca, cert, key), "--tls-cert/--tls-key", "");
            name = checkName(name, tls.localName(), "--tls-cert", cert);
            String untrusted = trust.check(tls.certificate(), name);
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
            name = checkName(name, identity.nodeName(), certFlag, cert);
            String untrusted = trust.check(identity.certificate(), name);
            if (untrusted != null) {
                throw new IllegalArgumentException(certFlag + " " + cert + " is not trusted by --tls-ca " + ca + ": "
                        + untrusted);
            }
            signingTrust = trust;
        }
        return new NodeSecurity(name, mode, tls, identity, signingTrust);
    }

    /** The node's name, checked against the certificates; null when neither TLS nor signing is on. */
    public String nodeName() {
        return nodeName;
    }

    /** OFF or REQUIRED. */
    public TlsMode tlsMode() {
        return tlsMode;
    }

    /** The TLS material when TLS is required, else null. */
    public NodeTls tls() {
        return tls;
    }

    /** The signing identity when signing is on, else null. */
    public NodeIdentity identity() {
        return identity;
    }

    /** The cluster CA when signing is on, else null. */
    public ClusterTrust trust() {
        return trust;
    }

    /** Whether TLS or signing is on. */
    public boolean enabled() {
        return tlsMode == TlsMode.REQUIRED || identity != null;
    }

    /**
     * Applies the settings to a node builder (which must be given the same name as
     * {@link #nodeName()}).
     *
     * @param builder the builder
     */
    public void apply(GrapevineNode.Builder builder) {
        builder.tls(tlsMode, tls);
        if (identity != null) {
            builder.signing(identity, trust);
        }
    }

    /** A short description for a start-up line: {@code TLS required, signing on}. */
    public String describe() {
        return "TLS " + (tlsMode == TlsMode.REQUIRED ? "required" : "off") + ", signing "
                + (identity != null ? "on" : "off");
    }

    @Override
    public String toString() {
        return "NodeSecurity[" + (nodeName == null ? "" : nodeName + ", ") + describe() + "]";
    }

    /** The name to use: {@code given}, which the certificate must carry, or the certificate's own. */
    private static String checkName(String given, String inCert, String flag, Path cert) {
        if (given == null) {
            return inCert;
        }
        if (!given.equals(inCert)) {
            throw new IllegalArgumentException(flag + " " + cert + " names '" + inCert + "', not this node '" + given
                    + "': its SAN DNS entry must be the node name (--name)");
        }
        return given;
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
