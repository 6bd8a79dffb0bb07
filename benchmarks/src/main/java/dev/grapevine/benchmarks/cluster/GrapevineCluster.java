package dev.grapevine.benchmarks.cluster;

import dev.grapevine.benchmarks.cluster.Observations.Kind;
import dev.grapevine.membership.MembershipConfig;
import dev.grapevine.serf.SerfConfig;
import dev.grapevine.serf.SerfEvent;
import dev.grapevine.transport.GrapevineNode;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * N Grapevine nodes in Serf mode, in this JVM, each bound to 127.0.0.1 on a port the OS picks
 * (port 0), at {@link MembershipConfig#lan()} and {@link SerfConfig#defaults()}: the settings of a
 * {@code serf agent -profile=lan}. Each node's Serf listener timestamps its member and user events.
 */
final class GrapevineCluster implements Cluster {
    private final List<GrapevineNode> nodes = new CopyOnWriteArrayList<>();
    private final List<String> names = new CopyOnWriteArrayList<>();
    private volatile String leaveOutcome;
    private volatile boolean closed;
    private long heapBaseline;

    @Override
    public String system() {
        return "grapevine";
    }

    @Override
    public void start(int n, Observations obs) {
        heapBaseline = usedHeapAfterGc();
        for (int i = 0; i < n; i++) {
            if (closed) {
                throw new IllegalStateException("stopped");
            }
            String name = String.format("gv-%02d", i);
            GrapevineNode node = GrapevineNode.builder().name(name).bind("127.0.0.1:0")
                    .config(MembershipConfig.lan()).serf(SerfConfig.defaults()).tags(Map.of())
                    .serfListener(ev -> record(obs, name, ev)).start();
            nodes.add(node);
            names.add(name);
            if (closed) {
                node.close();
                throw new IllegalStateException("stopped");
            }
        }
    }

    private static void record(Observations obs, String observer, SerfEvent ev) {
        long now = System.nanoTime();
        if (ev instanceof SerfEvent.MemberJoin e) {
            obs.add(observer, Kind.JOIN, e.member().name(), now);
        } else if (ev instanceof SerfEvent.MemberLeave e) {
            obs.add(observer, Kind.LEAVE, e.member().name(), now);
        } else if (ev instanceof SerfEvent.MemberFailed e) {
            obs.add(observer, Kind.FAILED, e.member().name(), now);
        } else if (ev instanceof SerfEvent.MemberReap e) {
            obs.add(observer, Kind.REAP, e.member().name(), now);
        } else if (ev instanceof SerfEvent.MemberUpdate e) {
            obs.add(observer, Kind.UPDATE, e.member().name(), now);
        } else if (ev instanceof SerfEvent.User e) {
            obs.add(observer, Kind.USER, e.name(), now);
        }
    }

    @Override
    public List<String> names() {
        return List.copyOf(names);
    }

    @Override
    public Callable<Integer> joinTask(int i) {
        GrapevineNode node = nodes.get(i);
        String seed = "127.0.0.1:" + nodes.get(0).boundAddress().getPort();
        return () -> node.join(seed);
    }

    @Override
    public void userEvent(int origin, String name, byte[] payload) {
        nodes.get(origin).userEvent(name, payload, false);
    }

    @Override
    public void crash(int i) {
        nodes.get(i).close(); // abrupt: no leave
    }

    @Override
    public void leave(int i) {
        leaveOutcome = null;
        GrapevineNode node = nodes.get(i);
        Thread t = new Thread(() -> {
            String outcome;
            try {
                outcome = node.leave(Duration.ofSeconds(15)) ? "ok" : "leave not propagated within 15 s";
            } catch (RuntimeException e) {
                outcome = "leave failed: " + e;
            }
            node.close();
            leaveOutcome = outcome;
        }, "leave-" + node.name());
        t.setDaemon(true);
        t.start();
    }

    @Override
    public String leaveOutcome() {
        return leaveOutcome;
    }

    @Override
    public Map<String, Long> cpuTicks() {
        long t = ProcStats.cpuTicks(ProcessHandle.current().pid());
        return t < 0 ? Map.of() : Map.of("jvm", t);
    }

    @Override
    public Memory memory() {
        long used = usedHeapAfterGc();
        long rssKb = ProcStats.vmRssKb(ProcessHandle.current().pid());
        double perNode = nodes.isEmpty() ? -1 : (used - heapBaseline) / 1024.0 / 1024.0 / nodes.size();
        return new Memory(perNode, "heap", -1, rssKb < 0 ? -1 : rssKb / 1024.0, directBytes() / 1024.0 / 1024.0);
    }

    /** Direct buffers: the JDK's pool, plus Netty's own count when it allocates without the JDK's cleaner. */
    private static long directBytes() {
        long jdk = 0;
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                jdk = Math.max(0, b.getMemoryUsed());
            }
        }
        long netty = io.netty.util.internal.PlatformDependent.usedDirectMemory();
        return jdk + Math.max(0, netty);
    }

    @Override
    public long ownBytesSent() {
        long sum = 0;
        for (GrapevineNode n : nodes) {
            sum += n.metrics().packetBytesSent(); // the last snapshot after close
        }
        return sum;
    }

    @Override
    public void close() {
        closed = true;
        List<Thread> closers = new java.util.ArrayList<>();
        for (GrapevineNode n : nodes) {
            Thread t = new Thread(n::close, "close-" + n.name());
            t.setDaemon(true);
            t.start();
            closers.add(t);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Thread t : closers) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
