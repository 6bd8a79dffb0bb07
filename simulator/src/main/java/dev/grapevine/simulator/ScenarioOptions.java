package dev.grapevine.simulator;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * The knobs of a {@link Scenario} run, as given on the command line. {@code null} for an optional
 * value means "the scenario's or preset's default". Immutable; thread-safe.
 *
 * @param scenario      scenario name ({@code join}, {@code crash}, {@code leave}, {@code partition},
 *                      {@code slow})
 * @param nodes         cluster size, at least 2
 * @param seed          root seed
 * @param loss          packet loss probability, in {@code [0, 1)}
 * @param latencyMs     mean one-way latency in ms, or {@code null} for the preset's (lan 1, wan 50,
 *                      local 0.2)
 * @param slowFraction  fraction of nodes made slow by the {@code slow} scenario, in {@code [0, 1]}
 * @param lifeguard     Lifeguard on (memberlist's behaviour) or off (plain SWIM with suspicion)
 * @param preset        {@code lan}, {@code wan} or {@code local}: both the protocol config and the
 *                      network model
 * @param durationS     the scenario's main duration in simulated seconds, or {@code null} for its
 *                      default
 * @param compression   whether cores LZW-compress packets and streams (memberlist's default: on);
 *                      protocol behaviour is the same either way, only byte counts and speed differ
 * @param reconnectS    the core's {@code reconnectInterval} in seconds (null: the preset's 30 s; 0 disables)
 *                      ({@code null}: Serf's 30 s; 0 disables it)
 * @param csv           where to write the per-second series, or {@code null}
 */
public record ScenarioOptions(String scenario, int nodes, long seed, double loss, Double latencyMs,
                              double slowFraction, boolean lifeguard, String preset, Double durationS,
                              boolean compression, Double reconnectS, Path csv) {

    /** Validates, naming the bad option. */
    public ScenarioOptions {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(preset, "preset");
        if (nodes < 2) {
            throw new IllegalArgumentException("--nodes must be at least 2, got " + nodes);
        }
        if (!(loss >= 0 && loss < 1)) {
            throw new IllegalArgumentException("--loss must be in [0, 1), got " + loss);
        }
        if (latencyMs != null && !(latencyMs >= 0 && latencyMs <= 60_000)) {
            throw new IllegalArgumentException("--latency-ms must be in [0, 60000], got " + latencyMs);
        }
        if (!(slowFraction >= 0 && slowFraction <= 1)) {
            throw new IllegalArgumentException("--slow-fraction must be in [0, 1], got " + slowFraction);
        }
        if (!preset.equals("lan") && !preset.equals("wan") && !preset.equals("local")) {
            throw new IllegalArgumentException("--preset must be lan, wan or local, got " + preset);
        }
        if (durationS != null && !(durationS > 0 && durationS <= 30 * 86400)) {
            throw new IllegalArgumentException("--duration-s must be in (0, 2592000], got " + durationS);
        }
        if (reconnectS != null && !(reconnectS >= 0 && reconnectS <= 86400)) {
            throw new IllegalArgumentException("--reconnect-s must be in [0, 86400], got " + reconnectS);
        }
        scenario = scenario.toLowerCase(Locale.ROOT);
    }

    /** Defaults for a scenario: 100 nodes, seed 1, no loss, LAN, Lifeguard on, compression on, 10 % slow. */
    public static ScenarioOptions defaults(String scenario) {
        return new ScenarioOptions(scenario, 100, 1, 0.0, null, 0.1, true, "lan", null, true, null, null);
    }

    /** A copy with another node count. */
    public ScenarioOptions withNodes(int n) {
        return new ScenarioOptions(scenario, n, seed, loss, latencyMs, slowFraction, lifeguard, preset, durationS,
                compression, reconnectS, csv);
    }

    /** A copy with another seed. */
    public ScenarioOptions withSeed(long s) {
        return new ScenarioOptions(scenario, nodes, s, loss, latencyMs, slowFraction, lifeguard, preset, durationS,
                compression, reconnectS, csv);
    }

    /** A copy with another main duration. */
    public ScenarioOptions withDurationS(Double d) {
        return new ScenarioOptions(scenario, nodes, seed, loss, latencyMs, slowFraction, lifeguard, preset, d,
                compression, reconnectS, csv);
    }
}
