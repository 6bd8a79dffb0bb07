/**
 * The network runtime: Netty UDP and TCP driving a {@code MembershipCore} on one event-loop
 * thread, and the public node API, {@link dev.grapevine.transport.GrapevineNode}.
 *
 * <p>Threading model, for the whole package: each node owns one event-loop thread that runs its
 * protocol core, its sockets and its timers; nothing blocks on it. Public methods of
 * {@link dev.grapevine.transport.GrapevineNode} are thread-safe. Listener callbacks run on the
 * node's listener executor, never on the event loop. Netty types never appear in this API and
 * Netty buffers never leave this package.
 */
package dev.grapevine.transport;
