package dev.grapevine.membership;

import java.util.List;
import java.util.Objects;

/**
 * What the core tells its host about the cluster, through {@link Host#emit}.
 *
 * <p>Events are emitted synchronously on the core's thread, in the order the core made the
 * decisions; the host must not block in {@code emit} (hand events to listeners on another
 * executor). Every event is an immutable value.
 */
public sealed interface MembershipEvent {

    /**
     * A node became alive from unknown, dead or left (memberlist's NotifyJoin). Also emitted once
     * for the local node when the core starts.
     */
    record MemberJoined(Member member) implements MembershipEvent {
        /** Checks the components; see the record description. */
        public MemberJoined {
            Objects.requireNonNull(member, "member");
        }
    }

    /** An alive node changed its metadata (memberlist's NotifyUpdate). */
    record MemberUpdated(Member member) implements MembershipEvent {
        /** Checks the components; see the record description. */
        public MemberUpdated {
            Objects.requireNonNull(member, "member");
        }
    }

    /**
     * A node went down (memberlist's NotifyLeave): {@code member.state()} is {@link MemberState#LEFT}
     * when it left gracefully, {@link MemberState#DEAD} when it was declared failed.
     *
     * @param member     the node, in its new state
     * @param declaredBy the node that made the claim ({@code From} of the dead message); equal to
     *                   the local node's name when this node's own suspicion timer expired
     */
    record MemberDown(Member member, String declaredBy) implements MembershipEvent {
        /** Checks the components; see the record description. */
        public MemberDown {
            Objects.requireNonNull(member, "member");
            Objects.requireNonNull(declaredBy, "declaredBy");
        }
    }

    /**
     * Another address claimed a known node's name while that node is not reclaimable (memberlist
     * logs "Conflicting address"; Serf starts a vote). The claim was ignored.
     *
     * @param existing the member as known
     * @param claimant what the conflicting alive message said
     */
    record NameConflict(Member existing, Member claimant) implements MembershipEvent {
        /** Checks the components; see the record description. */
        public NameConflict {
            Objects.requireNonNull(existing, "existing");
            Objects.requireNonNull(claimant, "claimant");
        }
    }

    /**
     * An application message arrived, by gossip, best-effort packet or reliable stream.
     *
     * @param payload the bytes (owned by the receiver of the event)
     * @param from    the packet's or stream's source address as the host saw it (for gossip, the
     *                relay that passed it on, not necessarily its sender)
     * @param signer  in signing mode, the node that signed it (its sender); null otherwise
     */
    record UserMessage(byte[] payload, NodeAddress from, String signer) implements MembershipEvent {
        /** Checks the components; see the record description. */
        public UserMessage {
            Objects.requireNonNull(payload, "payload");
            Objects.requireNonNull(from, "from");
        }

        /** An unsigned message. */
        public UserMessage(byte[] payload, NodeAddress from) {
            this(payload, from, null);
        }
    }

    /**
     * A {@link MembershipCore#join} finished: every seed either completed a push/pull or failed.
     *
     * @param joinId    the id {@code join} returned
     * @param contacted how many seeds completed a push/pull
     * @param failures  one line per seed that failed, naming it and the reason
     */
    record JoinCompleted(long joinId, int contacted, List<String> failures) implements MembershipEvent {
        /** Checks the components; see the record description. */
        public JoinCompleted {
            failures = List.copyOf(failures);
        }
    }

    /**
     * A {@link MembershipCore#leave} finished.
     *
     * @param propagated true when the leave message was sent as many times as the retransmit limit
     *                   asks (or there was nobody to tell); false when the timeout came first
     */
    record LeaveCompleted(boolean propagated) implements MembershipEvent {
    }
}
