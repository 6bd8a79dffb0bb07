package dev.grapevine.simulator;

import java.util.List;
import java.util.function.Consumer;

/**
 * A scripted experiment on a {@link Simulation}: it builds the cluster from
 * {@link ScenarioOptions}, drives it, and measures. The five built-in scenarios are {@code join},
 * {@code crash}, {@code leave}, {@code partition} and {@code slow}; {@link #describe} spells out
 * each one's timeline with its defaults resolved.
 *
 * <p>Implementations are stateless and thread-safe; each {@link #run} builds its own simulation.
 */
public interface Scenario {

    /** The name used on the command line. */
    String name();

    /** What the scenario does, with the defaults it will use for {@code options}. */
    String describe(ScenarioOptions options);

    /**
     * Runs it.
     *
     * @param options  the knobs
     * @param progress receives occasional progress lines (simulated time, convergence, wall time)
     * @return the figures, and the per-second series when {@code options.csv()} is set
     */
    ScenarioReport run(ScenarioOptions options, Consumer<String> progress);

    /** The built-in scenario of that name. @throws IllegalArgumentException when unknown */
    static Scenario named(String name) {
        return Scenarios.named(name);
    }

    /** Names of the built-in scenarios. */
    static List<String> names() {
        return Scenarios.NAMES;
    }
}
