package dev.grapevine.membership;

import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.PacketVisitor;
import dev.grapevine.membership.wire.Packets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * A hand-driven host for one core: records every effect, keeps a manual clock, and fires timers
 * when the test advances time. Decodes sent packets so tests can assert on messages.
 */
final class TestHost implements Host, LongSupplier {

    record Sent(NodeAddress to, byte[] bytes) {
        /** Messages in the packet (compound, compression and CRC unwrapped). */
        List<Message> messages() {
            List<Message> out = new ArrayList<>();
            Packets.read(bytes, 0, bytes.length, new PacketVisitor() {
                @Override
                public void message(Message m) {
                    out.add(m);
                }

                @Override
                public void rejected(Rejection reason, String detail) {
                    throw new AssertionError("core sent a bad packet: " + reason + " " + detail);
                }
            });
            return out;
        }
    }

    record Rejected(NodeAddress from, Rejection reason, String detail) {
    }

    private record Due(long at, long seq, Timer timer) {
    }

    final List<Sent> sent = new ArrayList<>();
    final List<StreamRequest> streams = new ArrayList<>();
    final List<MembershipEvent> events = new ArrayList<>();
    final List<Rejected> rejections = new ArrayList<>();
    private final PriorityQueue<Due> timers =
            new PriorityQueue<>(Comparator.comparingLong(Due::at).thenComparingLong(Due::seq));
    private long seq;
    private long now = 1_000_000_000L;
    MembershipCore core;

    @Override
    public long getAsLong() {
        return now;
    }

    @Override
    public void sendPacket(NodeAddress to, byte[] packet) {
        sent.add(new Sent(to, packet));
    }

    @Override
    public void openStream(StreamRequest request) {
        streams.add(request);
    }

    @Override
    public void schedule(Timer timer, long delayNanos) {
        if (delayNanos < 0) {
            throw new AssertionError("negative delay for " + timer);
        }
        timers.add(new Due(now + delayNanos, seq++, timer));
    }

    @Override
    public void emit(MembershipEvent event) {
        events.add(event);
    }

    @Override
    public void rejected(NodeAddress from, Rejection reason, String detail) {
        rejections.add(new Rejected(from, reason, detail));
    }

    /** Advances the clock by {@code nanos}, firing every timer that falls due, in order. */
    void advance(long nanos) {
        long end = now + nanos;
        while (!timers.isEmpty() && timers.peek().at() <= end) {
            Due d = timers.poll();
            now = Math.max(now, d.at());
            core.handleTimer(d.timer());
        }
        now = end;
    }

    void advanceMillis(long ms) {
        advance(ms * 1_000_000L);
    }

    /** Pending timers of one kind, with their due times relative to now. */
    List<Long> pending(Timer.Kind kind) {
        List<Long> out = new ArrayList<>();
        for (Due d : timers) {
            if (d.timer().kind() == kind) {
                out.add(d.at() - now);
            }
        }
        out.sort(Long::compare);
        return out;
    }

    /** Fires the earliest pending timer of {@code kind} now, regardless of its due time. */
    void fire(Timer.Kind kind) {
        Due best = null;
        for (Due d : timers) {
            if (d.timer().kind() == kind && (best == null || d.at() < best.at())) {
                best = d;
            }
        }
        if (best == null) {
            throw new AssertionError("no pending " + kind);
        }
        timers.remove(best);
        core.handleTimer(best.timer());
    }

    <T extends MembershipEvent> List<T> events(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (MembershipEvent e : events) {
            if (type.isInstance(e)) {
                out.add(type.cast(e));
            }
        }
        return out;
    }

    /** Every message sent to {@code to} (or anywhere, when null) since the last clear. */
    List<Message> messagesTo(NodeAddress to) {
        List<Message> out = new ArrayList<>();
        for (Sent s : sent) {
            if (to == null || s.to().equals(to)) {
                out.addAll(s.messages());
            }
        }
        return out;
    }

    <T extends Message> List<T> messages(NodeAddress to, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Message m : messagesTo(to)) {
            if (type.isInstance(m)) {
                out.add(type.cast(m));
            }
        }
        return out;
    }

    void clear() {
        sent.clear();
        streams.clear();
        events.clear();
        rejections.clear();
    }

    static MembershipCore core(TestHost host, String name, NodeAddress addr, MembershipConfig config) {
        MembershipCore c = MembershipCore.builder().config(config).name(name).advertise(addr).host(host)
                .clock(host).random(new SplittableRandom(42)).build();
        host.core = c;
        return c;
    }
}
