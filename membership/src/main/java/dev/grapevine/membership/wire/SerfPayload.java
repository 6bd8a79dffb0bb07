package dev.grapevine.membership.wire;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Serf 0.9.4 structures that travel <em>inside</em> other messages rather than as gossip messages of
 * their own: query filters (elements of {@link SerfMessage.Query#filters()}), the key request and
 * key response of the internal keyring queries (memberlist-wire.md §11.7), and the answer to a
 * {@code _serf_conflict} query. {@link SerfCodec} encodes and decodes them, each with its leading
 * type byte.
 *
 * <p>Same conventions as {@link SerfMessage}: {@code null} collections and arrays are Go's nil,
 * nothing is copied, records are immutable once built and safe to share between threads.
 */
public sealed interface SerfPayload {

    /** A query filter: {@code [filterType][msgpack]}. An unknown filter type means "do not process". */
    sealed interface Filter extends SerfPayload permits NodeFilter, TagFilter {
    }

    /**
     * Filter type 0 ({@code filterNode}, a Go {@code []string}): only the listed nodes process the
     * query.
     *
     * @param nodes node names ({@code null} is Go's nil)
     */
    record NodeFilter(List<String> nodes) implements Filter {
    }

    /**
     * Filter type 1 ({@code filterTag}): only nodes whose tag {@code tag} matches the Go regular
     * expression {@code expr} (unanchored, as Go's {@code regexp.MatchString}) process the query.
     *
     * @param tag  the tag name
     * @param expr the regular expression (RE2 syntax)
     */
    record TagFilter(String tag, String expr) implements Filter {
        /** Checks the components; see the record description. */
        public TagFilter {
            Objects.requireNonNull(tag, "tag");
            Objects.requireNonNull(expr, "expr");
        }
    }

    /**
     * Serf's {@code keyRequest}, the payload {@code [7] msgpack} of the key queries.
     *
     * @param key the raw AES key bytes; empty for list-keys ({@code null} is Go's nil)
     */
    record KeyRequest(byte[] key) implements SerfPayload {
        @Override
        public boolean equals(Object o) {
            return o instanceof KeyRequest k && Arrays.equals(k.key, key);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(key);
        }

        @Override
        public String toString() {
            return "KeyRequest[" + (key == null ? "nil" : key.length + " bytes") + "]";
        }
    }

    /**
     * Serf's {@code nodeKeyResponse}, the payload {@code [8] msgpack} of a key query response.
     *
     * @param result     true when the operation succeeded
     * @param message    an error or warning text, or {@code ""}
     * @param keys       list-keys: every key as standard base64 with padding, primary first;
     *                   otherwise {@code null} (Go's nil)
     * @param primaryKey list-keys: the primary key as base64; otherwise {@code ""}
     */
    record KeyResponse(boolean result, String message, List<String> keys, String primaryKey) implements SerfPayload {
        /** Checks the components; see the record description. */
        public KeyResponse {
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(primaryKey, "primaryKey");
        }
    }

    /**
     * The Go {@code serf.Member} struct, as a {@code _serf_conflict} response carries it.
     *
     * @param name        the member's name
     * @param addr        its IP (4 or 16 bytes; {@code null} is Go's nil)
     * @param port        its port (uint16)
     * @param tags        its tags ({@code null} is Go's nil)
     * @param status      Serf's {@code MemberStatus}: 0 none, 1 alive, 2 leaving, 3 left, 4 failed
     * @param protocolMin memberlist protocol minimum (uint8)
     * @param protocolMax memberlist protocol maximum
     * @param protocolCur memberlist protocol in use
     * @param delegateMin Serf protocol minimum
     * @param delegateMax Serf protocol maximum
     * @param delegateCur Serf protocol in use
     */
    record MemberInfo(String name, byte[] addr, int port, Map<String, String> tags, int status, int protocolMin,
                      int protocolMax, int protocolCur, int delegateMin, int delegateMax, int delegateCur) {
        /** Checks the components; see the record description. */
        public MemberInfo {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MemberInfo m && m.name.equals(name) && Arrays.equals(m.addr, addr) && m.port == port
                    && Objects.equals(m.tags, tags) && m.status == status && m.protocolMin == protocolMin
                    && m.protocolMax == protocolMax && m.protocolCur == protocolCur && m.delegateMin == delegateMin
                    && m.delegateMax == delegateMax && m.delegateCur == delegateCur;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, Arrays.hashCode(addr), port, tags, status, protocolMin, protocolMax,
                    protocolCur, delegateMin, delegateMax, delegateCur);
        }

        @Override
        public String toString() {
            return "MemberInfo[" + name + "@" + Hex.ip(addr) + ":" + port + ", status=" + status + ", tags=" + tags
                    + "]";
        }
    }

    /**
     * The payload {@code [6] msgpack(*Member)} of a {@code _serf_conflict} response.
     *
     * @param member the member as the responder knows it, or {@code null} (Go's nil) when unknown
     */
    record ConflictResponse(MemberInfo member) implements SerfPayload {
    }
}
