package dev.grapevine.serf;

import dev.grapevine.membership.wire.DecodeResult;
import dev.grapevine.membership.wire.SerfCodec;
import dev.grapevine.membership.wire.SerfPayload;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A cluster-wide key operation this node started ({@link SerfCore#installKey} and friends): a
 * {@code _serf_*-key} query whose responses are aggregated the way Serf's {@code KeyManager} does.
 * It completes, with one {@link SerfEvent.KeyQueryDone}, as soon as every alive member (counted
 * when it started) has answered, or at the query's deadline.
 *
 * <p>Not thread-safe: read it on the core's thread.
 */
public final class KeyQuery {
    private final KeyOperation operation;
    private final int numNodes;
    private final SerfCore serf;
    private final Map<String, String> messages = new LinkedHashMap<>();
    private final Map<String, Integer> keys = new LinkedHashMap<>();
    private final Map<String, Integer> primaryKeys = new LinkedHashMap<>();
    private int numResp;
    private int numErr;
    private QueryHandle query;
    private KeyResponse result;
    /** Receives the query's answers (kept off this class's public surface). */
    final QueryHandle.Consumer consumer = new QueryHandle.Consumer() {
        @Override
        public void response(QueryHandle h, String from, byte[] payload) {
            onResponse(from, payload);
        }

        @Override
        public void done(QueryHandle h) {
            if (result == null) {
                complete();
            }
        }
    };

    KeyQuery(KeyOperation operation, int numNodes, SerfCore serf) {
        this.operation = operation;
        this.numNodes = numNodes;
        this.serf = serf;
    }

    void attach(QueryHandle q) {
        query = q;
    }

    /** Which operation. */
    public KeyOperation operation() {
        return operation;
    }

    /** The underlying query. */
    public QueryHandle query() {
        return query;
    }

    /** True once the aggregate is final. */
    public boolean isDone() {
        return result != null;
    }

    /** The aggregate, or {@code null} until {@link #isDone()}. */
    public KeyResponse response() {
        return result;
    }

    private void onResponse(String from, byte[] payload) {
        if (result != null) {
            return;
        }
        numResp++;
        DecodeResult<SerfPayload.KeyResponse> r = payload == null || payload.length == 0
                || (payload[0] & 0xff) != 8 ? null : SerfCodec.decodeKeyResponse(payload);
        if (r == null) {
            messages.put(from, "Invalid key query response type: " + goBytes(payload));
            numErr++;
        } else if (!r.ok()) {
            messages.put(from, "Failed to decode key query response: " + goBytes(payload));
            numErr++;
        } else {
            SerfPayload.KeyResponse nr = r.value();
            if (!nr.result()) {
                messages.put(from, nr.message());
                numErr++;
            }
            if (nr.result() && !nr.message().isEmpty()) {
                messages.put(from, nr.message());
            }
            if (nr.keys() != null) {
                for (String k : nr.keys()) {
                    keys.merge(k, 1, Integer::sum);
                }
            }
            primaryKeys.merge(nr.primaryKey(), 1, Integer::sum);
        }
        if (numResp == numNodes) {
            complete();
        }
    }

    private void complete() {
        String error = null;
        if (numErr != 0) {
            error = numErr + "/" + numNodes + " nodes reported failure";
        } else if (numResp != numNodes) {
            error = numResp + "/" + numNodes + " nodes reported success";
        }
        result = new KeyResponse(messages, numNodes, numResp, numErr, keys, primaryKeys, error);
        serf.keyQueryDone(this);
    }

    /** Go's {@code %v} of a byte slice: {@code [1 2 3]}. */
    private static String goBytes(byte[] b) {
        if (b == null) {
            return "[]";
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < b.length; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(b[i] & 0xff);
        }
        return sb.append(']').toString();
    }

    @Override
    public String toString() {
        return "KeyQuery[" + operation + " " + (result == null ? "running" : result) + "]";
    }
}
