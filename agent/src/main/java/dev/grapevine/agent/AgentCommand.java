package dev.grapevine.agent;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.KeyringFile;
import dev.grapevine.crypto.KeyringFileException;
import dev.grapevine.keyringtool.NodeSecurity;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.transport.GrapevineNode;
import dev.grapevine.transport.JoinException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code grapevine agent}: one node in Serf mode (tags, events, queries, intents), logging
 * membership events one line each on stdout, with an optional HTTP API; on SIGTERM or Ctrl-C it
 * leaves gracefully, then exits.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run one Grapevine node (Serf-compatible) until SIGTERM/Ctrl-C, then leave gracefully.")
final class AgentCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(AgentCommand.class);

    @Option(names = "--name", required = true, description = "Unique node name.")
    String name;

    @Option(names = "--bind", defaultValue = "0.0.0.0:7946",
            description = "Gossip address, UDP and TCP: HOST:PORT or [V6]:PORT (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--advertise", description = "Address to tell other nodes (default: chosen from --bind).")
    String advertise;

    @Option(names = "--join", split = ",", description = "Seeds to join at start, HOST:PORT, comma separated.")
    List<String> join = new ArrayList<>();

    @Option(names = "--join-attempts", defaultValue = "1", paramLabel = "N",
            description = "How many times to try --join before giving up (exit 1), as Serf's -retry-join/-retry-max: "
                    + "useful when seeds start at the same time (default: ${DEFAULT-VALUE}).")
    int joinAttempts;

    @Option(names = "--join-retry-seconds", defaultValue = "5", paramLabel = "S",
            description = "Seconds between join attempts (default: ${DEFAULT-VALUE}).")
    int joinRetrySeconds;

    @Option(names = "--tag", description = "A tag K=V (repeatable); Serf agents show them.")
    List<String> tags = new ArrayList<>();

    @Option(names = "--preset", defaultValue = "lan",
            description = "Protocol timings: lan, wan or local (memberlist's defaults; default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--http", description = "Serve the HTTP API on [HOST:]PORT (host defaults to 127.0.0.1).")
    String http;

    @Option(names = "--encrypt", paramLabel = "BASE64",
            description = "Encrypt gossip with this key: 16, 24 or 32 bytes in base64 (e.g. from 'serf keygen'), "
                    + "as Serf's -encrypt. Other local users can see it in the process list: prefer --keyring-file.")
    String encrypt;

    @Option(names = "--keyring-file", paramLabel = "FILE",
            description = "Encrypt gossip with the keys in FILE (Serf's format: a JSON array of base64 keys, primary "
                    + "first), as Serf's -keyring-file; key changes (serf keys -install/-use/-remove) are written "
                    + "back to it. The file must exist. Not with --encrypt.")
    Path keyringFile;

    @Option(names = "--gossip-verify-incoming", arity = "1", defaultValue = "true", paramLabel = "true|false",
            description = "memberlist's GossipVerifyIncoming: false also accepts plaintext gossip, for turning "
                    + "encryption on in a running cluster in steps (see --gossip-verify-outgoing). Needs --encrypt or "
                    + "--keyring-file (default: ${DEFAULT-VALUE}).")
    boolean gossipVerifyIncoming;

    @Option(names = "--gossip-verify-outgoing", arity = "1", defaultValue = "true", paramLabel = "true|false",
            description = "memberlist's GossipVerifyOutgoing: false sends plaintext although a key is set. To turn "
                    + "encryption on in a running cluster, restart every node with a key and both false, then with "
                    + "outgoing true, then with incoming true. Needs --encrypt or --keyring-file "
                    + "(default: ${DEFAULT-VALUE}).")
    boolean gossipVerifyOutgoing;

    @Option(names = "--tls", defaultValue = "off", paramLabel = "off|required",
            description = "Mutual TLS on every stream (push/pull, stream ping). required: no plaintext at all; a "
                    + "node joins only with a certificate from --tls-ca naming it. Needs --tls-ca, --tls-cert, "
                    + "--tls-key. Every member must use it; Serf agents cannot join (default: ${DEFAULT-VALUE}).")
    String tls;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "The cluster CA certificate(s), PEM (for --tls required and --signing on).")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "This node's certificate, PEM X.509 from the cluster CA; its SAN DNS entry must be --name.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "The private key of --tls-cert, PEM PKCS#8 (as openssl writes it): Ed25519 or ECDSA P-256.")
    Path tlsKey;

    @Option(names = "--signing", defaultValue = "off", paramLabel = "off|on",
            description = "Sign every membership claim and user event with the node's Ed25519 identity, and accept "
                    + "only claims signed by the node they are about. Uses --tls-cert/--tls-key (then Ed25519) "
                    + "unless --identity-cert/--identity-key are given; needs --tls-ca. Every member must use it "
                    + "(default: ${DEFAULT-VALUE}).")
    String signing;

    @Option(names = "--identity-cert", paramLabel = "FILE",
            description = "Signing: a separate Ed25519 certificate from the cluster CA naming this node, PEM "
                    + "(with --identity-key).")
    Path identityCert;

    @Option(names = "--identity-key", paramLabel = "FILE",
            description = "Signing: the Ed25519 private key of --identity-cert, PEM PKCS#8.")
    Path identityKey;

    @Spec
    CommandSpec spec;

    /** The TLS and signing flags, as given. */
    NodeSecurity.Flags securityFlags() {
        return new NodeSecurity.Flags(tls, tlsCa, tlsCert, tlsKey, signing, identityCert, identityKey);
    }

    /** Joins the seeds, up to {@code --join-attempts} times; false when every attempt failed. */
    private boolean joinWithRetries(GrapevineNode node) throws InterruptedException {
        for (int attempt = 1; attempt <= joinAttempts; attempt++) {
            try {
                int n = node.join(join);
                LOG.info("joined through {} of {} seed(s)", n, join.size());
                return true;
            } catch (JoinException e) {
                if (attempt == joinAttempts) {
                    LOG.error("{}", e.getMessage());
                    return false;
                }
                LOG.warn("{} (attempt {} of {}; retrying in {} s)", e.getMessage(), attempt, joinAttempts,
                        joinRetrySeconds);
                Thread.sleep(joinRetrySeconds * 1000L);
            }
        }
        return false;
    }

    @Override
    public Integer call() throws Exception {
        NodeSecurity security;
        try {
            security = NodeSecurity.load(name, securityFlags());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        if (joinAttempts < 1 || joinAttempts > 1000 || joinRetrySeconds < 0 || joinRetrySeconds > 3600) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--join-attempts must be 1..1000 and --join-retry-seconds 0..3600");
        }
        MembershipConfig config = preset(preset);
        Keyring keyring;
        try {
            keyring = keyring(encrypt, keyringFile);
        } catch (KeyringFileException e) {
            spec.commandLine().getErr().println("grapevine agent: " + e.getMessage());
            return 1;
        }
        if (keyring == null && (!gossipVerifyIncoming || !gossipVerifyOutgoing)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--gossip-verify-incoming and "
                    + "--gossip-verify-outgoing need --encrypt or --keyring-file");
        }
        EventLog log = new EventLog(System.out);
        NodeAgentApi[] api = new NodeAgentApi[1];
        GrapevineNode.Builder builder = GrapevineNode.builder()
                .name(name).bind(bind).config(config)
                .serf(SerfConfig.defaults()).tags(parseTags(tags))
                .serfListener(e -> {
                    log.log(e);
                    if (api[0] != null) {
                        api[0].onEvent(e);
                    }
                });
        if (advertise != null) {
            builder.advertise(advertise);
        }
        applyGossipVerify(builder, keyring);
        security.apply(builder);
        GrapevineNode node = builder.start();
        api[0] = new NodeAgentApi(node);
        HttpApi httpApi = null;
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            LOG.info("node {} running on {} (advertising {}), preset {}, {}", name, node.boundAddress(),
                    node.advertiseAddress(), preset, (keyring == null ? "gossip not encrypted"
                            : "gossip encrypted (" + keyring.size() + (keyring.size() == 1 ? " key" : " keys")
                            + (keyringFile == null ? "" : ", keyring file " + keyringFile)
                            + (gossipVerifyOutgoing ? "" : ", sending plaintext")
                            + (gossipVerifyIncoming ? "" : ", accepting plaintext") + ")")
                            + ", " + security.describe());
            if (http != null) {
                httpApi = new HttpApi(httpAddress(http), api[0]);
                LOG.info("HTTP API on http://{}", hostPort(httpApi.address()));
            }
            if (!join.isEmpty() && !joinWithRetries(node)) {
                return 1;
            }
            HttpApi served = httpApi;
            Thread hook = new Thread(() -> {
                LOG.info("signal received: leaving gracefully");
                try {
                    boolean ok = node.leave(NodeAgentApi.LEAVE_TIMEOUT);
                    LOG.info("left the cluster ({})", ok ? "propagated" : "timed out");
                } catch (RuntimeException e) {
                    LOG.warn("leave failed: {}", e.toString());
                }
                if (served != null) {
                    served.close();
                }
                node.close();
                stopped.countDown();
            }, "grapevine-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            stopped.await();
            return 0;
        } finally {
            if (stopped.getCount() > 0) {
                if (httpApi != null) {
                    httpApi.close();
                }
                node.close();
            }
        }
    }

    /**
     * Sets the keyring and {@code --gossip-verify-incoming/-outgoing} on the builder; without a
     * keyring, nothing (the flags were checked to be at their defaults).
     */
    void applyGossipVerify(GrapevineNode.Builder builder, Keyring keyring) {
        if (keyring != null) {
            builder.keyring(keyring).gossipVerifyIncoming(gossipVerifyIncoming)
                    .gossipVerifyOutgoing(gossipVerifyOutgoing);
        }
    }

    /**
     * The keyring of {@code --encrypt} or {@code --keyring-file}, with Serf 0.9.4's rules: not
     * both; the file must exist and hold at least one valid key; the key must be base64 of 16, 24
     * or 32 bytes. Messages never show key material.
     *
     * @return the keyring, or null when neither flag is given
     * @throws CommandLine.ParameterException for a bad {@code --encrypt} value or both flags
     * @throws KeyringFileException           when the file is missing, unreadable or invalid
     */
    Keyring keyring(String encryptKey, Path file) throws KeyringFileException {
        CommandLine cmd = spec == null ? new CommandLine(this) : spec.commandLine();
        if (encryptKey != null && file != null) {
            throw new CommandLine.ParameterException(cmd, "--encrypt cannot be combined with --keyring-file "
                    + "(as in Serf: put the key in the keyring file instead)");
        }
        if (encryptKey != null) {
            byte[] key;
            try {
                key = Base64.getDecoder().decode(encryptKey.trim());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cmd, "Invalid value for option '--encrypt': not valid base64");
            }
            try {
                if (key.length != 16 && key.length != 24 && key.length != 32) {
                    throw new CommandLine.ParameterException(cmd, "Invalid value for option '--encrypt': the key is "
                            + key.length + " bytes; it must be 16, 24 or 32 bytes (AES-128, -192, -256)");
                }
                return Keyring.of(key);
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        }
        if (file != null) {
            Keyring ring = Keyring.load(KeyringFile.of(file));
            warnIfShared(file);
            return ring;
        }
        return null;
    }

    private static void warnIfShared(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warn("keyring file {} is readable by other users; it holds secret keys: chmod 600 it", file);
            }
        } catch (UnsupportedOperationException | java.io.IOException e) {
            // not a POSIX file system: nothing to check
        }
    }

    static MembershipConfig preset(String preset) {
        return switch (preset) {
            case "lan" -> MembershipConfig.lan();
            case "wan" -> MembershipConfig.wan();
            case "local" -> MembershipConfig.local();
            default -> throw new IllegalArgumentException("--preset must be lan, wan or local, got " + preset);
        };
    }

    static Map<String, String> parseTags(List<String> tags) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String t : tags) {
            int eq = t.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--tag must be K=V, got " + t);
            }
            out.put(t.substring(0, eq), t.substring(eq + 1));
        }
        return out;
    }

    static InetSocketAddress httpAddress(String spec) throws IOException {
        String host = "127.0.0.1";
        String port = spec;
        int colon = spec.lastIndexOf(':');
        if (colon >= 0) {
            host = spec.substring(0, colon).replace("[", "").replace("]", "");
            port = spec.substring(colon + 1);
        }
        try {
            return new InetSocketAddress(host, Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--http must be [HOST:]PORT, got " + spec);
        }
    }

    static String hostPort(InetSocketAddress a) {
        return dev.grapevine.membership.NodeAddress.of(a).toString();
    }
}
