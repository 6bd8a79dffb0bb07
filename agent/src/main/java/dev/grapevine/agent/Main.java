package dev.grapevine.agent;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code grapevine}: runs an agent, or the demo.
 *
 * <pre>
 * grapevine agent --name NAME --bind HOST:PORT [--advertise HOST:PORT] [--join HOST:PORT,...]
 *                 [--tag k=v ...] [--preset lan|wan|local] [--http [HOST:]PORT]
 *                 [--encrypt BASE64 | --keyring-file FILE]
 *                 [--gossip-verify-incoming true|false] [--gossip-verify-outgoing true|false]
 *                 [--tls off|required] [--tls-ca F --tls-cert F --tls-key F]
 *                 [--signing off|on] [--identity-cert F --identity-key F]
 * grapevine demo [--nodes 5] [--preset lan|wan|local] [--plain]
 * </pre>
 */
@Command(name = "grapevine", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        subcommands = {AgentCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
        description = "Secure gossip-based cluster membership, wire-compatible with HashiCorp memberlist and Serf.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:failure (the demo saw something unexpected; the agent could not join or load its keyring file)",
            "2:usage error"})
public final class Main implements Runnable {

    /** The version printed by {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"grapevine " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * Entry point.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("demo") && System.getProperty(LOG_LEVEL) == null) {
            System.setProperty(LOG_LEVEL, "warn"); // the demo's timeline is the output; keep the logs quiet
        }
        System.exit(new CommandLine(new Main()).execute(args));
    }

    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
}
