package dev.grapevine.simulator;

import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.StreamRequest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The simulated network: decides the fate of every packet and stream leg (partition, loss, delay,
 * duplication) with its own seeded generator and schedules the resulting arrivals. Also keeps the
 * traffic counters. Single-threaded; owned by a {@link Simulation}.
 */
final class Network {
    /** Outcome kinds of a stream. */
    private static final int REPLY = 0;
    private static final int TIMEOUT = 1;
    private static final int REFUSED = 2;
    private static final int NO_REPLY = 3;
    private static final String[] FAILURE_TEXT = {null, "i/o timeout", "connection refused",
        "stream closed without a reply"};

    private final Simulation sim;
    private final SplittableRandom random;
    NetworkModel model;
    private final Map<Long, NetworkModel> links = new HashMap<>();

    long packetsSent;
    long bytesSent;
    long packetsHandled;
    long packetsLost;
    long packetsDuplicated;
    long packetsPartitioned;
    long packetsToDown;
    long streamsOpened;
    long streamBytes;
    long streamsServed;
    long streamsReplied;
    long streamsFailed;
    long streamsRefused;
    long streamsTimedOut;
    long streamsPending;

    Network(Simulation sim, SplittableRandom random, NetworkModel model) {
        this.sim = sim;
        this.random = random;
        this.model = model;
    }

    // ---- configuration ------------------------------------------------------------------------

    void link(SimNode from, SimNode to, NetworkModel m) {
        long key = ((long) from.id << 32) | (to.id & 0xffffffffL);
        if (m == null) {
            links.remove(key);
        } else {
            links.put(key, m);
        }
    }

    void clearLinks() {
        links.clear();
    }

    private NetworkModel modelFor(SimNode from, SimNode to) {
        if (links.isEmpty() || from == null || to == null) {
            return model;
        }
        NetworkModel m = links.get(((long) from.id << 32) | (to.id & 0xffffffffL));
        return m == null ? model : m;
    }

    // ---- packets ------------------------------------------------------------------------------

    /** A packet leaves {@code from} for {@code to}. */
    void send(SimNode from, NodeAddress to, byte[] bytes) {
        long now = sim.now;
        from.packetsSent++;
        from.bytesSent += bytes.length;
        packetsSent++;
        bytesSent += bytes.length;
        for (NetworkTap t : sim.taps) {
            t.packetSent(from.name, to, bytes.length, now);
        }
        SimNode dst = sim.byAddress.get(to);
        if (dst == null) {
            packetsToDown++;
            dropped(from, to, NetworkTap.DropReason.NO_SUCH_NODE);
            return;
        }
        if (dst.partition != from.partition) {
            packetsPartitioned++;
            dropped(from, to, NetworkTap.DropReason.PARTITION);
            return;
        }
        NetworkModel m = modelFor(from, dst);
        if (m.loss() > 0 && random.nextDouble() < m.loss()) {
            packetsLost++;
            dropped(from, to, NetworkTap.DropReason.LOSS);
            return;
        }
        sim.queue.add(new PacketArrival(now + packetDelay(m), from, dst, bytes, now));
        if (m.duplication() > 0 && random.nextDouble() < m.duplication()) {
            packetsDuplicated++;
            sim.queue.add(new PacketArrival(now + packetDelay(m), from, dst, bytes.clone(), now));
        }
    }

    private long packetDelay(NetworkModel m) {
        long d = m.latency().sampleNanos(random);
        if (m.reorder() > 0 && random.nextDouble() < m.reorder() && m.reorderDelayNanos() > 0) {
            d += random.nextLong(m.reorderDelayNanos() + 1);
        }
        return d;
    }

    private void dropped(SimNode from, NodeAddress to, NetworkTap.DropReason reason) {
        for (NetworkTap t : sim.taps) {
            t.packetDropped(from.name, to, reason, sim.now);
        }
    }

    /** A packet reaching its destination host. */
    final class PacketArrival extends Delivery {
        final SimNode from;
        final byte[] bytes;
        final long sentAt;

        PacketArrival(long time, SimNode from, SimNode to, byte[] bytes, long sentAt) {
            super(time, to);
            this.from = from;
            this.bytes = bytes;
            this.sentAt = sentAt;
        }

        @Override
        void fire(Simulation s) {
            if (node.partition != from.partition) {
                packetsPartitioned++;
                dropped(from, node.address, NetworkTap.DropReason.PARTITION);
                return;
            }
            if (node.status != NodeStatus.RUNNING) {
                packetsToDown++;
                dropped(from, node.address, NetworkTap.DropReason.NODE_DOWN);
                return;
            }
            s.deliverOrDefer(this);
        }

        @Override
        void deliver(Simulation s) {
            packetsHandled++;
            node.packetsHandled++;
            s.mix(0x1000_0000L ^ ((long) node.id << 32) ^ from.id ^ ((long) Arrays.hashCode(bytes) << 16)
                    ^ bytes.length);
            for (NetworkTap t : s.taps) {
                t.packetHandled(from.name, node.name, sentAt, s.now, bytes);
            }
            try {
                node.core.handlePacket(from.address, bytes, 0, bytes.length);
            } catch (RuntimeException e) {
                s.coreThrew(node, "handlePacket", e);
            }
            s.afterCall(node);
        }
    }

    // ---- streams ------------------------------------------------------------------------------

    /** One stream exchange, from open to its single outcome. */
    static final class StreamCall {
        final SimNode requester;
        final int requesterGeneration;
        final SimNode responder;
        final StreamRequest request;
        final long openedAt;
        boolean resolved;

        StreamCall(SimNode requester, SimNode responder, StreamRequest request, long openedAt) {
            this.requester = requester;
            this.requesterGeneration = requester.generation;
            this.responder = responder;
            this.request = request;
            this.openedAt = openedAt;
        }
    }

    /** One stream leg's delay: latency, plus a doubling RTO per lost segment. */
    private long streamLeg(NetworkModel m) {
        long d = m.latency().sampleNanos(random);
        if (m.loss() > 0) {
            long rto = m.rtoNanos();
            for (int i = 0; i < m.maxLostSegments() && random.nextDouble() < m.loss(); i++) {
                d += rto;
                rto *= 2;
            }
        }
        return d;
    }

    void open(SimNode from, StreamRequest request) {
        long now = sim.now;
        from.streamsOpened++;
        from.streamBytesSent += request.payload().length;
        streamsOpened++;
        streamBytes += request.payload().length;
        for (NetworkTap t : sim.taps) {
            t.streamOpened(from.name, request, now);
        }
        SimNode dst = sim.byAddress.get(request.target());
        StreamCall call = new StreamCall(from, dst, request, now);
        if (request.expectsReply()) {
            streamsPending++;
            sim.queue.add(new StreamOutcome(now + Math.max(0, request.timeoutNanos()), call, null, TIMEOUT));
        }
        if (dst != null && dst.partition != from.partition) {
            return; // SYNs vanish: the request times out
        }
        NetworkModel m = modelFor(from, dst);
        if (dst == null || dst.status != NodeStatus.RUNNING) {
            if (request.expectsReply()) {
                long rtt = m.latency().sampleNanos(random) + m.latency().sampleNanos(random);
                sim.queue.add(new StreamOutcome(now + rtt, call, null, REFUSED));
            }
            return;
        }
        sim.queue.add(new StreamRequestArrival(now + streamLeg(m), call));
    }

    /** The request reaching the responder. */
    final class StreamRequestArrival extends Delivery {
        final StreamCall call;

        StreamRequestArrival(long time, StreamCall call) {
            super(time, call.responder);
            this.call = call;
        }

        @Override
        void fire(Simulation s) {
            if (node.partition != call.requester.partition) {
                return; // lost in the partition: the requester times out
            }
            if (node.status != NodeStatus.RUNNING) {
                if (call.request.expectsReply()) {
                    long rst = modelFor(node, call.requester).latency().sampleNanos(random);
                    s.queue.add(new StreamOutcome(s.now + rst, call, null, REFUSED));
                }
                return;
            }
            s.deliverOrDefer(this);
        }

        @Override
        void deliver(Simulation s) {
            streamsServed++;
            byte[] payload = call.request.payload();
            s.mix(0x2000_0000L ^ ((long) node.id << 32) ^ call.requester.id ^ payload.length);
            for (NetworkTap t : s.taps) {
                t.streamServed(call.requester.name, node.name, call.request, s.now);
            }
            byte[] reply = null;
            try {
                reply = node.core.handleStream(call.requester.address, payload, 0, payload.length);
            } catch (RuntimeException e) {
                s.coreThrew(node, "handleStream", e);
            }
            s.afterCall(node);
            if (!call.request.expectsReply()) {
                return;
            }
            NetworkModel m = modelFor(node, call.requester);
            if (reply == null) {
                s.queue.add(new StreamOutcome(s.now + m.latency().sampleNanos(random), call, null, NO_REPLY));
            } else {
                node.streamBytesSent += reply.length;
                streamBytes += reply.length;
                s.queue.add(new StreamOutcome(s.now + streamLeg(m), call, reply, REPLY));
            }
        }
    }

    /** A reply or failure reaching the requester: the first one to arrive wins, once. */
    final class StreamOutcome extends Delivery {
        final StreamCall call;
        final byte[] reply;
        final int kind;

        StreamOutcome(long time, StreamCall call, byte[] reply, int kind) {
            super(time, call.requester);
            this.call = call;
            this.reply = reply;
            this.kind = kind;
        }

        @Override
        void fire(Simulation s) {
            if (call.resolved) {
                return;
            }
            // A timeout is local to the requester; every other outcome crossed the network.
            if (kind != TIMEOUT && call.responder != null && call.responder.partition != node.partition) {
                return; // lost in a partition: the timeout will resolve it
            }
            call.resolved = true;
            streamsPending--;
            if (kind == REPLY) {
                streamsReplied++;
            } else {
                streamsFailed++;
                if (kind == TIMEOUT) {
                    streamsTimedOut++;
                } else if (kind == REFUSED) {
                    streamsRefused++;
                }
            }
            if (node.status != NodeStatus.RUNNING || node.generation != call.requesterGeneration) {
                return; // the connection died with the process that opened it
            }
            s.deliverOrDefer(this);
        }

        @Override
        void deliver(Simulation s) {
            long id = call.request.id();
            String failure = FAILURE_TEXT[kind];
            s.mix(0x3000_0000L ^ ((long) node.id << 32) ^ id ^ (kind == REPLY ? reply.length : -kind));
            for (NetworkTap t : s.taps) {
                t.streamResolved(node.name, call.request, failure, s.now);
            }
            try {
                if (failure == null) {
                    node.core.handleStreamReply(id, reply, 0, reply.length);
                } else {
                    node.core.handleStreamFailure(id, failure);
                }
            } catch (RuntimeException e) {
                s.coreThrew(node, failure == null ? "handleStreamReply" : "handleStreamFailure", e);
            }
            s.afterCall(node);
        }
    }
}
