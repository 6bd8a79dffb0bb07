package dev.grapevine.benchmarks.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every node reported, and when: one list of timestamped observations per observing node,
 * filled from Serf agents' log lines or Grapevine listeners, on any thread. The questions the
 * benchmark asks (when did this node first see everyone alive, when did it first see X failed) are
 * answered from these lists.
 */
final class Observations {

    /** What a node reported about a member (or, for {@link #USER}, a user event's name). */
    enum Kind {
        JOIN, LEAVE, FAILED, UPDATE, REAP, USER
    }

    /** One report: when (System.nanoTime), what, about whom. */
    record Obs(long nanos, Kind kind, String subject) {
    }

    private final Map<String, List<Obs>> byObserver = new ConcurrentHashMap<>();

    /** Records that {@code observer} reported {@code kind} about {@code subject} at {@code nanos}. */
    void add(String observer, Kind kind, String subject, long nanos) {
        List<Obs> list = byObserver.computeIfAbsent(observer, k -> new ArrayList<>());
        synchronized (list) {
            list.add(new Obs(nanos, kind, subject));
        }
    }

    /** A copy of what {@code observer} reported, in time order. */
    List<Obs> of(String observer) {
        List<Obs> list = byObserver.get(observer);
        if (list == null) {
            return List.of();
        }
        List<Obs> copy;
        synchronized (list) {
            copy = new ArrayList<>(list);
        }
        copy.sort(Comparator.comparingLong(Obs::nanos));
        return copy;
    }

    /**
     * The first time {@code observer} held every name of {@code all} alive at once (itself counted
     * as alive), replaying its joins, failures, leaves and reaps in order; -1 if it never did.
     */
    long allAliveAt(String observer, Collection<String> all) {
        Set<String> wanted = new HashSet<>(all);
        wanted.remove(observer);
        Set<String> alive = new HashSet<>();
        if (wanted.isEmpty()) {
            return 0;
        }
        for (Obs o : of(observer)) {
            switch (o.kind()) {
                case JOIN -> alive.add(o.subject());
                case LEAVE, FAILED, REAP -> alive.remove(o.subject());
                default -> {
                    continue;
                }
            }
            if (alive.containsAll(wanted)) {
                return o.nanos();
            }
        }
        return -1;
    }

    /** The first time at or after {@code since} that {@code observer} reported {@code kind} about {@code subject}; -1 if none. */
    long first(String observer, Kind kind, String subject, long since) {
        for (Obs o : of(observer)) {
            if (o.nanos() >= since && o.kind() == kind && o.subject().equals(subject)) {
                return o.nanos();
            }
        }
        return -1;
    }
}
