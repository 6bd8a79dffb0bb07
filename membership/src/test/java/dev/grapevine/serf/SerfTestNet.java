package dev.grapevine.serf;

import dev.grapevine.membership.Host;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.Rejection;
import dev.grapevine.membership.StreamRequest;
import dev.grapevine.membership.Timer;
import dev.grapevine.membership.wire.DecodeResult;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.PacketVisitor;
import dev.grapevine.membership.wire.Packets;
import dev.grapevine.membership.wire.SerfCodec;
import dev.grapevine.membership.wire.SerfMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A tiny deterministic network for the Serf unit tests: a few {@link SerfCore}s with virtual time,
 * 1 ms links, optional loss, and a record of every Serf message each node sent by UDP. (The big
 * scenarios run in the simulator module.)
 */
final class SerfTestNet {
    static final long MS = 1_000_000L;
    static final MembershipConfig MEMBERSHIP = MembershipConfig.lan().toBuilder().delegateProtocol(2, 5, 5).build();

    private record Item(long at, long seq, Runnable run) {
    }

    private final PriorityQueue<Item> queue =
            new PriorityQueue<>(Comparator.comparingLong(Item::at).thenComparingLong(Item::seq));
    private long seq;
    long now = 1_000_000_000L;
    final List<Node> nodes = new ArrayList<>();
    private final Map<NodeAddress, Node> byAddress = new HashMap<>();
    private final SplittableRandom random = new SplittableRandom(99);
    double loss;

    /** A sent Serf message: sender, destination, message. */
    record Sent(String from, NodeAddress to, SerfMessage message) {
    }

    /** One node: its Serf layer, its core, and what it emitted and sent. */
    final class Node implements Host, SerfHost {
        final String name;
        final NodeAddress address;
        SerfCore serf;
        MembershipCore core;
        boolean up = true;
        int generation;
        final List<SerfEvent> events = new ArrayList<>();
        final List<MembershipEvent> coreEvents = new ArrayList<>();
        final List<Sent> sent = new ArrayList<>();
        final List<String> rejections = new ArrayList<>();
        /** Leave intents this node had sent when it first sent memberlist's dead message about itself (-1: never). */
        int leaveIntentsBeforeOwnDead = -1;
        Consumer<SerfEvent> listener = e -> {
        };

        Node(String name, NodeAddress address) {
            this.name = name;
            this.address = address;
        }

        @Override
        public void sendPacket(NodeAddress to, byte[] packet) {
            recordSerf(to, packet);
            Node dst = byAddress.get(to);
            if (dst == null || (loss > 0 && random.nextDouble() < loss)) {
                return;
            }
            NodeAddress from = address;
            at(now + MS, () -> {
                if (dst.up) {
                    dst.core.handlePacket(from, packet, 0, packet.length);
                }
            });
        }

        private void recordSerf(NodeAddress to, byte[] packet) {
            Packets.read(packet, 0, packet.length, new PacketVisitor() {
                @Override
                public void message(Message m) {
                    if (m instanceof Message.Dead d && d.node().equals(name) && leaveIntentsBeforeOwnDead < 0) {
                        leaveIntentsBeforeOwnDead = sent(SerfMessage.Leave.class).size();
                    }
                    if (m instanceof Message.User u && u.payload().length > 0) {
                        DecodeResult<SerfMessage> r = SerfCodec.decode(u.payload());
                        if (r.ok()) {
                            sent.add(new Sent(name, to, r.value()));
                        }
                    }
                }

                @Override
                public void rejected(Rejection reason, String detail) {
                    throw new AssertionError("sent a bad packet: " + reason + " " + detail);
                }
            });
        }

        @Override
        public void openStream(StreamRequest request) {
            Node dst = byAddress.get(request.target());
            NodeAddress from = address;
            int gen = generation;
            at(now + MS, () -> {
                byte[] reply = dst != null && dst.up
                        ? dst.core.handleStream(from, request.payload(), 0, request.payload().length) : null;
                if (!request.expectsReply()) {
                    return;
                }
                at(now + MS, () -> {
                    if (!up || generation != gen) {
                        return;
                    }
                    if (reply == null) {
                        core.handleStreamFailure(request.id(), "connection refused");
                    } else {
                        core.handleStreamReply(request.id(), reply, 0, reply.length);
                    }
                });
            });
        }

        @Override
        public void schedule(Timer timer, long delayNanos) {
            int gen = generation;
            at(now + delayNanos, () -> {
                if (up && generation == gen) {
                    core.handleTimer(timer);
                }
            });
        }

        @Override
        public void emit(MembershipEvent event) {
            coreEvents.add(event);
        }

        @Override
        public void emit(SerfEvent event) {
            events.add(event);
            listener.accept(event);
        }

        @Override
        public void rejectedMessage(NodeAddress from, Rejection reason, String detail) {
            rejections.add(reason + " " + detail);
        }

        /** Delivers a crafted Serf message to this node as a UDP user message from {@code from}. */
        void inject(SerfMessage m, NodeAddress from) {
            injectRaw(SerfCodec.encode(m), from);
        }

        void injectRaw(byte[] serfBytes, NodeAddress from) {
            byte[] packet = new byte[serfBytes.length + 1];
            packet[0] = 8;
            System.arraycopy(serfBytes, 0, packet, 1, serfBytes.length);
            core.handlePacket(from, packet, 0, packet.length);
        }

        <T extends SerfEvent> List<T> events(Class<T> type) {
            List<T> out = new ArrayList<>();
            for (SerfEvent e : events) {
                if (type.isInstance(e)) {
                    out.add(type.cast(e));
                }
            }
            return out;
        }

        <T extends SerfMessage> List<T> sent(Class<T> type) {
            List<T> out = new ArrayList<>();
            for (Sent s : sent) {
                if (type.isInstance(s.message())) {
                    out.add(type.cast(s.message()));
                }
            }
            return out;
        }

        SerfMemberStatus status(String member) {
            SerfMember m = serf.member(member);
            return m == null ? null : m.status();
        }

        /** Crashes the node: it handles nothing any more. */
        void crash() {
            up = false;
            generation++;
        }
    }

    Node add(String name, SerfConfig config, Map<String, String> tags, KeyringOps keyring) {
        int i = nodes.size() + 1;
        Node n = new Node(name, NodeAddress.of("10.0.0." + i, 7946));
        n.serf = SerfCore.builder().config(config).tags(tags).host(n).clock(() -> now).random(new SplittableRandom(i))
                .keyring(keyring)
                .membership(MembershipCore.builder().config(MEMBERSHIP.toBuilder()
                                .delegateProtocol(2, 5, config.protocolVersion()).build()).name(name).advertise(n.address).host(n)
                        .clock(() -> now).random(new SplittableRandom(100 + i)))
                .build();
        n.core = n.serf.core();
        nodes.add(n);
        byAddress.put(n.address, n);
        return n;
    }

    Node add(String name) {
        return add(name, SerfConfig.defaults(), Map.of(), null);
    }

    /** Starts every node and joins each to the first, then runs until everyone knows everyone. */
    void startAll() {
        Node first = nodes.get(0);
        for (Node n : nodes) {
            n.serf.start();
            if (n != first) {
                n.serf.join(List.of(first.address), false);
            }
        }
        runUntil(this::converged, Duration.ofSeconds(60));
    }

    boolean converged() {
        for (Node n : nodes) {
            if (!n.up) {
                continue;
            }
            for (Node m : nodes) {
                if (m.up && n.status(m.name) != SerfMemberStatus.ALIVE) {
                    return false;
                }
            }
        }
        return true;
    }

    void at(long time, Runnable r) {
        queue.add(new Item(Math.max(time, now), seq++, r));
    }

    void run(Duration d) {
        long end = now + d.toNanos();
        while (!queue.isEmpty() && queue.peek().at() <= end) {
            Item it = queue.poll();
            now = Math.max(now, it.at());
            it.run().run();
        }
        now = end;
    }

    boolean runUntil(java.util.function.BooleanSupplier cond, Duration max) {
        long end = now + max.toNanos();
        while (!cond.getAsBoolean()) {
            if (now >= end) {
                return false;
            }
            run(Duration.ofMillis(50));
        }
        return true;
    }

    Node node(String name) {
        for (Node n : nodes) {
            if (n.name.equals(name)) {
                return n;
            }
        }
        throw new IllegalArgumentException(name);
    }
}
