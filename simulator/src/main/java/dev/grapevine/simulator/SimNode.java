package dev.grapevine.simulator;

import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.serf.SerfCore;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One simulated node: a name and a fixed address, and across its life one or more
 * {@link MembershipCore}s (a restart builds a new one). Handed out by {@link Simulation}; read-only
 * for callers, who change a node through the simulation ({@code crash}, {@code restart}, ...).
 *
 * <p>Counters ({@link #packetsSent()} and the like) add up over all of the node's cores.
 *
 * <p>Not thread-safe: use it on the simulation's thread.
 */
public final class SimNode {
    final int id;
    final String name;
    final NodeAddress address;
    final MembershipConfig config;

    MembershipCore core;
    /** The Serf layer on top of {@link #core} when the simulation runs Serf, else null. */
    SerfCore serf;
    NodeStatus status = NodeStatus.NEW;
    /** Bumped whenever the running core changes (start, crash, restart, leave): stale events carry an old one. */
    int generation;
    int restarts;
    long startedAtNanos = -1;
    List<NodeAddress> seeds = List.of();
    int partition;

    SlowProfile slowProfile;
    int slowEpoch;
    boolean inBurst;
    boolean paused;
    final ArrayDeque<Delivery> deferred = new ArrayDeque<>();
    /** Events the core emitted during the current call, dispatched right after it. */
    final ArrayList<MembershipEvent> emitted = new ArrayList<>(2);
    /** Serf events emitted during the current call, dispatched right after it. */
    final ArrayList<SerfEvent> serfEmitted = new ArrayList<>(2);
    long burstsStarted;
    long deferredTotal;

    long packetsSent;
    long bytesSent;
    long streamsOpened;
    long streamBytesSent;
    long packetsHandled;
    long falsePositivesAbout;
    long falsePositivesDeclared;

    SimNode(int id, String name, NodeAddress address, MembershipConfig config) {
        this.id = id;
        this.name = name;
        this.address = address;
        this.config = config;
    }

    /** Index in the order nodes were added (0 for the first). */
    public int id() {
        return id;
    }

    /** The node's name, also its memberlist node name. */
    public String name() {
        return name;
    }

    /** The node's address (the same across restarts). */
    public NodeAddress address() {
        return address;
    }

    /** The protocol configuration its cores are built with. */
    public MembershipConfig config() {
        return config;
    }

    /**
     * The node's latest core: the running one, or the last one before a crash or leave (its state
     * frozen at that moment); {@code null} before the first start. Query it freely; for calls that
     * change it ({@code broadcast}, {@code updateMetadata}, ...) use {@link Simulation#call}, which
     * also runs the invariant check and dispatches the events the call emitted.
     */
    public MembershipCore core() {
        return core;
    }

    /**
     * The node's latest Serf layer (running, or frozen at its crash or leave), or {@code null} when
     * the simulation does not run Serf or before the first start. Query it freely; for calls that
     * change it use {@link Simulation#serfCall}.
     */
    public SerfCore serf() {
        return serf;
    }

    /** Lifecycle state. */
    public NodeStatus status() {
        return status;
    }

    /** True when its core runs (slow, paused and leaving nodes included). */
    public boolean isRunning() {
        return status == NodeStatus.RUNNING;
    }

    /** True when running and not leaving: a node the rest of the cluster should see alive. */
    public boolean isLive() {
        return status == NodeStatus.RUNNING && !isLeaving();
    }

    /** True when running and a leave (memberlist's, or Serf's, which starts earlier) is in progress. */
    boolean isLeaving() {
        return core.isLeaving() || (serf != null && serf.state() != SerfState.ALIVE);
    }

    /** Its partition group (0 when the network is whole). */
    public int partition() {
        return partition;
    }

    /** True when a {@link SlowProfile} is active. */
    public boolean isSlow() {
        return slowProfile != null;
    }

    /** True while inside a slow burst. */
    public boolean inBurst() {
        return inBurst;
    }

    /** True while paused (SIGSTOP-like). */
    public boolean isPaused() {
        return paused;
    }

    /** Deliveries waiting for a burst or pause to end. */
    public int deferredCount() {
        return deferred.size();
    }

    /** How many times it was restarted. */
    public int restarts() {
        return restarts;
    }

    /** Simulated time of its latest (re)start, or -1 before the first. */
    public long startedAtNanos() {
        return startedAtNanos;
    }

    /** UDP packets it sent (before loss). */
    public long packetsSent() {
        return packetsSent;
    }

    /** Bytes of those packets. */
    public long bytesSent() {
        return bytesSent;
    }

    /** Streams it opened. */
    public long streamsOpened() {
        return streamsOpened;
    }

    /** Bytes it wrote to streams (requests and replies). */
    public long streamBytesSent() {
        return streamBytesSent;
    }

    /** Packets its cores handled. */
    public long packetsHandled() {
        return packetsHandled;
    }

    /**
     * False positives about this node: times an observer's own suspicion timer declared it dead
     * while it was running and in the observer's partition group (see
     * {@link Simulation#falsePositives()}).
     */
    public long falsePositivesAbout() {
        return falsePositivesAbout;
    }

    /** False positives this node declared (its own suspicion timer, about a running node on its side). */
    public long falsePositivesDeclared() {
        return falsePositivesDeclared;
    }

    /** Slow bursts started so far. */
    public long burstsStarted() {
        return burstsStarted;
    }

    boolean deferring() {
        return inBurst || paused;
    }

    @Override
    public String toString() {
        return name + "@" + address + " " + status;
    }
}
