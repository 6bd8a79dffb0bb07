package dev.grapevine.agent;

import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.sign.NodeIdentity;
import dev.grapevine.crypto.tls.NodeTls;
import dev.grapevine.keyringtool.NodeSecurity;
import dev.grapevine.transport.GrapevineNode;
import dev.grapevine.transport.TlsMode;
import java.nio.file.Path;
import java.util.Objects;

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
     * Reads and checks the settings, with the rules keyring-tool's live commands share
     * ({@link NodeSecurity}).
     *
     * @throws IllegalArgumentException naming the flag and file at fault
     */
    static AgentSecurity load(String nodeName, Flags f) {
        NodeSecurity s = NodeSecurity.load(Objects.requireNonNull(nodeName, "nodeName"), new NodeSecurity.Flags(
                f.tls(), f.ca(), f.cert(), f.key(), f.signing(), f.identityCert(), f.identityKey()));
        return new AgentSecurity(s.tlsMode(), s.tls(), s.identity(), s.trust());
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
}
