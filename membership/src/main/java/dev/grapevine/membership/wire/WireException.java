package dev.grapevine.membership.wire;

import dev.grapevine.membership.Rejection;

/**
 * Internal signal for "this input is rejected", thrown inside the codec and turned into a
 * {@link DecodeResult.Rejected} or a {@link PacketVisitor#rejected} call before it reaches a caller.
 *
 * <p>It carries no stack trace and no cause, so throwing it costs about as much as returning an
 * error code; it is only ever created for bad input. It never escapes the public API.
 */
final class WireException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the input was rejected. */
    final transient Rejection reason;

    WireException(Rejection reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    <T> DecodeResult<T> toResult() {
        return DecodeResult.rejected(reason, getMessage());
    }
}
