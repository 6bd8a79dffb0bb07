package dev.grapevine.transport;

import dev.grapevine.membership.Member;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.NodeAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what a node's listener heard, for assertions from the test thread. Thread-safe. */
final class RecordingListener implements MembershipListener {
    /** Names of members seen joining. */
    final Set<String> joined = ConcurrentHashMap.newKeySet();
    /** Every down event: name and state (LEFT or DEAD), in order. */
    final List<String> down = new CopyOnWriteArrayList<>();
    /** The last state a member went down with. */
    final Map<String, MemberState> downState = new ConcurrentHashMap<>();
    /** Latest metadata of updated members. */
    final Map<String, String> updated = new ConcurrentHashMap<>();
    /** User messages, as strings. */
    final List<String> messages = new CopyOnWriteArrayList<>();
    /** Threads the callbacks ran on. */
    final Set<String> threads = ConcurrentHashMap.newKeySet();

    @Override
    public void onJoin(Member member) {
        threads.add(Thread.currentThread().getName());
        joined.add(member.name());
    }

    @Override
    public void onLeave(Member member) {
        threads.add(Thread.currentThread().getName());
        down.add(member.name() + " " + member.state());
        downState.put(member.name(), member.state());
    }

    @Override
    public void onUpdate(Member member) {
        threads.add(Thread.currentThread().getName());
        updated.put(member.name(), new String(member.meta(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public void onUserMessage(byte[] payload, NodeAddress from) {
        threads.add(Thread.currentThread().getName());
        messages.add(new String(payload, java.nio.charset.StandardCharsets.UTF_8));
    }
}
