package dev.grapevine.serf;

import java.util.Map;

/**
 * The aggregate answer to a cluster-wide key operation, as Serf's {@code KeyManager} builds it
 * ({@code serf.KeyResponse}).
 *
 * <p>Immutable (the maps are unmodifiable copies); safe to share between threads.
 *
 * @param messages    node name → the message it sent (errors, and warnings of successful nodes)
 * @param numNodes    alive members when the query started (memberlist's {@code NumMembers})
 * @param numResp     responses received
 * @param numErr      responses that were not a successful key response
 * @param keys        list-keys: base64 key → how many nodes have it installed
 * @param primaryKeys base64 primary key → how many nodes use it ({@code ""} counts the responses of
 *                    install, use and remove, which carry no primary key, as Serf counts them)
 * @param error       Serf's error for the whole operation ({@code "N/M nodes reported failure"},
 *                    {@code "N/M nodes reported success"}), or {@code null} when every node
 *                    answered successfully
 */
public record KeyResponse(Map<String, String> messages, int numNodes, int numResp, int numErr,
                          Map<String, Integer> keys, Map<String, Integer> primaryKeys, String error) {

    /** Copies the maps. */
    public KeyResponse {
        messages = Map.copyOf(messages);
        keys = Map.copyOf(keys);
        primaryKeys = Map.copyOf(primaryKeys);
    }

    /** True when every node answered and none reported an error. */
    public boolean ok() {
        return error == null;
    }
}
