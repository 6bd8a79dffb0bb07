package dev.grapevine.keyringtool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line itself: help everywhere, version, completion, exit codes, error messages. */
class CliTest {

    private static List<String[]> allCommandPaths() {
        CommandLine root = KeyringTool.commandLine(new ByteArrayInputStream(new byte[0]),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        List<String[]> out = new ArrayList<>();
        walk(root, new ArrayList<>(), out);
        return out;
    }

    private static void walk(CommandLine c, List<String> path, List<String[]> out) {
        out.add(path.toArray(new String[0]));
        for (var e : c.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            walk(e.getValue(), p, out);
        }
    }

    @Test
    void everyCommandHasHelpWithTheExitCodes() {
        List<String[]> paths = allCommandPaths();
        assertTrue(paths.size() >= 18, "keygen, keyring x5, keys x5, tls ca/cert create, identity create, ...: "
                + paths.size());
        for (String[] path : paths) {
            String[] args = java.util.Arrays.copyOf(path, path.length + 1);
            args[path.length] = "--help";
            Tool.Result r = Tool.run(args);
            assertEquals(0, r.code(), String.join(" ", args) + "\n" + r);
            assertTrue(r.out().startsWith("Usage: keyring-tool"), r.toString());
            if (!java.util.Arrays.asList(path).contains("generate-completion")) {
                assertTrue(r.out().contains("Exit codes:") && r.out().contains("3   cluster unreachable"),
                        String.join(" ", args) + "\n" + r);
            }
        }
    }

    @Test
    void versionEverywhere() {
        assertEquals("keyring-tool 0.1.0-SNAPSHOT\n", Tool.run("--version").out());
        assertEquals(0, Tool.run("keys", "rotate", "--version").code());
    }

    @Test
    void missingCommandsAreUsageErrors() {
        for (String[] args : new String[][] {{}, {"keyring"}, {"keys"}, {"tls"}, {"tls", "ca"}, {"identity"}}) {
            Tool.Result r = Tool.run(args);
            assertEquals(ExitCodes.USAGE, r.code(), r.toString());
            assertTrue(r.err().contains("Missing a command"), r.toString());
            assertTrue(r.err().contains("--help"), r.toString());
        }
    }

    @Test
    void unknownOptionsAndStrayKeysAreUsageErrorsThatNeverEchoAKey() {
        String key = Keys.encode(Keys.generate(32));
        Tool.Result stray = Tool.run("keyring", "list", "--file", "x.json", key);
        assertEquals(ExitCodes.USAGE, stray.code(), stray.toString());
        stray.noKeyAnywhere(key);
        assertTrue(stray.err().contains("<redacted>"), stray.toString());

        Tool.Result misspelt = Tool.run("keyring", "install", "--file", "x.json", "--kye=" + key);
        assertEquals(ExitCodes.USAGE, misspelt.code(), misspelt.toString());
        misspelt.noKeyAnywhere(key);

        Tool.Result asNumber = Tool.run("keygen", "--bits", key);
        assertEquals(ExitCodes.USAGE, asNumber.code());
        asNumber.noKeyAnywhere(key);

        Tool.Result bothCredentials = Tool.run("keys", "list", "--cluster", "127.0.0.1:1", "--encrypt", key,
                "--keyring-file", "x.json");
        assertEquals(ExitCodes.USAGE, bothCredentials.code(), bothCredentials.toString());
        bothCredentials.noKeyAnywhere(key);

        Tool.Result badCluster = Tool.run("keys", "list", "--cluster", "127.0.0.1:99999");
        assertEquals(ExitCodes.USAGE, badCluster.code(), badCluster.toString());
        assertTrue(badCluster.err().contains("--cluster"), badCluster.toString());

        Tool.Result badDuration = Tool.run("keys", "list", "--cluster", "127.0.0.1:1", "--timeout", "soon");
        assertEquals(ExitCodes.USAGE, badDuration.code(), badDuration.toString());
    }

    @Test
    void completionScriptCoversTheCommands() {
        Tool.Result r = Tool.run("generate-completion");
        assertEquals(0, r.code(), r.toString());
        for (String word : new String[] {"keyring-tool", "keygen", "rotate", "--keyring-file", "--new-key", "ed25519"}) {
            assertTrue(r.out().contains(word), word);
        }
        assertTrue(Tool.run("--help").out().contains("generate-completion"), "listed in the help");
    }

    @Test
    void rotateValidatesItsInputBeforeTouchingTheNetwork() {
        String key = Keys.encode(Keys.generate(32));
        Tool.Result missingFile = Tool.run("keys", "rotate", "--cluster", "127.0.0.1:1", "--keyring-file",
                "/nonexistent/keyring.json", "--new-key", key);
        assertEquals(ExitCodes.USAGE, missingFile.code(), missingFile.toString());
        missingFile.noKeyAnywhere(key);
        assertFalse(missingFile.err().contains("Joining"), "no join attempted: " + missingFile);

        Tool.Result attempts = Tool.run("keys", "rotate", "--cluster", "127.0.0.1:1", "--keyring-file", "x",
                "--new-key", key, "--attempts", "0");
        assertEquals(ExitCodes.USAGE, attempts.code(), attempts.toString());
    }

    @Test
    void theLauncherSaysHowToBuildWhenTheJarIsMissing(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path bin = java.nio.file.Files.createDirectories(tmp.resolve("bin"));
        java.nio.file.Path script = java.nio.file.Files.copy(java.nio.file.Path.of("..", "bin", "keyring-tool"),
                bin.resolve("keyring-tool"));
        Process p = new ProcessBuilder("sh", script.toString(), "--help").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(ExitCodes.USAGE, p.exitValue(), out);
        assertTrue(out.contains("keyring-tool.jar not found") && out.contains("mvn -q -DskipTests package"), out);
    }
}
