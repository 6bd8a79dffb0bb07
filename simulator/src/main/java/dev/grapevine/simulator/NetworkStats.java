package dev.grapevine.simulator;

/**
 * Traffic totals of a simulation since it was built. Immutable snapshot; thread-safe.
 *
 * @param packetsSent        UDP packets handed to the network (before loss)
 * @param bytesSent          their bytes
 * @param packetsHandled     packets handed to a core (duplicates included)
 * @param packetsLost        dropped by the loss model
 * @param packetsDuplicated  extra copies made by the duplication model
 * @param packetsPartitioned dropped because sender and receiver were in different partition groups
 * @param packetsToDown      dropped because no running node had the destination address
 * @param streamsOpened      streams opened by cores
 * @param streamBytes        request and reply bytes written to streams
 * @param streamsServed      requests handed to a responder's core
 * @param streamsReplied     replies that resolved their stream
 * @param streamsFailed      streams resolved by a failure (refused, timed out, closed without reply)
 * @param streamsRefused     of which refused (target down)
 * @param streamsTimedOut    of which timed out (partition, stalled or slow target)
 * @param streamsPending     streams expecting a reply and not resolved yet
 */
public record NetworkStats(long packetsSent, long bytesSent, long packetsHandled, long packetsLost,
                           long packetsDuplicated, long packetsPartitioned, long packetsToDown, long streamsOpened,
                           long streamBytes, long streamsServed, long streamsReplied, long streamsFailed,
                           long streamsRefused, long streamsTimedOut, long streamsPending) {
}
