package dev.grapevine.benchmarks.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcStatsTest {

    @Test
    void statTimesAreFields14And15CountedAfterTheCommandName() {
        String stat = "23810 (serf) S 23806 23806 10378 0 -1 4194304 101 0 0 0 734 211 0 0 20 0 12 0 703097 "
                + "3133440 383 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
        assertEquals(734 + 211, ProcStats.cpuTicks(stat));
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesDoesNotShiftTheFields() {
        String stat = "42 (a (weird) name) R 1 42 42 0 -1 4194304 5 0 0 0 7 3 0 0 20 0 1 0 100 200 300";
        assertEquals(10, ProcStats.cpuTicks(stat));
    }

    @Test
    void badStatLinesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ProcStats.cpuTicks("no parenthesis here"));
        assertThrows(IllegalArgumentException.class, () -> ProcStats.cpuTicks("1 (x) S 1 2"));
    }

    @Test
    void vmRssIsReadInKib() {
        String status = "Name:\tserf\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t  743220 kB\n"
                + "VmRSS:\t   15312 kB\nRssAnon:\t    6000 kB\n";
        assertEquals(15312, ProcStats.vmRssKb(status));
        assertThrows(IllegalArgumentException.class, () -> ProcStats.vmRssKb("Name:\tzombie\n"));
    }

    @Test
    void loopbackBytesComeFromTheLoLine() {
        String dev = """
                Inter-|   Receive                                                |  Transmit
                 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                  eth0: 999 9 0 0 0 0 0 0 888 8 0 0 0 0 0 0
                    lo: 2551982   19304    0    0    0     0          0         0  2551990   19305    0    0    0     0       0          0
                """;
        assertEquals(new ProcStats.LoBytes(2551982, 2551990), ProcStats.loBytes(dev));
        assertThrows(IllegalArgumentException.class, () -> ProcStats.loBytes("Inter-|\n eth0: 1 2 3\n"));
    }

    @Test
    void thisProcessCanBeReadOnLinux() {
        long pid = ProcessHandle.current().pid();
        assertTrue(ProcStats.cpuTicks(pid) >= 0);
        assertTrue(ProcStats.vmRssKb(pid) > 0);
        assertEquals(-1, ProcStats.cpuTicks(Long.MAX_VALUE));
    }
}
