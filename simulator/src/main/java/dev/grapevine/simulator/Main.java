package dev.grapevine.simulator;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The command-line front end ({@code bin/grapevine-sim}): runs one {@link Scenario} and prints
 * its figures.
 *
 * <pre>
 * grapevine-sim --scenario join|crash|leave|partition|slow --nodes N --seed S
 *               [--loss P] [--latency-ms L] [--slow-fraction F] [--lifeguard on|off]
 *               [--preset lan|wan|local] [--duration-s T] [--compression on|off]
 *               [--reconnect-s R] [--csv FILE]
 * </pre>
 *
 * <p>Progress goes to standard error; the last line on standard output is one JSON object with the
 * figures (scenario, nodes, seed, converged, convergence_s, detection_first_s, detection_all_s,
 * false_positives, suspicions, refutations, msgs_per_node_s, bytes_per_node_s, wall_s, heap_mb and
 * more). Exit status: 0 after a run (whatever it measured), 2 on bad usage, 1 on an internal error.
 *
 * <p>Stateless; each call of {@link #run} is independent.
 */
public final class Main {
    private static final Set<String> FLAGS = Set.of("scenario", "nodes", "seed", "loss", "latency-ms",
            "slow-fraction", "lifeguard", "preset", "duration-s", "compression", "reconnect-s", "csv");

    private Main() {
    }

    /** Entry point; exits with {@link #run}'s status. */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    /**
     * Parses {@code args}, runs the scenario, prints progress to {@code err} and the JSON report as
     * the last line of {@code out}.
     *
     * @return the exit status: 0 ran, 2 usage error, 1 internal error
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        ScenarioOptions options;
        try {
            Map<String, String> flags = parse(args);
            if (flags.containsKey("help")) {
                out.println(usage());
                return 0;
            }
            options = options(flags);
        } catch (IllegalArgumentException e) {
            err.println("grapevine-sim: " + e.getMessage());
            err.println(usage());
            return 2;
        }
        Scenario scenario = Scenario.named(options.scenario());
        err.println(scenario.describe(options));
        err.println(String.format(Locale.ROOT, "config: %s", Scenarios.config(options)));
        err.println(String.format(Locale.ROOT, "network: %s", Scenarios.network(options)));
        try {
            ScenarioReport report = scenario.run(options, line -> err.println("[sim] " + line));
            if (options.csv() != null) {
                err.println("wrote " + report.sampleCount() + " rows to " + options.csv());
            }
            out.println(report.toJson());
            return 0;
        } catch (RuntimeException e) {
            err.println("grapevine-sim: internal error: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    static String usage() {
        return String.join("\n", List.of(
                "usage: grapevine-sim --scenario join|crash|leave|partition|slow --nodes N --seed S",
                "                     [--loss P] [--latency-ms L] [--slow-fraction F] [--lifeguard on|off]",
                "                     [--preset lan|wan|local] [--duration-s T] [--compression on|off]",
                "                     [--reconnect-s R] [--csv FILE]",
                "  --scenario       what to run (default join)",
                "  --nodes          cluster size (default 100)",
                "  --seed           root seed; same seed and options give the same run (default 1)",
                "  --loss           packet loss probability, also slows streams (default 0)",
                "  --latency-ms     mean one-way latency (default: lan 1, wan 50, local 0.2)",
                "  --slow-fraction  share of nodes the slow scenario makes slow (default 0.1)",
                "  --lifeguard      on (memberlist's behaviour) or off (default on)",
                "  --preset         memberlist config and network preset (default lan)",
                "  --duration-s     the scenario's main duration (default 600; partition: 3 x max suspicion)",
                "  --compression    LZW compression of packets and streams (default on, as memberlist)",
                "  --reconnect-s    the core's reconnect interval to failed members (default 30; 0 = off, as memberlist)",
                "  --csv            write per-simulated-second progress to FILE",
                "The last line on stdout is a JSON object with the results; progress goes to stderr."));
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                m.put("help", "");
                continue;
            }
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + key + " needs a value");
                }
                value = args[++i];
            }
            if (!FLAGS.contains(key)) {
                throw new IllegalArgumentException("unknown option --" + key);
            }
            if (m.put(key, value) != null) {
                throw new IllegalArgumentException("--" + key + " given twice");
            }
        }
        return m;
    }

    private static ScenarioOptions options(Map<String, String> f) {
        String scenario = f.getOrDefault("scenario", "join").toLowerCase(Locale.ROOT);
        if (!Scenarios.NAMES.contains(scenario)) {
            throw new IllegalArgumentException("--scenario must be one of " + String.join(", ", Scenarios.NAMES)
                    + ", got " + scenario);
        }
        ScenarioOptions d = ScenarioOptions.defaults(scenario);
        return new ScenarioOptions(
                scenario,
                (int) integer(f, "nodes", d.nodes()),
                integer(f, "seed", d.seed()),
                decimal(f, "loss", d.loss()),
                f.containsKey("latency-ms") ? decimal(f, "latency-ms", 0) : null,
                decimal(f, "slow-fraction", d.slowFraction()),
                onOff(f, "lifeguard", d.lifeguard()),
                f.getOrDefault("preset", d.preset()).toLowerCase(Locale.ROOT),
                f.containsKey("duration-s") ? decimal(f, "duration-s", 0) : null,
                onOff(f, "compression", d.compression()),
                f.containsKey("reconnect-s") ? decimal(f, "reconnect-s", 0) : null,
                f.containsKey("csv") ? Path.of(f.get("csv")) : null);
    }

    private static long integer(Map<String, String> f, String key, long def) {
        String v = f.get(key);
        if (v == null) {
            return def;
        }
        try {
            long x = Long.parseLong(v.trim());
            if (key.equals("nodes") && (x < 2 || x > 1_000_000)) {
                throw new IllegalArgumentException("--nodes must be in [2, 1000000], got " + v);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be an integer, got '" + v + "'");
        }
    }

    private static double decimal(Map<String, String> f, String key, double def) {
        String v = f.get(key);
        if (v == null) {
            return def;
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a number, got '" + v + "'");
        }
    }

    private static boolean onOff(Map<String, String> f, String key, boolean def) {
        String v = f.get(key);
        if (v == null) {
            return def;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes", "1" -> true;
            case "off", "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException("--" + key + " must be on or off, got '" + v + "'");
        };
    }
}
