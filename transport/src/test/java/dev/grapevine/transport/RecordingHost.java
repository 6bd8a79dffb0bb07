package dev.grapevine.transport;

import dev.grapevine.membership.Host;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.StreamRequest;
import dev.grapevine.membership.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** A {@link Host} that records what a core asks for; for handler tests without sockets. */
final class RecordingHost implements Host {
    final List<byte[]> packets = new ArrayList<>();
    final List<StreamRequest> streams = new ArrayList<>();
    final List<MembershipEvent> events = new ArrayList<>();

    @Override
    public void sendPacket(NodeAddress to, byte[] packet) {
        packets.add(packet);
    }

    @Override
    public void openStream(StreamRequest request) {
        streams.add(request);
    }

    @Override
    public void schedule(Timer timer, long delayNanos) {
    }

    @Override
    public void emit(MembershipEvent event) {
        events.add(event);
    }

    /** A started core named {@code name} at 127.0.0.1:7946 reporting to this host. */
    MembershipCore startCore(String name) {
        MembershipCore core = MembershipCore.builder()
                .config(MembershipConfig.local())
                .name(name)
                .advertise(NodeAddress.of("127.0.0.1", 7946))
                .host(this)
                .clock(System::nanoTime)
                .random(new SplittableRandom(1))
                .build();
        core.start();
        events.clear();
        return core;
    }
}
