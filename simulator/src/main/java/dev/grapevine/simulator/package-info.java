/**
 * A deterministic, single-threaded cluster simulator for the Grapevine membership core.
 *
 * <p>{@link dev.grapevine.simulator.Simulation} runs many
 * {@link dev.grapevine.membership.MembershipCore}s in one JVM against a virtual clock and a
 * simulated network that carries the real encoded packets and stream messages. Every source of
 * randomness derives from one seed, so a run replays bit for bit: same seed and same calls give
 * the same {@link dev.grapevine.simulator.Simulation#traceHash() trace hash}.
 *
 * <p>{@link dev.grapevine.simulator.Scenario}s built on it (join, crash, leave, partition, slow)
 * are run from the command line by {@link dev.grapevine.simulator.Main} ({@code bin/grapevine-sim}).
 *
 * <p>Nothing in this package is thread-safe: a simulation and everything it hands out belong to
 * the one thread that drives it.
 */
package dev.grapevine.simulator;
