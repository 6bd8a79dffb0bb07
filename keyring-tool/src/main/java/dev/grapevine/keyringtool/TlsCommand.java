package dev.grapevine.keyringtool;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.crypto.pki.PkiException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code keyring-tool tls ca create} and {@code tls cert create}: the cluster CA and node
 * certificates ({@link ClusterCa}), written as PEM (certificates 0644, keys 0600, each atomically).
 * Existing files are not overwritten without {@code --force}. Prints what was created (subject,
 * validity, fingerprint), never a key.
 */
@Command(name = "tls", description = "Create a cluster CA and node certificates (PEM) for TLS and signing mode.",
        subcommands = {TlsCommand.Ca.class, TlsCommand.Cert.class})
final class TlsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command (ca, cert)");
    }

    /** ed25519 | p256 on the command line. */
    static final class AlgorithmConverter implements CommandLine.ITypeConverter<KeyAlgorithm> {
        @Override
        public KeyAlgorithm convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "ed25519" -> KeyAlgorithm.ED25519;
                case "p256", "ecdsa-p256", "p-256" -> KeyAlgorithm.ECDSA_P256;
                default -> throw new CommandLine.TypeConversionException("'" + value
                        + "' is not an algorithm: use ed25519 or p256");
            };
        }
    }

    /** Completion candidates for --algorithm. */
    static final class Algorithms implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("ed25519", "p256").iterator();
        }
    }

    @Command(name = "ca", description = "The cluster certificate authority.", subcommands = CaCreate.class)
    static final class Ca implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new ParameterException(spec.commandLine(), "Missing a command (create)");
        }
    }

    @Command(name = "cert", description = "Node certificates, issued by the cluster CA.", subcommands = CertCreate.class)
    static final class Cert implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new ParameterException(spec.commandLine(), "Missing a command (create)");
        }
    }

    /** Output files and validity, shared by the create commands. */
    abstract static class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--out-cert", required = true, paramLabel = "FILE", description = "Where to write the "
                + "certificate (PEM, mode 0644).")
        Path outCert;

        @Option(names = "--out-key", required = true, paramLabel = "FILE", description = "Where to write the "
                + "private key (unencrypted PKCS#8 PEM, mode 0600).")
        Path outKey;

        @Option(names = "--force", description = "Overwrite existing output files.")
        boolean force;

        abstract int days();

        void checkOutputs() {
            if (outCert.toAbsolutePath().normalize().equals(outKey.toAbsolutePath().normalize())) {
                throw ToolException.usage("--out-cert and --out-key must be different files");
            }
            if (days() < 1 || days() > 36_500) {
                throw ToolException.usage("--days must be 1..36500, not " + days());
            }
            for (Path p : List.of(outCert, outKey)) {
                if (!force && (Files.exists(p) || Files.isSymbolicLink(p))) {
                    throw ToolException.failed("refusing to overwrite " + p + " (use --force)");
                }
                Path dir = p.toAbsolutePath().getParent();
                if (dir != null && !Files.isDirectory(dir)) {
                    throw ToolException.usage(p + ": the directory " + dir + " does not exist");
                }
            }
        }

        void write(IssuedCertificate issued) {
            try {
                issued.write(outCert, outKey);
            } catch (PkiException e) {
                throw ToolException.failed(e.getMessage());
            }
        }

        void report(String what, X509Certificate c, KeyAlgorithm alg, String keyAdvice) {
            spec.commandLine().getOut().println("created " + what + ": " + c.getSubjectX500Principal().getName()
                    + ", " + name(alg) + ", valid until " + c.getNotAfter().toInstant() + ", SHA-256 fingerprint "
                    + fingerprint(c));
            spec.commandLine().getOut().println("  certificate: " + outCert + " (0644)");
            spec.commandLine().getOut().println("  private key: " + outKey + " (0600; " + keyAdvice + ")");
        }
    }

    @Command(name = "create", description = "Create a cluster CA: a self-signed CA certificate (CA:true, pathlen:0) "
            + "and its key.")
    static final class CaCreate extends Create {
        @Option(names = "--algorithm", defaultValue = "ed25519", paramLabel = "ALG",
                converter = AlgorithmConverter.class, completionCandidates = Algorithms.class,
                description = "Key type: ed25519 or p256 (default: ${DEFAULT-VALUE}).")
        KeyAlgorithm algorithm;

        @Option(names = "--days", defaultValue = "3650", paramLabel = "N",
                description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--name", defaultValue = "Grapevine cluster CA", paramLabel = "CN",
                description = "The CA's common name (default: ${DEFAULT-VALUE}).")
        String name;

        @Override
        int days() {
            return days;
        }

        @Override
        public Integer call() {
            checkOutputs();
            ClusterCa ca;
            try {
                ca = ClusterCa.create(name, algorithm, Duration.ofDays(days));
            } catch (IllegalArgumentException e) {
                throw ToolException.usage(e.getMessage());
            }
            try {
                ca.write(outCert, outKey);
            } catch (PkiException e) {
                throw ToolException.failed(e.getMessage());
            }
            report("cluster CA", ca.certificate(), algorithm, "keep it offline; it signs node certificates");
            return ExitCodes.OK;
        }
    }

    /** Issues a node certificate; {@code identity create} runs the same with Ed25519. */
    abstract static class Issue extends Create {
        @Option(names = "--node", required = true, paramLabel = "NAME",
                description = "The node's name (subject CN and its only DNS subject alternative name).")
        String node;

        @Option(names = "--ca-cert", required = true, paramLabel = "FILE", description = "The CA certificate (PEM).")
        Path caCert;

        @Option(names = "--ca-key", required = true, paramLabel = "FILE", description = "The CA private key (PEM).")
        Path caKey;

        @Option(names = "--days", defaultValue = "365", paramLabel = "N",
                description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        int days() {
            return days;
        }

        int issue(KeyAlgorithm algorithm, String what) {
            checkOutputs();
            ClusterCa ca;
            try {
                ca = ClusterCa.load(caCert, caKey);
            } catch (PkiException e) {
                throw ToolException.usage(e.getMessage());
            }
            IssuedCertificate issued;
            try {
                issued = ca.issue(node, algorithm, Duration.ofDays(days));
            } catch (IllegalArgumentException e) {
                throw ToolException.usage("--node: " + e.getMessage());
            }
            if (issued.certificate().getNotAfter().after(ca.certificate().getNotAfter())) {
                spec.commandLine().getErr().println("warning: the certificate outlives the CA certificate (valid until "
                        + ca.certificate().getNotAfter().toInstant() + "); it will not be trusted after that");
            }
            write(issued);
            report(what, issued.certificate(), algorithm, "copy it to " + node + " only");
            return ExitCodes.OK;
        }
    }

    @Command(name = "create", description = "Issue a node certificate and key, signed by the cluster CA (serverAuth "
            + "and clientAuth). With ed25519 the same certificate is the node's signing identity.")
    static final class CertCreate extends Issue {
        @Option(names = "--algorithm", defaultValue = "ed25519", paramLabel = "ALG",
                converter = AlgorithmConverter.class, completionCandidates = Algorithms.class,
                description = "Key type: ed25519 or p256 (default: ${DEFAULT-VALUE}; signing mode needs ed25519).")
        KeyAlgorithm algorithm;

        @Override
        public Integer call() {
            return issue(algorithm, "node certificate");
        }
    }

    static String name(KeyAlgorithm alg) {
        return alg == KeyAlgorithm.ED25519 ? "Ed25519" : "ECDSA P-256";
    }

    static String fingerprint(X509Certificate c) {
        try {
            return HexFormat.ofDelimiter(":").formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            return "(unavailable)";
        }
    }
}
