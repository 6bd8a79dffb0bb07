package dev.grapevine.keyringtool;

/**
 * Entry point of {@code bin/keyring-tool} (the shaded {@code keyring-tool.jar}).
 */
public final class Main {
    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    private Main() {
    }

    /**
     * Runs the command line and exits with its code ({@link ExitCodes}).
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        if (System.getProperty(LOG_LEVEL) == null) {
            // The node's logs are for agents; the tool reports on stderr itself. JAVA_OPTS can raise it.
            System.setProperty(LOG_LEVEL, "warn");
        }
        System.exit(KeyringTool.execute(args, System.in, System.out, System.err));
    }
}
