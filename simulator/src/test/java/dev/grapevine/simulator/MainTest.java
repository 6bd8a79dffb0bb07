package dev.grapevine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    private record Result(int status, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void joinPrintsOneJsonObjectAsTheLastLine(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("join.csv");
        Result r = run("--scenario", "join", "--nodes", "12", "--seed", "3", "--csv", csv.toString());
        assertEquals(0, r.status(), r.err());
        Map<String, Object> json = MiniJson.parseObject(r.lastLine());
        assertEquals("join", json.get("scenario"));
        assertEquals(12.0, json.get("nodes"));
        assertEquals(3.0, json.get("seed"));
        assertEquals(Boolean.TRUE, json.get("converged"));
        assertTrue((Double) json.get("convergence_s") > 0);
        assertEquals(0.0, json.get("violations"));
        for (String key : List.of("detection_first_s", "detection_all_s", "false_positives", "suspicions",
                "refutations", "msgs_per_node_s", "bytes_per_node_s", "wall_s", "heap_mb", "lifeguard", "loss",
                "latency_ms", "preset", "duration_s", "max_health_score", "rejections", "events")) {
            assertTrue(json.containsKey(key), key);
        }
        List<String> lines = Files.readAllLines(csv);
        assertEquals("time_s,fraction,phase", lines.get(0));
        assertTrue(lines.size() >= 2);
        assertTrue(r.err().contains("join: node-0 starts at t=0"), r.err());
    }

    @Test
    void crashReportsDetectionTimes() {
        Result r = run("--scenario", "crash", "--nodes", "10", "--seed", "4", "--loss", "0.01");
        assertEquals(0, r.status(), r.err());
        Map<String, Object> json = MiniJson.parseObject(r.lastLine());
        assertEquals(Boolean.TRUE, json.get("converged"));
        double first = (Double) json.get("detection_first_s");
        double all = (Double) json.get("detection_all_s");
        assertTrue(first > 0 && first <= all, first + " / " + all);
    }

    @Test
    void sameArgumentsGiveTheSameTrace() {
        String a = (String) MiniJson.parseObject(run("--scenario", "leave", "--nodes", "8", "--seed", "9")
                .lastLine()).get("trace_hash");
        String b = (String) MiniJson.parseObject(run("--scenario", "leave", "--nodes", "8", "--seed", "9")
                .lastLine()).get("trace_hash");
        assertEquals(a, b);
    }

    @Test
    void badUsageExitsWithTwo() {
        assertEquals(2, run("--scenario", "nope").status());
        assertEquals(2, run("--nodes", "1").status());
        assertEquals(2, run("--loss", "2").status());
        assertEquals(2, run("--frobnicate", "1").status());
        assertEquals(2, run("--lifeguard", "maybe").status());
        assertEquals(2, run("--nodes").status());
        Result help = run("--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("usage: grapevine-sim"));
    }
}
