package dev.grapevine.membership;

import java.util.Objects;

/**
 * A stream (TCP) exchange the core asks its host to carry out, through {@link Host#openStream}.
 *
 * <p>The host connects to {@code target}, writes {@code payload} (already in memberlist's stream
 * form, compressed when configured; the host adds encryption or TLS), and when
 * {@link #expectsReply()} reads exactly one stream message back and hands it, decrypted, to
 * {@link MembershipCore#handleStreamReply}. If anything fails or {@code timeoutNanos} passes, the
 * host calls {@link MembershipCore#handleStreamFailure} instead. Exactly one of the two calls is
 * made for a request that expects a reply; none for one that does not. Immutable.
 *
 * @param id           identifies the exchange in the completion call
 * @param kind         what the exchange is for
 * @param target       where to connect
 * @param targetName   the node expected at {@code target} (empty when unknown, e.g. a join seed);
 *                     hosts that authenticate peers (TLS) check it
 * @param payload      the bytes to write; owned by the host once passed
 * @param timeoutNanos connect-plus-exchange deadline, relative to the call
 */
public record StreamRequest(long id, Kind kind, NodeAddress target, String targetName, byte[] payload,
                            long timeoutNanos) {

    /** Kinds of stream exchanges. */
    public enum Kind {
        /** State exchange (join or anti-entropy); expects a push/pull or error reply. */
        PUSH_PULL,
        /** TCP fallback ping of a probe; expects an ack. */
        PING,
        /** Reliable user message; no reply. */
        USER_MESSAGE
    }

    /** Validates. */
    public StreamRequest {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(targetName, "targetName");
        Objects.requireNonNull(payload, "payload");
    }

    /** True when the host must read one reply and report it. */
    public boolean expectsReply() {
        return kind != Kind.USER_MESSAGE;
    }

    @Override
    public String toString() {
        return "StreamRequest[" + id + " " + kind + " to " + (targetName.isEmpty() ? "" : targetName + "@")
                + target + ", " + payload.length + " bytes]";
    }
}
