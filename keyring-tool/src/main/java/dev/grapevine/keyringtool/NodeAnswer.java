package dev.grapevine.keyringtool;

import java.util.List;

/**
 * One member's answer to a key query, as Serf's {@code nodeKeyResponse}: success or the member's
 * error message, and for list-keys its keys (base64, as on the wire) and primary key.
 *
 * <p>Immutable.
 *
 * @param node    the member's name
 * @param status  answered successfully, answered with an error, or did not answer
 * @param message the member's message (an error, or a warning of a success), sanitised; "" for none
 * @param keys    list-keys: the member's keys in base64; empty otherwise
 * @param primary list-keys: the member's primary key in base64; "" otherwise
 */
record NodeAnswer(String node, Status status, String message, List<String> keys, String primary) {

    /** How a member answered. */
    enum Status {
        /** {@code Result: true}. */
        OK,
        /** {@code Result: false}, or an answer that does not decode. */
        ERROR,
        /** Nothing came back before the query's deadline. */
        NO_ANSWER
    }

    NodeAnswer {
        keys = List.copyOf(keys);
    }

    static NodeAnswer none(String node) {
        return new NodeAnswer(node, Status.NO_ANSWER, "", List.of(), "");
    }

    boolean ok() {
        return status == Status.OK;
    }

    /** Whether the member reported holding {@code base64Key} (list-keys). */
    boolean has(String base64Key) {
        return status == Status.OK && keys.contains(base64Key);
    }

    /** Whether the member reported {@code base64Key} as its primary key (list-keys). */
    boolean primaryIs(String base64Key) {
        return status == Status.OK && primary.equals(base64Key);
    }

    /** Why this member is not done, for reports: its error, or "did not answer". */
    String problem() {
        return switch (status) {
            case NO_ANSWER -> "did not answer";
            case ERROR -> message.isEmpty() ? "reported failure" : message;
            case OK -> message.isEmpty() ? "ok" : message;
        };
    }

    /** No key material in the record's text: key counts only. */
    @Override
    public String toString() {
        return "NodeAnswer[" + node + " " + status + (message.isEmpty() ? "" : " '" + message + "'")
                + (keys.isEmpty() ? "" : " " + keys.size() + " keys") + "]";
    }
}
