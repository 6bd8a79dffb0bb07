package dev.grapevine.benchmarks.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Reads what Linux's {@code /proc} says about a process (CPU time, resident memory) and about the
 * loopback interface (bytes), the same way for a Serf agent and for this JVM. The parsers are pure
 * functions of the file's text; the readers return -1 when the file cannot be read (the process
 * has exited).
 */
final class ProcStats {
    private ProcStats() {
    }

    /** Loopback byte counters from {@code /proc/net/dev}. */
    record LoBytes(long rx, long tx) {
    }

    /**
     * utime + stime, in clock ticks, from the text of {@code /proc/PID/stat}. The command name
     * (field 2) is in parentheses and may hold spaces and parentheses, so fields are counted from
     * the last {@code ')'}: after it come state (field 3) ... utime (14) and stime (15).
     *
     * @throws IllegalArgumentException when the text is not a stat line
     */
    static long cpuTicks(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: " + abbreviate(stat));
        }
        String[] f = stat.substring(close + 1).trim().split("\\s+");
        // f[0] is field 3 (state), so field k is f[k - 3].
        if (f.length < 13) {
            throw new IllegalArgumentException("too few fields in /proc/PID/stat: " + abbreviate(stat));
        }
        try {
            return Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad utime/stime in /proc/PID/stat: " + abbreviate(stat), e);
        }
    }

    /**
     * VmRSS in KiB from the text of {@code /proc/PID/status} ({@code VmRSS:   12345 kB}).
     *
     * @throws IllegalArgumentException when there is no VmRSS line
     */
    static long vmRssKb(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                String[] f = line.substring("VmRSS:".length()).trim().split("\\s+");
                if (f.length == 2 && f[1].equals("kB")) {
                    return Long.parseLong(f[0]);
                }
                throw new IllegalArgumentException("unexpected VmRSS line: " + line);
            }
        }
        throw new IllegalArgumentException("no VmRSS line in /proc/PID/status");
    }

    /**
     * The {@code lo} interface's received and transmitted bytes from the text of
     * {@code /proc/net/dev} ({@code lo: rx_bytes rx_packets ... (8 receive fields) tx_bytes ...}).
     *
     * @throws IllegalArgumentException when there is no lo line
     */
    static LoBytes loBytes(String netDev) {
        for (String line : netDev.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("lo")) {
                String[] f = line.substring(colon + 1).trim().split("\\s+");
                if (f.length < 16) {
                    throw new IllegalArgumentException("too few fields for lo in /proc/net/dev: " + line);
                }
                return new LoBytes(Long.parseLong(f[0]), Long.parseLong(f[8]));
            }
        }
        throw new IllegalArgumentException("no lo line in /proc/net/dev");
    }

    /** CPU ticks of a process, or -1 when it cannot be read. */
    static long cpuTicks(long pid) {
        String s = read(Path.of("/proc", Long.toString(pid), "stat"));
        return s == null ? -1 : cpuTicks(s);
    }

    /** VmRSS of a process in KiB, or -1 when it cannot be read. */
    static long vmRssKb(long pid) {
        String s = read(Path.of("/proc", Long.toString(pid), "status"));
        return s == null ? -1 : vmRssKb(s);
    }

    /** The loopback counters now (they count every process's loopback traffic). */
    static LoBytes loBytes() {
        String s = read(Path.of("/proc/net/dev"));
        if (s == null) {
            throw new IllegalStateException("cannot read /proc/net/dev (this benchmark needs Linux)");
        }
        return loBytes(s);
    }

    /** {@code getconf CLK_TCK} (ticks per second of the stat times); 100 when it cannot be asked. */
    static long clockTicksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return 100;
            }
            return p.exitValue() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
