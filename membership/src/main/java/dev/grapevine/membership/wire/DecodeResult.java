package dev.grapevine.membership.wire;

import dev.grapevine.membership.Rejection;
import java.util.Objects;

/**
 * The outcome of decoding: a value, or a typed rejection with a short human-readable detail.
 * Decoders in this package return one of these instead of throwing.
 *
 * <p>Immutable; safe to share between threads.
 *
 * @param <T> the decoded type
 */
public sealed interface DecodeResult<T> {

    /** True when decoding produced a value. */
    boolean ok();

    /** The decoded value. @throws IllegalStateException when this is a rejection */
    T value();

    /** A successful decode. */
    record Ok<T>(T value) implements DecodeResult<T> {
        /** Checks the components; see the record description. */
        public Ok {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean ok() {
            return true;
        }
    }

    /**
     * A rejected input.
     *
     * @param reason what was wrong
     * @param detail a short description for logs; never contains payload bytes
     */
    record Rejected<T>(Rejection reason, String detail) implements DecodeResult<T> {
        /** Checks the components; see the record description. */
        public Rejected {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public boolean ok() {
            return false;
        }

        @Override
        public T value() {
            throw new IllegalStateException("rejected: " + reason + " (" + detail + ")");
        }

        /** The same rejection, retyped. */
        @SuppressWarnings("unchecked")
        public <U> Rejected<U> cast() {
            return (Rejected<U>) this;
        }
    }

    /** A successful result. */
    static <T> DecodeResult<T> ok(T value) {
        return new Ok<>(value);
    }

    /** A rejection. */
    static <T> DecodeResult<T> rejected(Rejection reason, String detail) {
        return new Rejected<>(reason, detail);
    }
}
