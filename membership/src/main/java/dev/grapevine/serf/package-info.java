/**
 * The Serf 0.9.4 layer on top of the membership core: what a Serf agent adds to memberlist, spoken
 * byte for byte like Serf so that a JVM node is a full member of a Serf cluster.
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link dev.grapevine.serf.SerfCore}: the layer itself, a single-threaded state machine with
 *       no I/O, plugged into a {@link dev.grapevine.membership.MembershipCore} as its
 *       {@link dev.grapevine.membership.Delegate}: Lamport clocks, join and leave intents, member
 *       statuses, user events, queries, Serf's internal queries and its push/pull state;</li>
 *   <li>{@link dev.grapevine.serf.SerfHost} and {@link dev.grapevine.serf.SerfEvent}: what the layer
 *       reports (member, user and query events, query answers, the end of a leave);</li>
 *   <li>{@link dev.grapevine.serf.SerfConfig}: Serf's settings and defaults;</li>
 *   <li>{@link dev.grapevine.serf.QueryOptions}, {@link dev.grapevine.serf.QueryHandle},
 *       {@link dev.grapevine.serf.IncomingQuery}: the two ends of a query;</li>
 *   <li>{@link dev.grapevine.serf.KeyringOps}, {@link dev.grapevine.serf.InMemoryKeyring},
 *       {@link dev.grapevine.serf.KeyQuery}, {@link dev.grapevine.serf.KeyResponse}: Serf's cluster-wide
 *       key management ({@code _serf_install-key} and friends), answering and asking.</li>
 * </ul>
 * The wire structures live in {@link dev.grapevine.membership.wire.SerfMessage},
 * {@link dev.grapevine.membership.wire.SerfPayload} and {@link dev.grapevine.membership.wire.SerfCodec}.
 *
 * <h2>Threads</h2>
 * Like the core, the layer is driven from one thread: the one that drives its core. Every Serf event
 * is emitted synchronously on that thread. Value types (configs, snapshots, events) are immutable;
 * handles ({@code QueryHandle}, {@code IncomingQuery}, {@code KeyQuery}) are read on that thread.
 */
package dev.grapevine.serf;
