package dev.grapevine.serf;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Parameters of a query ({@code serf.QueryParam}): filters, ack request, relay factor, timeout.
 * {@link #defaults()} is Serf's {@code DefaultQueryParams}: no filters, no acks, no relays, the
 * default timeout.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class QueryOptions {
    private static final QueryOptions DEFAULTS = new Builder().build();

    private final List<String> filterNodes;
    private final Map<String, String> filterTags;
    private final boolean requestAck;
    private final int relayFactor;
    private final Duration timeout;

    private QueryOptions(Builder b) {
        filterNodes = List.copyOf(b.filterNodes);
        filterTags = Collections.unmodifiableMap(new LinkedHashMap<>(b.filterTags));
        requestAck = b.requestAck;
        relayFactor = b.relayFactor;
        timeout = b.timeout;
    }

    /** No filters, no acks, relay factor 0, the default timeout. */
    public static QueryOptions defaults() {
        return DEFAULTS;
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Only these nodes process the query (empty: no node filter). */
    public List<String> filterNodes() {
        return filterNodes;
    }

    /**
     * Tag name → Go regular expression (RE2 syntax, unanchored like {@code regexp.MatchString}); a
     * node processes the query only when every one matches its tag value (a missing tag is the
     * empty string). Sent in insertion order.
     */
    public Map<String, String> filterTags() {
        return filterTags;
    }

    /** Whether every node that passes the filters acks at once. */
    public boolean requestAck() {
        return requestAck;
    }

    /** How many other members relay each ack and response as well (0..255). */
    public int relayFactor() {
        return relayFactor;
    }

    /** The timeout, or {@code null} for Serf's default ({@code gossipInterval × queryTimeoutMult × ceil(log10(n+1))}). */
    public Duration timeout() {
        return timeout;
    }

    @Override
    public String toString() {
        return "QueryOptions[nodes=" + filterNodes + ", tags=" + filterTags + ", ack=" + requestAck + ", relay="
                + relayFactor + ", timeout=" + timeout + "]";
    }

    /** Builds {@link QueryOptions}. Not thread-safe. */
    public static final class Builder {
        private List<String> filterNodes = List.of();
        private final Map<String, String> filterTags = new LinkedHashMap<>();
        private boolean requestAck;
        private int relayFactor;
        private Duration timeout;

        private Builder() {
        }

        /** See {@link QueryOptions#filterNodes()}. */
        public Builder filterNodes(List<String> v) {
            filterNodes = List.copyOf(v);
            return this;
        }

        /** Adds one tag filter; see {@link QueryOptions#filterTags()}. */
        public Builder filterTag(String tag, String expr) {
            filterTags.put(Objects.requireNonNull(tag, "tag"), Objects.requireNonNull(expr, "expr"));
            return this;
        }

        /** See {@link QueryOptions#requestAck()}. */
        public Builder requestAck(boolean v) {
            requestAck = v;
            return this;
        }

        /**
         * See {@link QueryOptions#relayFactor()}.
         *
         * @throws IllegalArgumentException outside 0..255
         */
        public Builder relayFactor(int v) {
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("relayFactor must be in [0, 255], got " + v);
            }
            relayFactor = v;
            return this;
        }

        /**
         * See {@link QueryOptions#timeout()}; {@code null} or zero for the default.
         *
         * @throws IllegalArgumentException when negative
         */
        public Builder timeout(Duration v) {
            if (v != null && v.isNegative()) {
                throw new IllegalArgumentException("timeout must not be negative, got " + v);
            }
            timeout = v == null || v.isZero() ? null : v;
            return this;
        }

        /** Builds the options. */
        public QueryOptions build() {
            return new QueryOptions(this);
        }
    }
}
