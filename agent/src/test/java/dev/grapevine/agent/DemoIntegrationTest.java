package dev.grapevine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The demo, end to end on loopback: it must exit 0, secure by default and with --plain. */
@Tag("integration")
class DemoIntegrationTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        int exit = new CommandLine(new Main()).setOut(new PrintWriter(out, true)).execute(args);
        System.out.print(out);
        return new String[] {String.valueOf(exit), out.toString()};
    }

    @Test
    void secureDemoRotatesTheKeyWithKeyringToolAndRemovesItsFiles() {
        String[] r = run("demo"); // as bin/grapevine demo runs it: 5 nodes, lan preset
        String out = r[1];
        assertEquals("0", r[0], out);
        assertTrue(out.contains("mutual TLS 1.3 required") && out.contains("Ed25519 signing"), out);
        // The tool's member, named by its certificate, joins over TLS, signed, and rotates all 5 nodes.
        assertTrue(out.contains("keyring-tool| ==> Joining") && out.contains("as keyring-tool (")
                && out.contains("TLS required, signing on"), out);
        assertTrue(out.contains("keyring-tool| Rotation complete"), out);
        assertTrue(out.contains("key rotated") && out.contains("every node's keyring and keyring file hold only the "
                + "new key"), out);
        // After the rotation the cluster still works under the new key: crash detection, graceful leave.
        assertTrue(out.indexOf("key rotated") < out.indexOf("crashes (closed abruptly"), out);
        assertTrue(out.contains("OK: joins, convergence, user event, key rotation, crash detection and graceful leave"),
                out);
        Matcher dir = Pattern.compile("certificates and keyring files in (\\S+)").matcher(out);
        assertTrue(dir.find(), out);
        assertFalse(Files.exists(Path.of(dir.group(1))), "the temporary directory is removed: " + dir.group(1));
        assertTrue(out.contains("removed " + dir.group(1)), out);
        assertFalse(out.contains("PRIVATE KEY"), out);
    }

    @Test
    void plainDemoSucceedsWithoutSecurity() {
        String[] r = run("demo", "--nodes", "3", "--preset", "local", "--plain");
        String out = r[1];
        assertEquals("0", r[0], out);
        assertTrue(out.contains("security: off (--plain)"), out);
        assertFalse(out.contains("keyring-tool"), out);
        assertTrue(out.contains("OK: joins, convergence, user event, crash detection and graceful leave"), out);
    }
}
