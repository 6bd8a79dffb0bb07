package dev.grapevine.keyringtool;

import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code keyring-tool keygen}: prints a new random key, as {@code serf keygen} does. */
@Command(name = "keygen", description = "Print a new random gossip key (standard base64), as 'serf keygen'.")
final class KeygenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--bits", defaultValue = "256", paramLabel = "BITS",
            description = "AES key size: 128, 192 or 256 (default: ${DEFAULT-VALUE}).")
    int bits;

    @Override
    public Integer call() {
        if (bits != 128 && bits != 192 && bits != 256) {
            throw ToolException.usage("--bits must be 128, 192 or 256, not " + bits);
        }
        byte[] key = Keys.generate(bits / 8);
        try {
            spec.commandLine().getOut().println(Keys.encode(key));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        return ExitCodes.OK;
    }
}
