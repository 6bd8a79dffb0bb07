package dev.grapevine.simulator;

import dev.grapevine.membership.Host;
import dev.grapevine.membership.MemberState;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.membership.MembershipCore;
import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.StreamRequest;
import dev.grapevine.membership.Timer;
import dev.grapevine.serf.KeyringOps;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfCore;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.serf.SerfHost;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * A deterministic simulation of a cluster of {@link MembershipCore}s: virtual time, one event
 * queue, a simulated network carrying the real encoded bytes, and invariant checks after every
 * step.
 *
 * <pre>{@code
 * Simulation sim = Simulation.builder().seed(42)
 *         .config(MembershipConfig.lan())
 *         .network(NetworkModel.lan().loss(0.05))
 *         .build();
 * sim.addNodes(20);
 * sim.startAllAndJoin("node-0");
 * boolean formed = sim.runUntil(sim::converged, Duration.ofMinutes(5));
 * sim.crash("node-7");
 * sim.runFor(Duration.ofSeconds(60));
 * sim.partition(List.of(List.of("node-0", "node-1", "node-2"), List.of("node-3", "node-4")));
 * sim.runFor(Duration.ofSeconds(30));
 * sim.heal();
 * List<Violation> broken = sim.violations(); // empty when every invariant held
 * }</pre>
 * (Mirrored in the test {@code SnippetsTest}.)
 *
 * <p><b>Time and order.</b> Simulated time starts at 0 and only moves inside the run methods
 * ({@link #runFor}, {@link #runUntil}, {@link #step}), which process queued events in (time,
 * insertion) order. Methods such as {@link #crash} or {@link #partition} act at the current
 * simulated instant; to act later, call them between runs or from {@link #schedule}.
 *
 * <p><b>Determinism.</b> A single root generator seeded by {@link Builder#seed} is split, in a
 * fixed order, into the network's generator, a generator for slow-node bursts,
 * the one {@link #random()} hands to callers, and one per core (at each start or restart). The
 * same seed with the same sequence of calls gives a bit-identical run, visible as an equal
 * {@link #traceHash()}.
 *
 * <p><b>Nodes.</b> Each node has a name ({@code node-<i>} from {@link #addNodes}) and a distinct
 * IPv4 address {@code 10.x.y.z:7946}. Its core is built with the simulation's shared interner and
 * {@code expectedMembers} equal to the node count at start. Crashed nodes handle nothing and lose
 * their timers; a restart builds a new core (incarnation starts over) at the same address; a
 * graceful leave shuts the core down when {@code LeaveCompleted} arrives.
 *
 * <p><b>Invariants.</b> After every event handed to a core, that core's {@code selfCheck(false)}
 * runs; every {@link Builder#fullCheckInterval} (10 s by default), and at the end of every
 * {@code runFor}/{@code runUntil}, {@code selfCheck(true)} runs on every running core. The simulator also checks that no observer ever reports a lower incarnation
 * for a subject than it reported before (unless one of them restarted), and turns exceptions
 * thrown by a core into violations instead of aborting the run. See {@link #violations()}.
 *
 * <p><b>Serf.</b> With {@link Builder#serf(SerfConfig)} every node runs a {@link SerfCore} on top of
 * its core (tags and keyrings per node from {@link Builder#serfTags} and {@link Builder#serfKeyrings}):
 * joins go through Serf (and broadcast a join intent), {@link #leave} is Serf's graceful leave (the
 * node stops at Serf's {@code LeaveCompleted}), {@link #serfCall} runs user events, queries and key
 * operations, and {@link #addSerfListener} observes the Serf events. Each Serf layer's
 * {@code selfCheck} runs with its core's.
 *
 * <p><b>Threading.</b> Not thread-safe: one thread builds and drives a simulation and everything it
 * hands out. Cores are only ever called from the run methods and lifecycle methods, and never
 * re-entrantly; their {@link Host} effects are queued.
 */
public final class Simulation {
    /** The port every simulated node uses. */
    public static final int PORT = 7946;

    private static final int MAX_RECORDED_VIOLATIONS = 100;

    private final long seed;
    private final MembershipConfig defaultConfig;
    private final long fullCheckIntervalNanos;
    private final long maxEventsPerRun;
    private final long pollIntervalNanos;
    private final boolean trackIncarnations;
    private final SerfConfig serfConfig;
    /** Signing mode: the stand-in CA that issues every node's identity; null when off. */
    private final SimulatedCa ca;
    private final Map<String, dev.grapevine.membership.ClaimAuthority> identities = new HashMap<>();
    private final Function<String, Map<String, String>> serfTags;
    private final Function<String, KeyringOps> serfKeyrings;
    private final List<SerfListener> serfListeners = new ArrayList<>();

    private final SplittableRandom root;
    private final SplittableRandom chaosRandom;
    private final SplittableRandom userRandom;
    final Network net;

    final EventQueue queue = new EventQueue();
    long now;
    private boolean running;
    private long eventsProcessed;
    private long trace;

    final List<SimNode> nodes = new ArrayList<>();
    private final Map<String, SimNode> byName = new HashMap<>();
    final Map<NodeAddress, SimNode> byAddress = new HashMap<>();
    private final SimInterner interner = new SimInterner();
    private final List<SimulationListener> listeners = new ArrayList<>();
    final List<NetworkTap> taps = new ArrayList<>();

    private final List<Violation> violations = new ArrayList<>();
    private long violationCount;
    private long lastFullCheck = -1;
    private final IncarnationTracker incarnations = new IncarnationTracker();
    private long falsePositives;

    private int convergeCursor;

    private Simulation(Builder b) {
        this.seed = b.seed;
        this.defaultConfig = b.config;
        this.fullCheckIntervalNanos = b.fullCheckInterval.toNanos();
        this.maxEventsPerRun = b.maxEventsPerRun;
        this.pollIntervalNanos = b.pollInterval.toNanos();
        this.trackIncarnations = b.trackIncarnations;
        this.serfConfig = b.serfConfig;
        this.serfTags = b.serfTags;
        this.serfKeyrings = b.serfKeyrings;
        this.root = new SplittableRandom(b.seed);
        this.net = new Network(this, root.split(), b.network);
        this.chaosRandom = root.split();
        this.userRandom = root.split();
        // Its own generator, so that turning signing on leaves every other stream of randomness as it was.
        this.ca = b.signing ? new SimulatedCa(new SplittableRandom(b.seed ^ 0x5167_4E1C_A000L), this::now) : null;
        this.trace = mixBits(b.seed ^ 0x5DEECE66DL);
        if (fullCheckIntervalNanos > 0) {
            queue.add(new Checkpoint(fullCheckIntervalNanos));
        }
    }

    /** A builder with the defaults: seed 0, LAN config and network, full checks every 10 s. */
    public static Builder builder() {
        return new Builder();
    }

    // =============================================================================================
    // Nodes
    // =============================================================================================

    /**
     * Adds a node (not started) with the simulation's default config.
     *
     * @throws IllegalArgumentException when the name is taken
     */
    public SimNode addNode(String name) {
        return addNode(name, defaultConfig);
    }

    /**
     * Adds a node (not started) with its own config.
     *
     * @throws IllegalArgumentException when the name is taken
     */
    public SimNode addNode(String name, MembershipConfig config) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(config, "config");
        if (serfConfig != null && (config.delegateProtocolMin() != SerfConfig.PROTOCOL_MIN
                || config.delegateProtocolMax() != SerfConfig.PROTOCOL_MAX
                || config.delegateProtocolVersion() != serfConfig.protocolVersion())) {
            config = config.toBuilder().delegateProtocol(SerfConfig.PROTOCOL_MIN, SerfConfig.PROTOCOL_MAX,
                    serfConfig.protocolVersion()).build();
        }
        if (byName.containsKey(name)) {
            throw new IllegalArgumentException("node name already used: " + name);
        }
        int id = nodes.size();
        if (id >= (1 << 24) - 2) {
            throw new IllegalStateException("too many nodes for the 10.0.0.0/8 address plan");
        }
        int host = id + 1;
        NodeAddress addr = NodeAddress.of(new byte[] {10, (byte) (host >>> 16), (byte) (host >>> 8), (byte) host},
                PORT);
        interner.register(name, addr, host);
        SimNode n = new SimNode(id, interner.name(name), interner.address(addr), config);
        nodes.add(n);
        byName.put(n.name, n);
        byAddress.put(n.address, n);
        return n;
    }

    /** Adds {@code count} nodes named {@code node-<id>} (ids continue from the current node count). */
    public List<SimNode> addNodes(int count) {
        List<SimNode> added = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            added.add(addNode("node-" + nodes.size()));
        }
        return added;
    }

    /**
     * The node called {@code name}.
     *
     * @throws IllegalArgumentException when there is none
     */
    public SimNode node(String name) {
        SimNode n = byName.get(name);
        if (n == null) {
            throw new IllegalArgumentException("no node named " + name);
        }
        return n;
    }

    /** Every node, in the order added. Unmodifiable live view. */
    public List<SimNode> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    /** Nodes that are running and not leaving (the ones everybody should see alive). */
    public List<SimNode> liveNodes() {
        List<SimNode> out = new ArrayList<>();
        for (SimNode n : nodes) {
            if (n.isLive()) {
                out.add(n);
            }
        }
        return out;
    }

    /** How many nodes are live. */
    public int liveCount() {
        int c = 0;
        for (SimNode n : nodes) {
            if (n.isLive()) {
                c++;
            }
        }
        return c;
    }

    /**
     * The node's latest core (see {@link SimNode#core()}), or {@code null} before its first start.
     * For calls that change the core, prefer {@link #call}.
     */
    public MembershipCore core(String name) {
        return node(name).core;
    }

    /**
     * Runs a user call on a running node's core now ({@code broadcast}, {@code updateMetadata},
     * {@code sendReliable}, ...), then checks its invariants and dispatches the events it emitted,
     * as after any simulated event. Exceptions from the action propagate (nothing is recorded).
     *
     * @throws IllegalStateException when the node is not running
     */
    public void call(String name, java.util.function.Consumer<MembershipCore> action) {
        SimNode n = requireRunning(name);
        try {
            action.accept(n.core);
        } finally {
            afterCall(n);
        }
    }

    /** True when every node runs a Serf layer ({@link Builder#serf}). */
    /**
     * Signing mode: the CA that issues the nodes' identities (to make attackers with their own
     * identities, or certificates from elsewhere).
     *
     * @throws IllegalStateException when the simulation is not in signing mode
     */
    public SimulatedCa ca() {
        if (ca == null) {
            throw new IllegalStateException("not in signing mode: Simulation.Builder.signing(true)");
        }
        return ca;
    }

    /**
     * Signing mode: gives {@code name} this identity instead of a fresh one from {@link #ca()},
     * from its next start on. The identity is kept across restarts.
     */
    public void identity(String name, dev.grapevine.membership.ClaimAuthority authority) {
        identities.put(name, authority);
    }

    public boolean serfEnabled() {
        return serfConfig != null;
    }

    /**
     * The node's latest Serf layer (see {@link SimNode#serf()}).
     *
     * @throws IllegalStateException when the simulation does not run Serf
     */
    public SerfCore serf(String name) {
        requireSerf();
        return node(name).serf;
    }

    /**
     * Runs a call on a running node's Serf layer now ({@code userEvent}, {@code query},
     * {@code installKey}, {@code setTags}, ...), then checks invariants and dispatches the events it
     * emitted, as after any simulated event. Exceptions from the action propagate.
     *
     * @throws IllegalStateException when the node is not running or Serf is off
     */
    public void serfCall(String name, Consumer<SerfCore> action) {
        requireSerf();
        SimNode n = requireRunning(name);
        try {
            action.accept(n.serf);
        } finally {
            afterCall(n);
        }
    }

    private void requireSerf() {
        if (serfConfig == null) {
            throw new IllegalStateException("the simulation does not run Serf (Builder.serf)");
        }
    }

    // =============================================================================================
    // Lifecycle
    // =============================================================================================

    /** Starts a node without joining anyone (the first node of a cluster). */
    public void start(String name) {
        start(name, List.of());
    }

    /**
     * Starts a node: builds its core, calls {@code start()}, then {@code join} with the addresses of
     * {@code seeds} (names of other nodes; skipped when empty).
     *
     * @throws IllegalStateException when the node is not {@link NodeStatus#NEW}
     */
    public void start(String name, Collection<String> seeds) {
        SimNode n = node(name);
        if (n.status != NodeStatus.NEW) {
            throw new IllegalStateException(name + " cannot start: it is " + n.status + " (use restart)");
        }
        boot(n, addresses(seeds));
    }

    /** Schedules {@link #start(String, Collection)} after {@code delay} of simulated time. */
    public void startAt(Duration delay, String name, Collection<String> seeds) {
        node(name);
        List<String> s = List.copyOf(seeds);
        schedule(delay, () -> start(name, s));
    }

    /**
     * Starts every {@link NodeStatus#NEW} node now, in the order added. Each joins those of
     * {@code seeds} that are running by then, other than itself (so the first seed starts alone).
     */
    public void startAllAndJoin(String... seeds) {
        for (String s : seeds) {
            node(s);
        }
        for (SimNode n : nodes) {
            if (n.status != NodeStatus.NEW) {
                continue;
            }
            List<String> use = new ArrayList<>();
            for (String s : seeds) {
                if (!s.equals(n.name) && byName.get(s).isRunning()) {
                    use.add(s);
                }
            }
            start(n.name, use);
        }
    }

    /**
     * Makes a running node join more seeds ({@link MembershipCore#join}).
     *
     * @return the join id (its {@code JoinCompleted} event carries it)
     */
    public long join(String name, Collection<String> seeds) {
        SimNode n = requireRunning(name);
        long id = 0;
        try {
            id = n.serf != null ? n.serf.join(addresses(seeds), false) : n.core.join(addresses(seeds));
        } catch (RuntimeException e) {
            coreThrew(n, "join", e);
        }
        afterCall(n);
        return id;
    }

    /**
     * Crashes a running node: from now on it handles nothing, its pending timers and deferred
     * deliveries are dropped, streams to it are refused, and it stops being slow or paused.
     */
    public void crash(String name) {
        SimNode n = requireRunning(name);
        stop(n, NodeStatus.CRASHED);
    }

    /** Restarts a crashed or left node with the seeds it was first started with. */
    public void restart(String name) {
        SimNode n = node(name);
        restartWith(n, n.seeds);
    }

    /**
     * Restarts a crashed or left node: a new core with the same name and address (its incarnation
     * starts over), which joins {@code seeds}.
     *
     * @throws IllegalStateException when the node is not crashed or left
     */
    public void restart(String name, Collection<String> seeds) {
        SimNode n = node(name);
        restartWith(n, addresses(seeds));
    }

    private void restartWith(SimNode n, List<NodeAddress> seeds) {
        if (!n.status.isDown()) {
            throw new IllegalStateException(n.name + " cannot restart: it is " + n.status);
        }
        n.restarts++;
        incarnations.resetObserver(n);
        incarnations.resetSubject(n);
        boot(n, seeds);
    }

    /**
     * Starts a graceful leave ({@link MembershipCore#leave}); once the core reports
     * {@code LeaveCompleted} the node is shut down and status becomes {@link NodeStatus#LEFT}. With
     * Serf it is Serf's leave ({@code timeout} unused: Serf waits {@code broadcastTimeout} for its
     * intent), and the node stops at Serf's {@code LeaveCompleted}.
     */
    public void leave(String name, Duration timeout) {
        SimNode n = requireRunning(name);
        try {
            if (n.serf != null) {
                n.serf.leave();
            } else {
                n.core.leave(timeout);
            }
        } catch (RuntimeException e) {
            coreThrew(n, "leave", e);
        }
        afterCall(n);
    }

    /**
     * Makes a node slow from now on (see {@link SlowProfile}); replaces any previous profile. The
     * first burst starts after a gap.
     */
    public void slow(String name, SlowProfile profile) {
        SimNode n = requireRunning(name);
        Objects.requireNonNull(profile, "profile");
        n.slowEpoch++;
        n.slowProfile = profile;
        if (n.inBurst) {
            n.inBurst = false;
            drain(n);
        }
        queue.add(new SlowToggle(now + draw(profile.gapMinNanos(), profile.gapMaxNanos()), n, n.slowEpoch, true));
    }

    /** Stops a node being slow; a burst in progress ends now and its deferred inputs are handled. */
    public void unslow(String name) {
        SimNode n = node(name);
        n.slowEpoch++;
        n.slowProfile = null;
        if (n.inBurst) {
            n.inBurst = false;
            drain(n);
        }
    }

    /**
     * Stops a running node like SIGSTOP: everything it would handle, timers included, waits until
     * {@link #resume}. Streams to it time out unless resumed in time.
     */
    public void pause(String name) {
        requireRunning(name).paused = true;
    }

    /** Continues a paused node: what it missed is handled now, in arrival order. */
    public void resume(String name) {
        SimNode n = node(name);
        if (n.paused) {
            n.paused = false;
            drain(n);
        }
    }

    private void boot(SimNode n, List<NodeAddress> seeds) {
        n.generation++;
        n.status = NodeStatus.RUNNING;
        n.startedAtNanos = now;
        n.seeds = List.copyOf(seeds);
        NodeHost host = new NodeHost(n);
        MembershipCore.Builder core = MembershipCore.builder()
                .config(n.config)
                .name(n.name)
                .advertise(n.address)
                .host(host)
                .clock(this::now)
                .random(root.split())
                .interner(interner)
                .expectedMembers(Math.max(16, nodes.size()));
        if (ca != null) {
            core.authority(identities.computeIfAbsent(n.name, ca::issue));
        }
        if (serfConfig != null) {
            n.serf = SerfCore.builder()
                    .config(serfConfig)
                    .tags(serfTags.apply(n.name))
                    .keyring(serfKeyrings.apply(n.name))
                    .host(host)
                    .clock(this::now)
                    .random(root.split())
                    .membership(core)
                    .build();
            n.core = n.serf.core();
        } else {
            n.core = core.build();
        }
        try {
            n.core.start();
        } catch (RuntimeException e) {
            coreThrew(n, "start", e);
        }
        afterCall(n);
        if (!seeds.isEmpty() && n.status == NodeStatus.RUNNING) {
            try {
                if (n.serf != null) {
                    n.serf.join(seeds, false);
                } else {
                    n.core.join(seeds);
                }
            } catch (RuntimeException e) {
                coreThrew(n, "join", e);
            }
            afterCall(n);
        }
    }

    private void stop(SimNode n, NodeStatus status) {
        n.status = status;
        n.generation++;
        n.deferred.clear();
        n.inBurst = false;
        n.paused = false;
        n.slowProfile = null;
        n.slowEpoch++;
        if (status == NodeStatus.LEFT) {
            if (n.serf != null) {
                n.serf.shutdown();
            } else {
                n.core.shutdown();
            }
        }
    }

    private SimNode requireRunning(String name) {
        SimNode n = node(name);
        if (n.status != NodeStatus.RUNNING) {
            throw new IllegalStateException(name + " is not running (" + n.status + ")");
        }
        return n;
    }

    private List<NodeAddress> addresses(Collection<String> seeds) {
        List<NodeAddress> out = new ArrayList<>(seeds.size());
        for (String s : seeds) {
            out.add(node(s).address);
        }
        return out;
    }

    // =============================================================================================
    // Network
    // =============================================================================================

    /** The network model in force (for links without an override). */
    public NetworkModel network() {
        return net.model;
    }

    /** Replaces the network model from now on (packets already in flight keep their fate). */
    public void network(NetworkModel model) {
        net.model = Objects.requireNonNull(model, "model");
    }

    /** Overrides the model for packets and streams from {@code from} to {@code to} (one direction). */
    public void link(String from, String to, NetworkModel model) {
        net.link(node(from), node(to), Objects.requireNonNull(model, "model"));
    }

    /** Removes every per-link override. */
    public void clearLinks() {
        net.clearLinks();
    }

    /**
     * Splits the network: packets and streams between nodes of different groups are dropped (a
     * stream then fails at its timeout). Group {@code i} of the list becomes partition {@code i+1};
     * nodes in no group form partition 0 together. Replaces any previous partition. Packets
     * already in flight across the new boundaries are dropped on arrival.
     *
     * @throws IllegalArgumentException when a node is in two groups
     */
    public void partition(List<? extends Collection<String>> groups) {
        Set<String> seen = new HashSet<>();
        for (Collection<String> g : groups) {
            for (String name : g) {
                node(name);
                if (!seen.add(name)) {
                    throw new IllegalArgumentException(name + " is in more than one partition group");
                }
            }
        }
        for (SimNode n : nodes) {
            n.partition = 0;
        }
        int i = 1;
        for (Collection<String> g : groups) {
            for (String name : g) {
                byName.get(name).partition = i;
            }
            i++;
        }
        mix(0x4000_0000L + groups.size());
    }

    /** Lifts any partition: every node is back in partition 0. */
    public void heal() {
        for (SimNode n : nodes) {
            n.partition = 0;
        }
        mix(0x4000_0000L);
    }

    /** The partition group of a node (0 when the network is whole). */
    public int partitionOf(String name) {
        return node(name).partition;
    }

    /** True when packets from {@code a} can reach {@code b} (same group and {@code b} running). */
    public boolean reachable(String a, String b) {
        SimNode x = node(a);
        SimNode y = node(b);
        return x.partition == y.partition && y.isRunning();
    }

    /**
     * Injects a packet as if node {@code from} had sent it to {@code to}: it goes through the
     * network model like any other (for hostile-input and network tests).
     */
    public void sendPacket(String from, NodeAddress to, byte[] packet) {
        net.send(node(from), Objects.requireNonNull(to, "to"), packet.clone());
    }

    /** Traffic totals so far. */
    public NetworkStats stats() {
        Network n = net;
        return new NetworkStats(n.packetsSent, n.bytesSent, n.packetsHandled, n.packetsLost, n.packetsDuplicated,
                n.packetsPartitioned, n.packetsToDown, n.streamsOpened, n.streamBytes, n.streamsServed,
                n.streamsReplied, n.streamsFailed, n.streamsRefused, n.streamsTimedOut, n.streamsPending);
    }

    // =============================================================================================
    // Time and running
    // =============================================================================================

    /** Simulated nanoseconds since the simulation was built (the cores' clock). */
    public long now() {
        return now;
    }

    /** {@link #now()} as a duration. */
    public Duration elapsed() {
        return Duration.ofNanos(now);
    }

    /** The seed the simulation was built with. */
    public long seed() {
        return seed;
    }

    /**
     * A generator for callers' own random choices (which node to crash, start times), split from
     * the root seed at build time, so such choices are part of the deterministic run.
     */
    public RandomGenerator random() {
        return userRandom;
    }

    /** Runs {@code action} on the simulation thread after {@code delay} of simulated time. */
    public void schedule(Duration delay, Runnable action) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative: " + delay);
        }
        scheduleAt(now + delay.toNanos(), action);
    }

    /** Runs {@code action} at simulated time {@code timeNanos} (now if already past). */
    public void scheduleAt(long timeNanos, Runnable action) {
        queue.add(new Action(Math.max(now, timeNanos), Objects.requireNonNull(action, "action")));
    }

    /**
     * Processes every event due within the next {@code duration} of simulated time, then sets the
     * clock to the end of that span.
     *
     * @return the number of events processed
     * @throws IllegalStateException when the event budget of one run ({@link Builder#maxEventsPerRun})
     *                               is exhausted, or when called from inside a run
     */
    public long runFor(Duration duration) {
        long before = eventsProcessed;
        enterRun();
        try {
            runTo(now + duration.toNanos(), before);
            endOfRunCheck();
        } finally {
            running = false;
        }
        return eventsProcessed - before;
    }

    /**
     * Runs until {@code condition} holds or {@code max} of simulated time has passed, checking the
     * condition now and then every poll interval ({@link Builder#pollInterval}, 100 ms by default),
     * so the condition may be moderately expensive. The clock stops at the first poll where it
     * held.
     *
     * @return whether the condition held
     */
    public boolean runUntil(BooleanSupplier condition, Duration max) {
        return runUntil(condition, max, Duration.ofNanos(pollIntervalNanos));
    }

    /** {@link #runUntil(BooleanSupplier, Duration)} with an explicit poll interval. */
    public boolean runUntil(BooleanSupplier condition, Duration max, Duration poll) {
        long pollNanos = poll.toNanos();
        if (pollNanos <= 0) {
            throw new IllegalArgumentException("poll interval must be positive: " + poll);
        }
        long before = eventsProcessed;
        enterRun();
        try {
            long deadline = now + max.toNanos();
            while (true) {
                if (condition.getAsBoolean()) {
                    endOfRunCheck();
                    return true;
                }
                if (now >= deadline) {
                    endOfRunCheck();
                    return false;
                }
                runTo(Math.min(deadline, now + pollNanos), before);
            }
        } finally {
            running = false;
        }
    }

    /**
     * Processes the single next event, moving the clock to its time.
     *
     * @return false when the queue is empty
     */
    public boolean step() {
        enterRun();
        try {
            Event e = queue.poll();
            if (e == null) {
                return false;
            }
            process(e);
            return true;
        } finally {
            running = false;
        }
    }

    /** Events processed since the simulation was built. */
    public long eventsProcessed() {
        return eventsProcessed;
    }

    /** Events waiting in the queue. */
    public int pendingEvents() {
        return queue.size();
    }

    /**
     * A 64-bit digest of everything that happened: every event's time, every packet's bytes, stream
     * outcomes, timers and the membership events cores emitted. Equal for equal runs.
     */
    public long traceHash() {
        return trace;
    }

    /** The full check at the end of a run, unless the periodic one just ran at this instant. */
    private void endOfRunCheck() {
        if (fullCheckIntervalNanos > 0 && lastFullCheck != now) {
            checkInvariants();
        }
    }

    private void enterRun() {
        if (running) {
            throw new IllegalStateException("the simulation is already running (called from a listener or action?)");
        }
        running = true;
    }

    private void runTo(long target, long eventsAtStart) {
        while (true) {
            Event e = queue.peek();
            if (e == null || e.time > target) {
                break;
            }
            queue.poll();
            process(e);
            if (eventsProcessed - eventsAtStart > maxEventsPerRun) {
                throw new IllegalStateException("event budget of " + maxEventsPerRun + " per run exhausted at t="
                        + now / 1e9 + " s");
            }
        }
        if (target > now) {
            now = target;
        }
    }

    private void process(Event e) {
        now = e.time;
        eventsProcessed++;
        if (!(e instanceof Action)) {
            mix(e.time); // callers' actions (samplers, probes of state) leave the trace alone
        }
        e.fire(this);
    }

    // =============================================================================================
    // Observation
    // =============================================================================================

    /** Adds a listener for every membership event of every core. */
    public void addListener(SimulationListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Adds a listener for every Serf event of every node.
     *
     * @throws IllegalStateException when the simulation does not run Serf
     */
    public void addSerfListener(SerfListener listener) {
        requireSerf();
        serfListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Adds a low-level network and timer observer. */
    public void addTap(NetworkTap tap) {
        taps.add(Objects.requireNonNull(tap, "tap"));
    }

    /** The first violations seen (at most 100), in order. */
    public List<Violation> violations() {
        return List.copyOf(violations);
    }

    /** How many violations were seen in all. */
    public long violationCount() {
        return violationCount;
    }

    /**
     * Runs {@code selfCheck(true)} on every running core now (the periodic check does the same),
     * recording violations.
     *
     * @return how many violations this check found
     */
    public int checkInvariants() {
        lastFullCheck = now;
        int found = 0;
        for (SimNode n : nodes) {
            if (n.status == NodeStatus.RUNNING) {
                String v;
                try {
                    v = n.core.selfCheck(true);
                    if (v == null && n.serf != null) {
                        v = n.serf.selfCheck();
                    }
                } catch (RuntimeException e) {
                    v = "selfCheck threw " + e;
                }
                if (v != null) {
                    violation(n, "full check: " + v);
                    found++;
                }
            }
        }
        return found;
    }

    /**
     * False positives so far: {@code MemberDown} events with state DEAD whose {@code declaredBy} is
     * the observer itself (its own suspicion timer fired) about a <em>healthy</em> node: running,
     * neither slow nor paused, and in the observer's partition group. One per such event.
     * Declarations about slow or paused nodes (which really are unresponsive for a while) are not
     * false positives here; {@link SimNode#falsePositivesAbout()} and
     * {@link SimNode#falsePositivesDeclared()} count every declaration about a running node, per
     * subject and per observer.
     */
    public long falsePositives() {
        return falsePositives;
    }

    /**
     * True when {@code name} is live and its view is right: every live node alive, and every
     * crashed or left node neither alive nor suspect (dead, left or forgotten). Nodes in the middle
     * of leaving may be seen either way. Costs O(crashed + left + leaving nodes).
     */
    public boolean converged(String name) {
        SimNode n = node(name);
        if (!n.isLive()) {
            return false;
        }
        View v = view();
        return converged(n, v);
    }

    /** True when every live node has {@linkplain #converged(String) converged}. */
    public boolean converged() {
        View v = view();
        if (v.live.isEmpty()) {
            return true;
        }
        int size = v.live.size();
        if (convergeCursor >= size) {
            convergeCursor = 0;
        }
        for (int i = 0; i < size; i++) {
            int idx = (convergeCursor + i) % size;
            if (!converged(v.live.get(idx), v)) {
                convergeCursor = idx;
                return false;
            }
        }
        return true;
    }

    /** The fraction of live nodes that have converged (1 when there are none). */
    public double convergedFraction() {
        View v = view();
        if (v.live.isEmpty()) {
            return 1.0;
        }
        int c = 0;
        for (SimNode n : v.live) {
            if (converged(n, v)) {
                c++;
            }
        }
        return (double) c / v.live.size();
    }

    private record View(List<SimNode> live, List<SimNode> down, List<SimNode> leaving) {
    }

    private View view() {
        List<SimNode> live = new ArrayList<>();
        List<SimNode> down = new ArrayList<>();
        List<SimNode> leaving = new ArrayList<>();
        for (SimNode n : nodes) {
            if (n.status == NodeStatus.RUNNING) {
                (n.isLeaving() ? leaving : live).add(n);
            } else if (n.status.isDown()) {
                down.add(n);
            }
        }
        return new View(live, down, leaving);
    }

    private static boolean converged(SimNode n, View v) {
        MembershipCore c = n.core;
        int alive = c.count(MemberState.ALIVE);
        for (SimNode l : v.leaving) {
            if (c.state(l.name) == MemberState.ALIVE) {
                alive--;
            }
        }
        if (alive != v.live.size()) {
            return false;
        }
        for (SimNode d : v.down) {
            MemberState s = c.state(d.name);
            if (s == MemberState.ALIVE || s == MemberState.SUSPECT) {
                return false;
            }
        }
        return true;
    }

    // =============================================================================================
    // Internals: core calls, emitted events, invariants
    // =============================================================================================

    /** Queues an inbound item, or hands it over now when the node is not stalled. */
    void deliverOrDefer(Delivery d) {
        SimNode n = d.node;
        if (n.deferring()) {
            n.deferred.add(d);
            n.deferredTotal++;
        } else {
            d.deliver(this);
        }
    }

    /** Hands over everything deferred, in arrival order, while the node is not stalled. */
    private void drain(SimNode n) {
        while (!n.deferred.isEmpty() && !n.deferring() && n.status == NodeStatus.RUNNING) {
            n.deferred.poll().deliver(this);
        }
    }

    /** After every core call: the quick self-check, then the events it emitted. */
    void afterCall(SimNode n) {
        String v;
        try {
            v = n.core.selfCheck(false);
        } catch (RuntimeException e) {
            v = "selfCheck threw " + e;
        }
        if (v != null) {
            violation(n, v);
        }
        while (!n.emitted.isEmpty() || !n.serfEmitted.isEmpty()) {
            if (!n.emitted.isEmpty()) {
                List<MembershipEvent> batch = new ArrayList<>(n.emitted);
                n.emitted.clear();
                for (MembershipEvent e : batch) {
                    onEmitted(n, e);
                }
            }
            if (!n.serfEmitted.isEmpty()) {
                List<SerfEvent> batch = new ArrayList<>(n.serfEmitted);
                n.serfEmitted.clear();
                for (SerfEvent e : batch) {
                    onSerfEmitted(n, e);
                }
            }
        }
    }

    private void onSerfEmitted(SimNode observer, SerfEvent e) {
        long h = 0x5800_0000L ^ ((long) observer.id << 32) ^ e.getClass().getSimpleName().hashCode();
        if (e instanceof SerfEvent.User u) {
            h ^= u.name().hashCode() ^ (u.ltime() << 20);
        } else if (e instanceof SerfEvent.MemberJoin j) {
            h ^= j.member().name().hashCode();
        } else if (e instanceof SerfEvent.MemberLeave l) {
            h ^= l.member().name().hashCode();
        } else if (e instanceof SerfEvent.MemberFailed f) {
            h ^= f.member().name().hashCode();
        } else if (e instanceof SerfEvent.MemberReap r) {
            h ^= r.member().name().hashCode();
        } else if (e instanceof SerfEvent.QueryResponse r) {
            h ^= r.from().hashCode() ^ r.query().ltime();
        } else if (e instanceof SerfEvent.QueryAck a) {
            h ^= a.from().hashCode() ^ a.query().ltime();
        }
        mix(h);
        for (SerfListener l : serfListeners) {
            l.onEvent(now, observer.name, e);
        }
        if (observer.serf != null && observer.status == NodeStatus.RUNNING) {
            String v = observer.serf.selfCheck();
            if (v != null) {
                violation(observer, "serf: " + v);
            }
        }
        if (e instanceof SerfEvent.LeaveCompleted && observer.status == NodeStatus.RUNNING) {
            stop(observer, NodeStatus.LEFT);
        }
    }

    void coreThrew(SimNode n, String call, RuntimeException e) {
        StackTraceElement[] st = e.getStackTrace();
        violation(n, call + " threw " + e + (st.length > 0 ? " at " + st[0] : ""));
    }

    private void violation(SimNode n, String message) {
        violationCount++;
        if (violations.size() < MAX_RECORDED_VIOLATIONS) {
            violations.add(new Violation(now, n.name, message));
        }
    }

    private void onEmitted(SimNode observer, MembershipEvent e) {
        if (e instanceof MembershipEvent.MemberJoined j) {
            memberEvent(observer, 1, j.member().name(), j.member().state(), j.member().incarnation());
        } else if (e instanceof MembershipEvent.MemberUpdated u) {
            memberEvent(observer, 2, u.member().name(), u.member().state(), u.member().incarnation());
        } else if (e instanceof MembershipEvent.MemberDown d) {
            memberEvent(observer, 3, d.member().name(), d.member().state(), d.member().incarnation());
            SimNode s = byName.get(d.member().name());
            if (s != null) {
                if (d.member().state() == MemberState.DEAD) {
                    if (d.declaredBy().equals(observer.name) && s.status == NodeStatus.RUNNING
                            && s.partition == observer.partition) {
                        s.falsePositivesAbout++;
                        observer.falsePositivesDeclared++;
                        if (!s.isSlow() && !s.isPaused()) {
                            falsePositives++;
                        }
                    }
                }
            }
        } else if (e instanceof MembershipEvent.NameConflict c) {
            mix(0x5400_0000L ^ ((long) observer.id << 32) ^ c.existing().name().hashCode());
        } else if (e instanceof MembershipEvent.UserMessage m) {
            mix(0x5500_0000L ^ ((long) observer.id << 32) ^ java.util.Arrays.hashCode(m.payload()));
        } else if (e instanceof MembershipEvent.JoinCompleted jc) {
            mix(0x5600_0000L ^ ((long) observer.id << 32) ^ jc.joinId() ^ ((long) jc.contacted() << 20));
        } else if (e instanceof MembershipEvent.LeaveCompleted lc) {
            mix(0x5700_0000L ^ ((long) observer.id << 32) ^ (lc.propagated() ? 1 : 0));
        }
        for (SimulationListener l : listeners) {
            l.onEvent(now, observer.name, e);
        }
        if (e instanceof MembershipEvent.LeaveCompleted && observer.status == NodeStatus.RUNNING
                && observer.serf == null) {
            stop(observer, NodeStatus.LEFT); // with Serf, the node stops at Serf's LeaveCompleted
        }
    }

    private void memberEvent(SimNode observer, int kind, String subject, MemberState state, long incarnation) {
        mix(((long) kind << 60) ^ ((long) observer.id << 32) ^ subject.hashCode() ^ ((long) state.ordinal() << 56)
                ^ (incarnation << 8));
        if (trackIncarnations) {
            SimNode s = byName.get(subject);
            if (s != null) {
                String v = incarnations.observe(observer, s, incarnation, nodes.size());
                if (v != null) {
                    violation(observer, v);
                }
            }
        }
    }

    void mix(long x) {
        trace = mixBits(trace ^ x);
    }

    private static long mixBits(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private long draw(long min, long max) {
        return min == max ? min : chaosRandom.nextLong(min, max + 1);
    }

    /** The effects interface of one node's current core: everything is queued, nothing re-enters. */
    private final class NodeHost implements Host, SerfHost {
        private final SimNode node;
        private final int generation;

        NodeHost(SimNode node) {
            this.node = node;
            this.generation = node.generation;
        }

        private boolean current() {
            return node.generation == generation && node.status == NodeStatus.RUNNING;
        }

        @Override
        public void sendPacket(NodeAddress to, byte[] packet) {
            if (current()) {
                net.send(node, to, packet);
            }
        }

        @Override
        public void openStream(StreamRequest request) {
            if (current()) {
                net.open(node, request);
            }
        }

        @Override
        public void schedule(Timer timer, long delayNanos) {
            if (current()) {
                queue.add(new TimerEvent(now + Math.max(0, delayNanos), node, generation, timer));
            }
        }

        @Override
        public void emit(MembershipEvent event) {
            if (node.generation == generation) {
                node.emitted.add(event);
            }
        }

        @Override
        public void emit(SerfEvent event) {
            if (node.generation == generation) {
                node.serfEmitted.add(event);
            }
        }
    }

    // =============================================================================================
    // Events owned by the simulation
    // =============================================================================================

    /** A timer coming due for one core. */
    private final class TimerEvent extends Delivery {
        final int generation;
        final Timer timer;
        final long due;

        TimerEvent(long time, SimNode node, int generation, Timer timer) {
            super(time, node);
            this.generation = generation;
            this.timer = timer;
            this.due = time;
        }

        @Override
        void fire(Simulation s) {
            if (node.generation != generation || node.status != NodeStatus.RUNNING) {
                return;
            }
            if (node.paused) {
                node.deferred.add(this);
                node.deferredTotal++;
            } else {
                deliver(s);
            }
        }

        @Override
        void deliver(Simulation s) {
            mix(0x6000_0000L ^ ((long) node.id << 32) ^ timer.kind().ordinal());
            for (NetworkTap t : taps) {
                t.timerFired(node.name, timer, due, now);
            }
            try {
                node.core.handleTimer(timer);
            } catch (RuntimeException e) {
                coreThrew(node, "handleTimer(" + timer + ")", e);
            }
            afterCall(node);
        }
    }

    /** A caller's action. */
    private static final class Action extends Event {
        final Runnable action;

        Action(long time, Runnable action) {
            super(time);
            this.action = action;
        }

        @Override
        void fire(Simulation s) {
            action.run();
        }
    }

    /** Start or end of a slow node's burst. */
    private final class SlowToggle extends Event {
        final SimNode node;
        final int epoch;
        final boolean begin;

        SlowToggle(long time, SimNode node, int epoch, boolean begin) {
            super(time);
            this.node = node;
            this.epoch = epoch;
            this.begin = begin;
        }

        @Override
        void fire(Simulation s) {
            SlowProfile p = node.slowProfile;
            if (node.slowEpoch != epoch || p == null || node.status != NodeStatus.RUNNING) {
                return;
            }
            mix(0x7000_0000L ^ ((long) node.id << 32) ^ (begin ? 1 : 0));
            if (begin) {
                node.inBurst = true;
                node.burstsStarted++;
                queue.add(new SlowToggle(now + draw(p.burstMinNanos(), p.burstMaxNanos()), node, epoch, false));
            } else {
                node.inBurst = false;
                queue.add(new SlowToggle(now + draw(p.gapMinNanos(), p.gapMaxNanos()), node, epoch, true));
                drain(node);
            }
        }
    }

    /** The periodic full self-check of every running core. */
    private final class Checkpoint extends Event {
        Checkpoint(long time) {
            super(time);
        }

        @Override
        void fire(Simulation s) {
            checkInvariants();
            queue.add(new Checkpoint(now + fullCheckIntervalNanos));
        }
    }

    // =============================================================================================
    // Builder
    // =============================================================================================

    /**
     * Builds a {@link Simulation}. Setters validate and name the bad field. Not thread-safe.
     */
    public static final class Builder {
        private long seed;
        private MembershipConfig config = MembershipConfig.lan();
        private NetworkModel network = NetworkModel.lan();
        private Duration fullCheckInterval = Duration.ofSeconds(10);
        private long maxEventsPerRun = 2_000_000_000L;
        private Duration pollInterval = Duration.ofMillis(100);
        private boolean trackIncarnations = true;
        private SerfConfig serfConfig;
        private boolean signing;
        private Function<String, Map<String, String>> serfTags = name -> Map.of();
        private Function<String, KeyringOps> serfKeyrings = name -> null;

        private Builder() {
        }

        /**
         * Runs a Serf layer with these settings on every node (default: none). Node configs get the
         * delegate versions Serf needs, {@code (2, 5, protocolVersion)}.
         */
        /**
         * Signing mode: every node gets an identity from a simulated CA and signs its claims
         * ({@link MembershipCore.Builder#authority}). Default off.
         */
        public Builder signing(boolean v) {
            signing = v;
            return this;
        }

        public Builder serf(SerfConfig v) {
            serfConfig = Objects.requireNonNull(v, "serf");
            return this;
        }

        /** Each node's initial Serf tags, by node name. Default: none. */
        public Builder serfTags(Function<String, Map<String, String>> v) {
            serfTags = Objects.requireNonNull(v, "serfTags");
            return this;
        }

        /** Each node's keyring for Serf's key queries, by node name ({@code null}: none). Default: none. */
        public Builder serfKeyrings(Function<String, KeyringOps> v) {
            serfKeyrings = Objects.requireNonNull(v, "serfKeyrings");
            return this;
        }

        /** The root seed of every random choice. Default 0. */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /** The config of nodes added without one. Default {@link MembershipConfig#lan()}. */
        public Builder config(MembershipConfig v) {
            config = Objects.requireNonNull(v, "config");
            return this;
        }

        /** The initial network model. Default {@link NetworkModel#lan()}. */
        public Builder network(NetworkModel v) {
            network = Objects.requireNonNull(v, "network");
            return this;
        }

        /**
         * Period of the full {@code selfCheck(true)} of all cores, which also runs at the end of each
         * run call; zero disables both. Default 10 s.
         */
        public Builder fullCheckInterval(Duration v) {
            if (v == null || v.isNegative()) {
                throw new IllegalArgumentException("fullCheckInterval must be a non-negative duration, got " + v);
            }
            fullCheckInterval = v;
            return this;
        }

        /** The most events one run call may process before it throws. Default 2 billion. */
        public Builder maxEventsPerRun(long v) {
            if (v <= 0) {
                throw new IllegalArgumentException("maxEventsPerRun must be positive, got " + v);
            }
            maxEventsPerRun = v;
            return this;
        }

        /** How often {@link Simulation#runUntil(BooleanSupplier, Duration)} checks its condition. Default 100 ms. */
        public Builder pollInterval(Duration v) {
            if (v == null || v.isNegative() || v.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive, got " + v);
            }
            pollInterval = v;
            return this;
        }

        /**
         * Whether to check that observed incarnations never go down (costs 4 bytes per observer and
         * subject, allocated on first use). Default on.
         */
        public Builder trackIncarnations(boolean v) {
            trackIncarnations = v;
            return this;
        }

        /** Builds the simulation (time 0, no nodes). */
        public Simulation build() {
            return new Simulation(this);
        }
    }
}
