package dev.grapevine.keyringtool;

import dev.grapevine.crypto.Keyring;
import dev.grapevine.serf.KeyOperation;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * An in-memory cluster for {@link Rotation}: members with real {@link Keyring}s answering key
 * queries as Serf does, members that do not answer (paused, partitioned) or whose answers are lost,
 * and a check, at every use and remove sent, that it cannot cut off any member (silent ones
 * included): a use needs every member to hold the key; a remove needs no member to use it.
 */
final class FakeCluster implements KeyCluster {
    final Map<String, Keyring> members = new TreeMap<>();
    /** Members that neither apply queries nor answer. */
    final Set<String> silent = new HashSet<>();
    /** Members that apply queries but whose answers are lost. */
    final Set<String> answersLost = new HashSet<>();
    /** Members without encryption: they answer every key query with Serf's error. */
    final Set<String> noKeyring = new HashSet<>();
    final Set<String> failedMembers = new TreeSet<>();
    /** Every query sent: "OP a,b,c". */
    final List<String> log = new ArrayList<>();
    /** Unsafe queries seen (a use or remove that would cut a member off). */
    final List<String> violations = new ArrayList<>();
    /** Called before each query with the count of queries so far (to change the cluster mid-rotation). */
    java.util.function.IntConsumer beforeAsk = n -> { };
    /** Called at each {@link #required} with the count of calls so far. */
    java.util.function.IntConsumer onRequired = n -> { };
    private int requiredCalls;

    FakeCluster member(String name, byte[]... keys) {
        members.put(name, Keyring.create(List.of(keys), null));
        return this;
    }

    @Override
    public Set<String> required(boolean includeFailed) {
        onRequired.accept(requiredCalls++);
        Set<String> out = new TreeSet<>(members.keySet());
        if (!includeFailed) {
            out.removeAll(failedMembers);
        }
        return out;
    }

    @Override
    public Set<String> failed() {
        return new TreeSet<>(failedMembers);
    }

    long count(KeyOperation op) {
        return log.stream().filter(l -> l.startsWith(op.name() + " ")).count();
    }

    @Override
    public Answers ask(KeyOperation op, byte[] key, Collection<String> targets, String what) {
        beforeAsk.accept(log.size());
        log.add(op + " " + String.join(",", new TreeSet<>(targets)));
        if (op == KeyOperation.USE) {
            check("use", m -> !m.contains(key));
        } else if (op == KeyOperation.REMOVE) {
            check("remove", m -> m.primaryKey().map(p -> java.util.Arrays.equals(p, key)).orElse(false));
        }
        Map<String, NodeAnswer> got = new HashMap<>();
        for (String n : targets) {
            Keyring ring = members.get(n);
            if (ring == null || silent.contains(n)) {
                continue;
            }
            NodeAnswer a = apply(n, ring, op, key);
            if (!answersLost.contains(n)) {
                got.put(n, a);
            }
        }
        return new Answers(targets, got);
    }

    /** Records a violation when a member satisfies {@code cutOff} at the moment a query is sent. */
    private void check(String what, Predicate<Keyring> cutOff) {
        for (Map.Entry<String, Keyring> e : members.entrySet()) {
            if (!noKeyring.contains(e.getKey()) && cutOff.test(e.getValue())) {
                violations.add(what + " sent while " + e.getKey() + " would be cut off");
            }
        }
    }

    private NodeAnswer apply(String n, Keyring ring, KeyOperation op, byte[] key) {
        if (noKeyring.contains(n)) {
            return new NodeAnswer(n, NodeAnswer.Status.ERROR, op == KeyOperation.LIST
                    ? "Keyring is empty (encryption not enabled)" : "No keyring to modify (encryption not enabled)",
                    List.of(), "");
        }
        String err = switch (op) {
            case INSTALL -> ring.install(key);
            case USE -> ring.use(key);
            case REMOVE -> ring.remove(key);
            case LIST -> null;
        };
        if (err != null) {
            return new NodeAnswer(n, NodeAnswer.Status.ERROR, err, List.of(), "");
        }
        if (op != KeyOperation.LIST) {
            return new NodeAnswer(n, NodeAnswer.Status.OK, "", List.of(), "");
        }
        List<String> keys = new ArrayList<>();
        ring.keys().forEach(k -> keys.add(Keys.encode(k)));
        return new NodeAnswer(n, NodeAnswer.Status.OK, "", keys, ring.primaryKey().map(Keys::encode).orElse(""));
    }

    /** The member's keys in base64, primary first. */
    List<String> keysOf(String n) {
        List<String> out = new ArrayList<>();
        members.get(n).keys().forEach(k -> out.add(Keys.encode(k)));
        return out;
    }
}
