package dev.grapevine.keyringtool;

import dev.grapevine.crypto.pki.KeyAlgorithm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code keyring-tool identity create}: a node's signing identity. A signing identity
 * ({@code NodeIdentity}) is the node's certificate with an Ed25519 key, the same certificate TLS
 * uses, so this is {@code tls cert create --algorithm ed25519} under the name operators look for;
 * there are no signing keys separate from the TLS key.
 */
@Command(name = "identity", description = "A node's signing identity (signing mode): an Ed25519 node certificate. "
        + "Same as 'tls cert create --algorithm ed25519': one certificate serves TLS and signing.",
        subcommands = IdentityCommand.Create.class)
final class IdentityCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command (create)");
    }

    @Command(name = "create", description = "Issue a node's Ed25519 certificate and key, signed by the cluster CA "
            + "(alias of 'tls cert create --algorithm ed25519').")
    static final class Create extends TlsCommand.Issue {
        @Override
        public Integer call() {
            return issue(KeyAlgorithm.ED25519, "node identity (Ed25519 certificate, for TLS and signing)");
        }
    }
}
