package dev.grapevine.serf;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the Serf layer tells its host, through {@link SerfHost#emit}: Serf's member events, user
 * events, queries received, answers to the queries this node started, and the steps of its own
 * lifecycle.
 *
 * <p>Emitted synchronously on the core's thread, in the order the decisions were made. The records
 * are immutable values, except that {@link Query} carries an {@link IncomingQuery} the host answers
 * through and {@link QueryAck}, {@link QueryResponse}, {@link QueryDone} carry the live
 * {@link QueryHandle}.
 */
public sealed interface SerfEvent {

    /** A member joined, or came back (Serf's {@code EventMemberJoin}). */
    record MemberJoin(SerfMember member) implements SerfEvent {
        /** Checks the components; see the record description. */
        public MemberJoin {
            Objects.requireNonNull(member, "member");
        }
    }

    /**
     * A member left gracefully ({@code EventMemberLeave}): after its leave intent, or when
     * memberlist reported it left, or later through a leave intent about a failed member.
     */
    record MemberLeave(SerfMember member) implements SerfEvent {
        /** Checks the components; see the record description. */
        public MemberLeave {
            Objects.requireNonNull(member, "member");
        }
    }

    /** A member failed: memberlist declared it dead and no leave was known ({@code EventMemberFailed}). */
    record MemberFailed(SerfMember member) implements SerfEvent {
        /** Checks the components; see the record description. */
        public MemberFailed {
            Objects.requireNonNull(member, "member");
        }
    }

    /** A member's tags (or address) changed ({@code EventMemberUpdate}). */
    record MemberUpdate(SerfMember member) implements SerfEvent {
        /** Checks the components; see the record description. */
        public MemberUpdate {
            Objects.requireNonNull(member, "member");
        }
    }

    /** A failed or left member was forgotten after its timeout, or pruned ({@code EventMemberReap}). */
    record MemberReap(SerfMember member) implements SerfEvent {
        /** Checks the components; see the record description. */
        public MemberReap {
            Objects.requireNonNull(member, "member");
        }
    }

    /**
     * A user event, delivered once per (Lamport time, name, payload) ({@code serf.UserEvent}).
     *
     * @param ltime    the event's Lamport time
     * @param name     its name
     * @param payload  its payload (owned by the receiver of the event; empty when none)
     * @param coalesce whether the sender allowed coalescing
     * @param signer   in signing mode, the node that signed the event (its sender), when it arrived by
     *                 gossip; null outside signing mode and for events replayed by push/pull
     */
    record User(long ltime, String name, byte[] payload, boolean coalesce, String signer) implements SerfEvent {
        /** Checks the components; see the record description. */
        public User {
            Objects.requireNonNull(name, "name");
            payload = payload == null ? new byte[0] : payload;
        }

        /** An unsigned event. */
        public User(long ltime, String name, byte[] payload, boolean coalesce) {
            this(ltime, name, payload, coalesce, null);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof User u && u.ltime == ltime && u.name.equals(name) && Arrays.equals(u.payload, payload)
                    && u.coalesce == coalesce && Objects.equals(u.signer, signer);
        }

        @Override
        public int hashCode() {
            return Objects.hash(ltime, name, Arrays.hashCode(payload), coalesce, signer);
        }

        @Override
        public String toString() {
            return "User[ltime=" + ltime + ", name=" + name + ", payload=" + payload.length + "B, coalesce="
                    + coalesce + (signer == null ? "" : ", signed by " + signer) + "]";
        }
    }

    /** A query to answer (or ignore); respond with {@link SerfCore#respond}. Internal queries never appear. */
    record Query(IncomingQuery query) implements SerfEvent {
        /** Checks the components; see the record description. */
        public Query {
            Objects.requireNonNull(query, "query");
        }
    }

    /** A node acked a query this node started (once per node). */
    record QueryAck(QueryHandle query, String from) implements SerfEvent {
        /** Checks the components; see the record description. */
        public QueryAck {
            Objects.requireNonNull(query, "query");
            Objects.requireNonNull(from, "from");
        }
    }

    /**
     * A node answered a query this node started (once per node).
     *
     * @param payload the response (shared with the handle; do not modify; empty when none)
     */
    record QueryResponse(QueryHandle query, String from, byte[] payload) implements SerfEvent {
        /** Checks the components; see the record description. */
        public QueryResponse {
            Objects.requireNonNull(query, "query");
            Objects.requireNonNull(from, "from");
            payload = payload == null ? new byte[0] : payload;
        }
    }

    /** A query this node started reached its deadline; nothing more arrives for it. */
    record QueryDone(QueryHandle query) implements SerfEvent {
        /** Checks the components; see the record description. */
        public QueryDone {
            Objects.requireNonNull(query, "query");
        }
    }

    /** A key operation this node started has its final aggregate ({@link KeyQuery#response()}). */
    record KeyQueryDone(KeyQuery operation) implements SerfEvent {
        /** Checks the components; see the record description. */
        public KeyQueryDone {
            Objects.requireNonNull(operation, "operation");
        }
    }

    /**
     * The graceful leave finished: the host should now shut the node down.
     *
     * @param intentSent           the leave intent left the queue before the broadcast timeout
     *                             (or there was nobody to tell)
     * @param memberlistPropagated memberlist's leave message was sent as often as it should be
     */
    record LeaveCompleted(boolean intentSent, boolean memberlistPropagated) implements SerfEvent {
    }

    /**
     * The {@code _serf_conflict} vote this node ran, after another address claimed its name, is
     * over. Serf shuts a node down when it loses ({@code won} false); the host decides here.
     *
     * @param won       at least a majority of the responses saw this node's address
     * @param matching  responses that named this node's address
     * @param responses valid responses
     */
    record NameConflictResolved(boolean won, int matching, int responses) implements SerfEvent {
    }
}
