package dev.grapevine.keyringtool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grapevine.crypto.KeyringFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offline commands: keygen and keyring init/list/install/use/remove, through the command line. */
class KeyringCommandTest {
    @TempDir
    Path dir;

    private final String k1 = Keys.encode(Keys.generate(32));
    private final String k2 = Keys.encode(Keys.generate(16));
    private final String k3 = Keys.encode(Keys.generate(24));

    private Path file() {
        return dir.resolve("keyring.json");
    }

    private List<String> keysOf(Path f) throws IOException {
        List<String> out = new ArrayList<>();
        for (byte[] k : KeyringFile.of(f).read()) {
            out.add(Keys.encode(k));
        }
        return out;
    }

    private Tool.Result ok(String... args) {
        Tool.Result r = Tool.run(args);
        assertEquals(0, r.code(), r.toString());
        return r;
    }

    @Test
    void keygenPrintsAFreshKeyOfEachSize() {
        for (String[] c : new String[][] {{"256", "32"}, {"192", "24"}, {"128", "16"}}) {
            Tool.Result r = ok("keygen", "--bits", c[0]);
            byte[] k = Base64.getDecoder().decode(r.out().strip());
            assertEquals(Integer.parseInt(c[1]), k.length);
        }
        assertEquals(32, Base64.getDecoder().decode(ok("keygen").out().strip()).length);
        assertFalse(ok("keygen").out().equals(ok("keygen").out()));
        Tool.Result bad = Tool.run("keygen", "--bits", "100");
        assertEquals(ExitCodes.USAGE, bad.code());
        assertTrue(bad.err().contains("--bits must be 128, 192 or 256"), bad.toString());
    }

    @Test
    void initCreatesAnOwnerOnlyFileAndIsIdempotentForTheSameKey() throws IOException {
        Tool.Result r = ok("keyring", "init", "--file", file().toString(), "--key", k1).noKeyAnywhere(k1);
        assertTrue(r.out().contains("created"), r.toString());
        assertEquals(List.of(k1), keysOf(file()));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
        assertTrue(Files.readString(file()).startsWith("[\n  \"" + k1 + "\"\n]"), "Serf's format");

        Tool.Result again = ok("keyring", "init", "--file", file().toString(), "--key", k1).noKeyAnywhere(k1);
        assertTrue(again.err().contains("nothing to do"), again.toString());

        Tool.Result other = Tool.run("keyring", "init", "--file", file().toString(), "--key", k2).noKeyAnywhere(k1, k2);
        assertEquals(ExitCodes.FAILED, other.code(), other.toString());
        assertTrue(other.err().contains("already exists"), other.toString());
        assertEquals(List.of(k1), keysOf(file()), "not overwritten");
    }

    @Test
    void initWithoutAKeyGeneratesOneAndDoesNotPrintIt() throws IOException {
        Tool.Result r = ok("keyring", "init", "--file", file().toString());
        List<String> keys = keysOf(file());
        assertEquals(1, keys.size());
        assertEquals(32, Base64.getDecoder().decode(keys.get(0)).length);
        r.noKeyAnywhere(keys.get(0));
        Tool.Result list = ok("keyring", "list", "--file", file().toString());
        assertEquals(keys.get(0) + "  primary\n", list.out());
    }

    @Test
    void initReadsTheKeyFromStandardInput() throws IOException {
        Tool.Result r = Tool.runWithStdin(k2 + "\n", "keyring", "init", "--file", file().toString(), "--key", "-");
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of(k2), keysOf(file()));
    }

    @Test
    void installUseRemoveFollowSerfsRulesAndAreIdempotent() throws IOException {
        String f = file().toString();
        ok("keyring", "init", "--file", f, "--key", k1);
        ok("keyring", "install", "--file", f, "--key", k2).noKeyAnywhere(k1, k2);
        ok("keyring", "install", "--file", f, "--key", k3);
        assertEquals(List.of(k1, k2, k3), keysOf(file()));

        Tool.Result again = ok("keyring", "install", "--file", f, "--key", k2).noKeyAnywhere(k2);
        assertTrue(again.err().contains("already in"), again.toString());
        assertEquals(List.of(k1, k2, k3), keysOf(file()));

        Tool.Result list = ok("keyring", "list", "--file", f);
        assertEquals(k1 + "  primary\n" + k2 + "\n" + k3 + "\n", list.out());

        Tool.Result primary = Tool.run("keyring", "remove", "--file", f, "--key", k1).noKeyAnywhere(k1);
        assertEquals(ExitCodes.FAILED, primary.code(), primary.toString());
        assertTrue(primary.err().contains("primary key"), primary.toString());
        assertEquals(List.of(k1, k2, k3), keysOf(file()));

        ok("keyring", "use", "--file", f, "--key", k3).noKeyAnywhere(k3);
        assertEquals(List.of(k3, k1, k2), keysOf(file()), "memberlist's UseKey: the others keep their order");
        Tool.Result usedAgain = ok("keyring", "use", "--file", f, "--key", k3);
        assertTrue(usedAgain.err().contains("already the primary"), usedAgain.toString());

        String absent = Keys.encode(Keys.generate(32));
        Tool.Result useAbsent = Tool.run("keyring", "use", "--file", f, "--key", absent).noKeyAnywhere(absent);
        assertEquals(ExitCodes.FAILED, useAbsent.code(), useAbsent.toString());
        assertTrue(useAbsent.err().contains("install it first"), useAbsent.toString());

        ok("keyring", "remove", "--file", f, "--key", k1).noKeyAnywhere(k1);
        assertEquals(List.of(k3, k2), keysOf(file()));
        Tool.Result removedAgain = ok("keyring", "remove", "--file", f, "--key", k1);
        assertTrue(removedAgain.err().contains("not in"), removedAgain.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
    }

    @Test
    void badKeysAreUsageErrorsWithoutKeyMaterial() throws IOException {
        String f = file().toString();
        ok("keyring", "init", "--file", f, "--key", k1);
        String twentyBytes = Base64.getEncoder().encodeToString(new byte[20]);
        String unpadded = k2.replace("=", "");
        for (String bad : new String[] {"%%%notbase64%%%", twentyBytes, unpadded, "YWJj"}) {
            Tool.Result r = Tool.run("keyring", "install", "--file", f, "--key", bad);
            assertEquals(ExitCodes.USAGE, r.code(), r.toString());
            assertTrue(r.err().startsWith("keyring-tool: --key: "), r.toString());
            assertFalse(r.err().contains(bad), r.toString());
            r.noKeyInErr(k1);
        }
        assertEquals(List.of(k1), keysOf(file()), "unchanged");
    }

    @Test
    void missingUnreadableAndInvalidFilesAreUsageErrorsNamingTheFile() throws IOException {
        Path missing = dir.resolve("missing.json");
        for (String cmd : new String[] {"list", "install", "use", "remove"}) {
            Tool.Result r = cmd.equals("list") ? Tool.run("keyring", cmd, "--file", missing.toString())
                    : Tool.run("keyring", cmd, "--file", missing.toString(), "--key", k1);
            assertEquals(ExitCodes.USAGE, r.code(), r.toString());
            assertTrue(r.err().contains(missing + ": no such keyring file"), r.toString());
            r.noKeyInErr(k1);
        }
        assertFalse(Files.exists(missing));

        Path directory = Files.createDirectory(dir.resolve("a-directory"));
        Tool.Result unreadable = Tool.run("keyring", "list", "--file", directory.toString());
        assertEquals(ExitCodes.USAGE, unreadable.code(), unreadable.toString());

        Path garbage = dir.resolve("garbage.json");
        Files.writeString(garbage, "{\"keys\": [\"" + k1 + "\"]}");
        Tool.Result malformed = Tool.run("keyring", "install", "--file", garbage.toString(), "--key", k2);
        assertEquals(ExitCodes.USAGE, malformed.code(), malformed.toString());
        assertTrue(malformed.err().contains("garbage.json"), malformed.toString());
        malformed.noKeyInErr(k1, k2);

        Path shortKey = dir.resolve("short.json");
        Files.writeString(shortKey, "[\"" + Base64.getEncoder().encodeToString(new byte[20]) + "\"]");
        Tool.Result wrongLength = Tool.run("keyring", "list", "--file", shortKey.toString());
        assertEquals(ExitCodes.USAGE, wrongLength.code(), wrongLength.toString());
        assertTrue(wrongLength.err().contains("20 bytes"), wrongLength.toString());
        assertEquals("", wrongLength.out());

        Path empty = dir.resolve("empty.json");
        Files.writeString(empty, "[]");
        assertEquals(ExitCodes.USAGE, Tool.run("keyring", "list", "--file", empty.toString()).code());

        Tool.Result noDir = Tool.run("keyring", "init", "--file", dir.resolve("no/such/dir/k.json").toString());
        assertEquals(ExitCodes.USAGE, noDir.code(), noDir.toString());
    }

    @Test
    void aFileSharedWithOthersGetsAWarningAndIsRewrittenOwnerOnly() throws IOException {
        String f = file().toString();
        ok("keyring", "init", "--file", f, "--key", k1);
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r--r--"));
        Tool.Result list = ok("keyring", "list", "--file", f);
        assertTrue(list.err().contains("warning: ") && list.err().contains("chmod 600"), list.toString());
        ok("keyring", "install", "--file", f, "--key", k2);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
    }

    /**
     * The guarantee for concurrent writers: changes through keyring-tool are serialised (a lock
     * per file, in the process and between processes), so none is lost: 8 threads installing 8
     * different keys at once end with a valid file holding the original primary key first and all
     * 8 keys, owner-only, and no temporary file left behind.
     */
    @Test
    void concurrentInstallsThroughTheCommandLoseNoKey() throws Exception {
        String f = file().toString();
        ok("keyring", "init", "--file", f, "--key", k1);
        List<String> added = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            added.add(Keys.encode(Keys.generate(32)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Tool.Result>> runs = new ArrayList<>();
            for (String k : added) {
                runs.add(pool.submit(() -> {
                    go.await();
                    return Tool.run("keyring", "install", "--file", f, "--key", k);
                }));
            }
            go.countDown();
            for (Future<Tool.Result> r : runs) {
                Tool.Result res = r.get(60, TimeUnit.SECONDS);
                assertEquals(0, res.code(), res.toString());
            }
        } finally {
            pool.shutdownNow();
        }
        List<String> keys = keysOf(file());
        assertEquals(9, keys.size(), keys.toString());
        assertEquals(k1, keys.get(0), "the primary key stays first");
        assertEquals(new HashSet<>(added), new HashSet<>(keys.subList(1, 9)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
        try (var s = Files.list(dir)) {
            assertEquals(Set.of("keyring.json", "keyring.json.lock"), s.map(p -> p.getFileName().toString())
                    .collect(java.util.stream.Collectors.toSet()), "no temporary files left");
        }
    }

    /** The same guarantee between processes (the OS file lock), 4 JVMs and 4 threads at once. */
    @Test
    void concurrentInstallsFromSeveralProcessesLoseNoKey() throws Exception {
        String f = file().toString();
        ok("keyring", "init", "--file", f, "--key", k1);
        List<String> added = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            added.add(Keys.encode(Keys.generate(16)));
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> procs = new ArrayList<>();
        for (String k : added.subList(0, 4)) {
            procs.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "dev.grapevine.keyringtool.Main", "keyring", "install", "--file", f, "--key", "-")
                    .redirectErrorStream(true).start());
            procs.get(procs.size() - 1).getOutputStream().write((k + "\n").getBytes(StandardCharsets.US_ASCII));
            procs.get(procs.size() - 1).getOutputStream().close();
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Tool.Result>> runs = new ArrayList<>();
            for (String k : added.subList(4, 8)) {
                runs.add(pool.submit(() -> Tool.run("keyring", "install", "--file", f, "--key", k)));
            }
            for (Future<Tool.Result> r : runs) {
                assertEquals(0, r.get(60, TimeUnit.SECONDS).code());
            }
            for (Process p : procs) {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "process finished");
                assertEquals(0, p.exitValue(), out);
            }
        } finally {
            pool.shutdownNow();
            procs.forEach(Process::destroyForcibly);
        }
        List<String> keys = keysOf(file());
        assertEquals(k1, keys.get(0));
        assertEquals(new HashSet<>(added), new HashSet<>(keys.subList(1, keys.size())));
        assertEquals(9, keys.size());
    }

    @Test
    void theLockFileIsOwnerOnly() throws IOException {
        ok("keyring", "init", "--file", file().toString(), "--key", k1);
        Path lock = dir.resolve("keyring.json.lock");
        assertTrue(Files.exists(lock));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lock)));
        assertArrayEquals(new byte[0], Files.readAllBytes(lock), "the lock file holds nothing");
    }
}
