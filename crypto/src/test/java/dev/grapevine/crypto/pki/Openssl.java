package dev.grapevine.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs the openssl command line in a directory, for interoperability tests; skips when it is missing. */
public final class Openssl {
    private final Path dir;

    public Openssl(Path dir) {
        this.dir = dir;
        Assumptions.assumeTrue(available(), "openssl is not installed");
    }

    private static boolean available() {
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs {@code openssl args...} in the directory and returns its combined output; fails on a non-zero exit. */
    public String run(String... args) {
        Result r = tryRun(args);
        assertEquals(0, r.exit(), () -> "openssl " + String.join(" ", args) + " failed: " + r.output());
        return r.output();
    }

    /** Runs {@code openssl args...} and returns its exit code and output. */
    public Result tryRun(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            byte[] out = p.getInputStream().readAllBytes();
            boolean done = p.waitFor(60, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            assertTrue(done, "openssl timed out");
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Writes a small file in the directory. */
    public Path write(String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path path(String name) {
        return dir.resolve(name);
    }

    /**
     * Makes a CA ({@code ca.pem}, {@code ca.key}) and a node certificate for {@code node}
     * ({@code node.pem}, {@code node.key}) with openssl alone; {@code genpkey} are the arguments
     * that generate a key.
     */
    public void makeCaAndNode(String node, String... genpkey) {
        genKey("ca.key", genpkey);
        run("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=openssl CA", "-days", "2",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
                "-out", "ca.pem");
        genKey("node.key", genpkey);
        run("req", "-new", "-key", "node.key", "-subj", "/CN=" + node, "-out", "node.csr");
        write("node.ext", "subjectAltName=DNS:" + node + "\nbasicConstraints=critical,CA:FALSE\n"
                + "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n");
        run("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
                "-extfile", "node.ext", "-out", "node.pem");
    }

    private void genKey(String out, String... genpkey) {
        List<String> a = new ArrayList<>(List.of(genpkey));
        a.add("-out");
        a.add(out);
        run(a.toArray(new String[0]));
    }

    public record Result(int exit, String output) {
    }
}
