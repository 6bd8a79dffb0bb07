package dev.grapevine.keyringtool;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The answers to one key query round: every member asked, with its {@link NodeAnswer} (members that
 * did not answer included), and members that answered although not asked by name. Sorted by name.
 *
 * <p>Immutable.
 */
final class Answers {
    private final Map<String, NodeAnswer> byNode;
    private final Set<String> asked;

    Answers(Collection<String> asked, Map<String, NodeAnswer> received) {
        TreeMap<String, NodeAnswer> all = new TreeMap<>(received);
        for (String n : asked) {
            all.putIfAbsent(n, NodeAnswer.none(n));
        }
        this.byNode = Collections.unmodifiableMap(all);
        this.asked = Collections.unmodifiableSet(new TreeSet<>(asked));
    }

    /** Every member asked or answering, by name. */
    Map<String, NodeAnswer> byNode() {
        return byNode;
    }

    /** The members asked. */
    Set<String> asked() {
        return asked;
    }

    /** How many members are counted: those asked plus any other that answered. */
    int total() {
        return byNode.size();
    }

    /** The answer of {@code node} (NO_ANSWER when it did not answer or was not asked). */
    NodeAnswer of(String node) {
        NodeAnswer a = byNode.get(node);
        return a != null ? a : NodeAnswer.none(node);
    }

    /** Members that answered successfully. */
    int okCount() {
        return (int) byNode.values().stream().filter(NodeAnswer::ok).count();
    }

    /** Members that answered (successfully or not). */
    int answeredCount() {
        return (int) byNode.values().stream().filter(a -> a.status() != NodeAnswer.Status.NO_ANSWER).count();
    }

    /** Members that failed or did not answer, by name. */
    List<NodeAnswer> problems() {
        List<NodeAnswer> out = new ArrayList<>();
        for (NodeAnswer a : byNode.values()) {
            if (!a.ok()) {
                out.add(a);
            }
        }
        return out;
    }

    /** True when every member counted answered successfully. */
    boolean allOk() {
        return okCount() == total();
    }
}
