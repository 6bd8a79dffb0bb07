package dev.grapevine.serf;

/**
 * A snapshot of the Serf layer's counters and gauges ({@link SerfCore#metrics()}).
 *
 * <p>Immutable; safe to share between threads.
 *
 * @param intentsReceived     join and leave intents received by gossip
 * @param intentsRebroadcast  of those, how many changed something and were gossiped on
 * @param eventsReceived      user events received by gossip
 * @param eventsDelivered     user events handed to the host (or the coalescer), local ones included
 * @param eventsDuplicate     user events already seen
 * @param eventsTooOld        user events older than the event buffer, or than the join's minimum time
 * @param eventsDropped       user events refused because their Lamport time already held too many
 * @param queriesReceived     queries received by gossip
 * @param queriesDuplicate    queries already seen
 * @param queriesTooOld       queries older than the query buffer
 * @param queriesFiltered     queries this node did not process (filters)
 * @param acksSent            query acks sent
 * @param responsesSent       query responses sent
 * @param responsesDropped    internal query responses not sent (too large, past the deadline, no address)
 * @param relaysSent          relayed copies of acks and responses sent to other members
 * @param relaysForwarded     relays received and forwarded to their destination
 * @param relaysRefused       relays not forwarded (bad address, not a query response, too large)
 * @param answersReceived     acks and responses accepted for queries this node runs
 * @param answersIgnored      acks and responses for unknown or finished queries, duplicates, overflow
 * @param malformed           Serf messages or push/pull states that could not be decoded
 * @param unknownType         messages of a type Serf does not gossip
 * @param flaps               failed members that came back within the flap timeout
 * @param reaped              members reaped or pruned
 * @param members             members in the table, the local node included
 * @param failed              members in state failed
 * @param left                members in state left
 * @param recentIntents       buffered intents about unknown nodes
 * @param queued              broadcasts queued (intents + events + queries)
 * @param memberClock         the membership Lamport clock
 * @param eventClock          the event Lamport clock
 * @param queryClock          the query Lamport clock
 */
public record SerfMetrics(long intentsReceived, long intentsRebroadcast, long eventsReceived, long eventsDelivered,
                          long eventsDuplicate, long eventsTooOld, long eventsDropped, long queriesReceived,
                          long queriesDuplicate, long queriesTooOld, long queriesFiltered, long acksSent,
                          long responsesSent, long responsesDropped, long relaysSent, long relaysForwarded, long relaysRefused,
                          long answersReceived, long answersIgnored, long malformed, long unknownType, long flaps,
                          long reaped, int members, int failed, int left, int recentIntents, int queued,
                          long memberClock, long eventClock, long queryClock) {
}
