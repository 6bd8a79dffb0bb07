package dev.grapevine.membership;

/**
 * A timer the core asked its host to fire later, through {@link Host#schedule}.
 *
 * <p>Timers are opaque values: the host keeps them and hands each back, once, to
 * {@link MembershipCore#handleTimer} when its delay has passed. The core never cancels a timer;
 * each carries a token, and one that has become stale (its probe finished, its suspicion was
 * refuted) is ignored when it fires. A host may therefore also fire timers late or drop them all at
 * shutdown. Immutable; safe to pass between threads.
 */
public final class Timer {

    /** What a timer is for; exposed for logging and for hosts that want per-kind statistics. */
    public enum Kind {
        /** Start the next probe. */
        PROBE_TICK,
        /** The direct ack of a probe is late: go indirect. */
        PROBE_TIMEOUT,
        /** The probe's (awareness-scaled) interval is over: suspect the target unless acked. */
        PROBE_DEADLINE,
        /** Send a round of gossip. */
        GOSSIP_TICK,
        /** Start a periodic push/pull. */
        PUSH_PULL_TICK,
        /** Maybe try a push/pull with a member held as failed. */
        RECONNECT_TICK,
        /** Do the catch-up push/pull that news asked for. */
        CATCH_UP,
        /** A suspicion timeout expired. */
        SUSPICION,
        /** An indirect probe we relay got no ack in time: send the nack. */
        RELAY_NACK,
        /** Stop waiting for the ack of a relayed probe. */
        RELAY_EXPIRE,
        /** A graceful leave waited long enough. */
        LEAVE_TIMEOUT,
        /** A stream the host should have answered by now is treated as failed. */
        STREAM_GUARD,
        /** A timer of the {@link Delegate}'s, see {@link MembershipCore#scheduleDelegateTimer}. */
        DELEGATE
    }

    final Kind kind;
    final long token;
    final String subject;

    Timer(Kind kind, long token, String subject) {
        this.kind = kind;
        this.token = token;
        this.subject = subject;
    }

    /** What this timer is for. */
    public Kind kind() {
        return kind;
    }

    @Override
    public String toString() {
        return subject == null ? kind + "#" + token : kind + "#" + token + "(" + subject + ")";
    }
}
