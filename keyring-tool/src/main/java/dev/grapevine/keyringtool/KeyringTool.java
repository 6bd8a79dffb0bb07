package dev.grapevine.keyringtool;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code keyring-tool}: gossip keys and certificates for Grapevine and Serf clusters.
 *
 * <pre>
 * keyring-tool keygen [--bits 128|192|256]
 * keyring-tool keyring init|list|install|use|remove --file F [--key K]      (offline, on a keyring file)
 * keyring-tool keys list|install|use|remove --cluster HOST:PORT [--keyring-file F | --encrypt K] [--key K]
 * keyring-tool keys rotate --cluster HOST:PORT --keyring-file F --new-key K [--dry-run]
 *     (live commands, for a cluster with TLS and signing: [--tls-ca F --tls-cert F --tls-key F] [--signing on])
 * keyring-tool tls ca create | tls cert create | identity create
 * keyring-tool generate-completion
 * </pre>
 *
 * <p>Output: results on standard output (keys only from {@code keygen} and the {@code list}
 * commands), progress, notes and errors on standard error. Exit codes: {@link ExitCodes}.
 *
 * <p><b>Threading.</b> A command runs on the calling thread and blocks until done (the live
 * commands for seconds: they join the cluster, wait for answers, and leave).
 */
@Command(name = "keyring-tool", mixinStandardHelpOptions = true, versionProvider = KeyringTool.Version.class,
        scope = CommandLine.ScopeType.INHERIT,
        subcommands = {KeygenCommand.class, KeyringCommand.class, KeysCommand.class, TlsCommand.class,
            IdentityCommand.class, AutoComplete.GenerateCompletion.class, CommandLine.HelpCommand.class},
        description = {"Gossip keys and certificates for Grapevine and Serf clusters: generate keys, edit keyring "
            + "files, install/use/remove/list/rotate keys on a live cluster (Serf's key queries), create a "
            + "cluster CA and node certificates.",
            "Keys are standard base64 (as serf keygen prints them); wherever a KEY is asked, '-' reads it from "
            + "standard input, which keeps it out of the process list."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
            "0:success (a step already done counts, with a note)",
            "1:operation failed or incomplete (a member failed or did not answer, rotation stopped, refused "
                + "change, write failed)",
            "2:usage error or bad input (unknown option, malformed key, missing or invalid file)",
            "3:cluster unreachable (no seed answered the join, or a wrong gossip key)"})
public final class KeyringTool implements Runnable {

    /** The version printed by {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = KeyringTool.class.getPackage().getImplementationVersion();
            return new String[] {"keyring-tool " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }

    private final InputStream in;

    @Spec
    CommandSpec spec;

    KeyringTool(InputStream in) {
        this.in = in;
    }

    /** Where a {@code -} key option reads from. */
    InputStream stdin() {
        return in;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command (keygen, keyring, keys, tls, identity)");
    }

    /**
     * Runs one command line. Any thread; blocks until the command is done.
     *
     * @param args the arguments
     * @param in   standard input (for {@code -} keys)
     * @param out  results
     * @param err  progress, notes and errors
     * @return the exit code ({@link ExitCodes})
     */
    public static int execute(String[] args, InputStream in, PrintStream out, PrintStream err) {
        PrintWriter o = new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter e = new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        try {
            return commandLine(in, o, e).execute(args);
        } finally {
            o.flush();
            e.flush();
        }
    }

    /** The configured picocli command line (exit codes, error handlers, streams). */
    static CommandLine commandLine(InputStream in, PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(new KeyringTool(in));
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExpandAtFiles(false);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(false);
        cmd.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            PrintWriter w = c.getErr();
            w.println("keyring-tool: " + Keys.redact(ex.getMessage()));
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, w);
            w.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            w.flush();
            return ExitCodes.USAGE;
        });
        cmd.setExecutionExceptionHandler((ex, c, parsed) -> {
            PrintWriter w = c.getErr();
            if (ex instanceof ToolException t) {
                w.println("keyring-tool: " + Keys.redact(t.getMessage()));
                w.flush();
                return t.exitCode();
            }
            String m = ex.getMessage();
            w.println("keyring-tool: unexpected error: " + ex.getClass().getName()
                    + (m == null ? "" : ": " + Keys.redact(m)));
            w.flush();
            return ExitCodes.FAILED;
        });
        return cmd;
    }

    /** The root command of {@code spec}'s command line. */
    static KeyringTool root(CommandSpec spec) {
        return (KeyringTool) spec.root().userObject();
    }
}
