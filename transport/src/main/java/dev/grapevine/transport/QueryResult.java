package dev.grapevine.transport;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What came back for one query by its deadline: who acknowledged it and who answered what, in
 * order of arrival, one entry per node. Immutable (the arrays are copies).
 *
 * @param name      the query's name
 * @param acks      nodes that acknowledged it (only when acks were requested)
 * @param responses answers by node name
 */
public record QueryResult(String name, List<String> acks, Map<String, byte[]> responses) {

    /** Copies the collections. */
    public QueryResult {
        acks = List.copyOf(acks);
        Map<String, byte[]> copy = new LinkedHashMap<>();
        responses.forEach((k, v) -> copy.put(k, v.clone()));
        responses = Collections.unmodifiableMap(copy);
    }
}
