package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.MsgpackReader.key;

import dev.grapevine.membership.Rejection;
import java.util.Arrays;
import java.util.Objects;

/**
 * Decodes single memberlist messages with the acceptance rules of go-msgpack 0.5.5 (see
 * {@link MsgpackReader} for the per-field rules):
 *
 * <ul>
 *   <li>a struct is a msgpack map whose keys are the Go field names, matched exactly and
 *       case-sensitively, in any order; unknown keys are skipped whatever their value (nested
 *       maps and arrays included, without recursion); missing keys and nil values give the zero
 *       value; a repeated key overwrites the earlier value;</li>
 *   <li>a struct written as a msgpack <b>array</b> is accepted, fields taken in Go declaration order
 *       (extra elements skipped, missing ones zero), as go-msgpack 0.5.5 accepts it;</li>
 *   <li>a nil struct is an all-zero struct, as in Go;</li>
 *   <li>bytes after the struct are ignored (Go decodes one value and stops).</li>
 * </ul>
 *
 * <p>Deliberate differences from go-msgpack 0.5.5 (each pinned by a test against Go's own
 * decoding, GoDecodeAgreementTest):
 * <ul>
 *   <li>Go {@code int} fields ({@code Nodes}, {@code UserStateLen}, {@code UserMsgLen},
 *       {@code State}) are carried in Java ints, so values outside the int32 range are
 *       {@link Rejection#INTEGER_OVERFLOW}; negative counts and lengths are
 *       {@link Rejection#MALFORMED} (memberlist 0.2.2 would panic or misbehave on them);</li>
 *   <li>an empty str/bin in a byte field gives an empty array where Go leaves nil;</li>
 *   <li>strings are Java Strings: invalid UTF-8 becomes U+FFFD, so such a name does not re-encode
 *       to the same bytes;</li>
 *   <li>unknown values are skipped without being built, so a nested map keyed by a map or array
 *       (which Go cannot hash) is accepted;</li>
 *   <li>go-msgpack reads a negative fixint in a string field as a string header (a quirk of its
 *       bit test); we reject it as {@link Rejection#WRONG_FIELD_TYPE}.</li>
 * </ul>
 *
 * <p>Thread-safety: all methods are static, keep no shared mutable state and are thread-safe.
 * Nothing is allocated beyond the decoded values, the record and one small cursor.
 */
public final class WireDecoder {
    // Field names in Go declaration order (the order of the array form).
    private static final byte[][] PING = keys("SeqNo", "Node", "SourceAddr", "SourcePort", "SourceNode");
    private static final byte[][] INDIRECT_PING = keys("SeqNo", "Target", "Port", "Node", "Nack",
            "SourceAddr", "SourcePort", "SourceNode");
    private static final byte[][] ACK = keys("SeqNo", "Payload");
    private static final byte[][] NACK = keys("SeqNo");
    private static final byte[][] ERR = keys("Error");
    private static final byte[][] SUSPECT_DEAD = keys("Incarnation", "Node", "From");
    private static final byte[][] ALIVE = keys("Incarnation", "Node", "Addr", "Port", "Meta", "Vsn");
    private static final byte[][] PUSH_PULL_HEADER = keys("Nodes", "UserStateLen", "Join");
    private static final byte[][] USER_MSG_HEADER = keys("UserMsgLen");
    private static final byte[][] PUSH_NODE_STATE = keys("Name", "Addr", "Port", "Meta", "Incarnation",
            "State", "Vsn");
    private static final byte[][] COMPRESS = keys("Algo", "Buf");

    private WireDecoder() {
    }

    /**
     * Decodes one message that starts with its type byte, in its UDP form.
     *
     * <ul>
     *   <li>types 0 ping, 1 indirectPing, 2 ack, 3 suspect, 4 alive, 5 dead, 11 nack, 13 err:
     *       type byte + msgpack struct;</li>
     *   <li>type 8 user: everything after the type byte is the payload (UDP form);</li>
     *   <li>type 6 pushPull: the stream form (header, node records, raw user state);</li>
     *   <li>types 7 compound, 9 compress, 10 encrypt, 12 hasCrc and 244 label are wrappers:
     *       {@link Rejection#UNSUPPORTED_TYPE} (use {@link Packets#read} or {@link Streams#read}).</li>
     * </ul>
     *
     * @param buf the bytes (not modified, not retained: the message owns fresh copies)
     * @param off where the message starts (its type byte)
     * @param len how many bytes it may span; bytes after a msgpack body are ignored
     *
     * @return the message, or a rejection: {@link Rejection#EMPTY}, {@link Rejection#UNKNOWN_TYPE},
     *         {@link Rejection#UNSUPPORTED_TYPE}, {@link Rejection#MALFORMED},
     *         {@link Rejection#WRONG_FIELD_TYPE}, {@link Rejection#INTEGER_OVERFLOW},
     *         {@link Rejection#TOO_LARGE} (push/pull counts above the {@link Streams} limits).
     *         Never throws for any content.
     * @throws IndexOutOfBoundsException if {@code off}/{@code len} are not a range of {@code buf}
     */
    public static DecodeResult<Message> decode(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        try {
            return DecodeResult.ok(decodeMessage(buf, off, len, false));
        } catch (WireException e) {
            return e.toResult();
        } catch (RuntimeException e) {
            return internalError(e).toResult();
        }
    }

    /** A rejection for an unexpected exception: a bug, reported instead of thrown. */
    static WireException internalError(RuntimeException e) {
        return new WireException(Rejection.MALFORMED, "internal decoder error: " + e.getClass().getName());
    }

    /**
     * Decodes one message; with {@code udp}, push/pull and err (stream-only types) are
     * {@link Rejection#UNSUPPORTED_TYPE}. Wrapper types are always unsupported here.
     */
    static Message decodeMessage(byte[] buf, int off, int len, boolean udp) {
        if (len == 0) {
            throw new WireException(Rejection.EMPTY, "empty message");
        }
        int type = buf[off] & 0xff;
        switch (type) {
            case 0:
                return ping(new MsgpackReader(buf, off + 1, len - 1));
            case 1:
                return indirectPing(new MsgpackReader(buf, off + 1, len - 1));
            case 2:
                return ack(new MsgpackReader(buf, off + 1, len - 1));
            case 3:
            case 5:
                return suspectOrDead(type, new MsgpackReader(buf, off + 1, len - 1));
            case 4:
                return alive(new MsgpackReader(buf, off + 1, len - 1));
            case 8:
                return new Message.User(Arrays.copyOfRange(buf, off + 1, off + len));
            case 11:
                return nack(new MsgpackReader(buf, off + 1, len - 1));
            case 6:
                if (udp) {
                    throw unsupported(type, "on UDP");
                }
                return pushPull(new MsgpackReader(buf, off + 1, len - 1));
            case 13:
                if (udp) {
                    throw unsupported(type, "on UDP");
                }
                return err(new MsgpackReader(buf, off + 1, len - 1));
            case 241:
                if (!udp) {
                    throw unsupported(type, "on a stream");
                }
                return SignedCodec.decodeSigned(buf, off, len);
            default:
                throw unknownOrUnsupported(type, "here");
        }
    }

    static WireException unknownOrUnsupported(int type, String where) {
        return MessageType.of(type) == null
                ? new WireException(Rejection.UNKNOWN_TYPE, "unknown message type " + type)
                : unsupported(type, where);
    }

    static WireException unsupported(int type, String where) {
        return new WireException(Rejection.UNSUPPORTED_TYPE,
                "message type " + type + " (" + MessageType.of(type) + ") not allowed " + where);
    }

    // ---- structs ----------------------------------------------------------------------------

    static Message.Ping ping(MsgpackReader r) {
        int seqNo = 0;
        String node = "";
        byte[] sourceAddr = null;
        int sourcePort = 0;
        String sourceNode = "";
        int n = r.structHeader("ping");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, PING)) {
                case 0 -> seqNo = r.uint32("SeqNo");
                case 1 -> node = r.string("Node");
                case 2 -> sourceAddr = r.bytes("SourceAddr");
                case 3 -> sourcePort = r.uint16("SourcePort");
                case 4 -> sourceNode = r.string("SourceNode");
                default -> r.skip();
            }
        }
        return new Message.Ping(seqNo, node, sourceAddr, sourcePort, sourceNode);
    }

    static Message.IndirectPing indirectPing(MsgpackReader r) {
        int seqNo = 0;
        byte[] target = null;
        int port = 0;
        String node = "";
        boolean nack = false;
        byte[] sourceAddr = null;
        int sourcePort = 0;
        String sourceNode = "";
        int n = r.structHeader("indirectPingReq");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, INDIRECT_PING)) {
                case 0 -> seqNo = r.uint32("SeqNo");
                case 1 -> target = r.bytes("Target");
                case 2 -> port = r.uint16("Port");
                case 3 -> node = r.string("Node");
                case 4 -> nack = r.bool("Nack");
                case 5 -> sourceAddr = r.bytes("SourceAddr");
                case 6 -> sourcePort = r.uint16("SourcePort");
                case 7 -> sourceNode = r.string("SourceNode");
                default -> r.skip();
            }
        }
        return new Message.IndirectPing(seqNo, target, port, node, nack, sourceAddr, sourcePort, sourceNode);
    }

    static Message.Ack ack(MsgpackReader r) {
        int seqNo = 0;
        byte[] payload = null;
        int n = r.structHeader("ackResp");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, ACK)) {
                case 0 -> seqNo = r.uint32("SeqNo");
                case 1 -> payload = r.bytes("Payload");
                default -> r.skip();
            }
        }
        return new Message.Ack(seqNo, payload);
    }

    static Message.Nack nack(MsgpackReader r) {
        int seqNo = 0;
        int n = r.structHeader("nackResp");
        for (int i = 0; i < n; i++) {
            if (r.field(i, NACK) == 0) {
                seqNo = r.uint32("SeqNo");
            } else {
                r.skip();
            }
        }
        return new Message.Nack(seqNo);
    }

    static Message.Err err(MsgpackReader r) {
        String error = "";
        int n = r.structHeader("errResp");
        for (int i = 0; i < n; i++) {
            if (r.field(i, ERR) == 0) {
                error = r.string("Error");
            } else {
                r.skip();
            }
        }
        return new Message.Err(error);
    }

    private static Message suspectOrDead(int type, MsgpackReader r) {
        int incarnation = 0;
        String node = "";
        String from = "";
        int n = r.structHeader(type == 3 ? "suspect" : "dead");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, SUSPECT_DEAD)) {
                case 0 -> incarnation = r.uint32("Incarnation");
                case 1 -> node = r.string("Node");
                case 2 -> from = r.string("From");
                default -> r.skip();
            }
        }
        return type == 3 ? new Message.Suspect(incarnation, node, from) : new Message.Dead(incarnation, node, from);
    }

    static Message.Alive alive(MsgpackReader r) {
        int incarnation = 0;
        String node = "";
        byte[] addr = null;
        int port = 0;
        byte[] meta = null;
        byte[] vsn = null;
        int n = r.structHeader("alive");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, ALIVE)) {
                case 0 -> incarnation = r.uint32("Incarnation");
                case 1 -> node = r.string("Node");
                case 2 -> addr = r.bytes("Addr");
                case 3 -> port = r.uint16("Port");
                case 4 -> meta = r.bytes("Meta");
                case 5 -> vsn = r.bytes("Vsn");
                default -> r.skip();
            }
        }
        return new Message.Alive(incarnation, node, addr, port, meta, vsn);
    }

    static Message.PushNodeState pushNodeState(MsgpackReader r) {
        String name = "";
        byte[] addr = null;
        int port = 0;
        byte[] meta = null;
        int incarnation = 0;
        int state = 0;
        byte[] vsn = null;
        int n = r.structHeader("pushNodeState");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, PUSH_NODE_STATE)) {
                case 0 -> name = r.string("Name");
                case 1 -> addr = r.bytes("Addr");
                case 2 -> port = r.uint16("Port");
                case 3 -> meta = r.bytes("Meta");
                case 4 -> incarnation = r.uint32("Incarnation");
                case 5 -> state = r.goInt("State");
                case 6 -> vsn = r.bytes("Vsn");
                default -> r.skip();
            }
        }
        return new Message.PushNodeState(name, addr, port, meta, incarnation, state, vsn);
    }

    /** A decoded and range-checked {@code pushPullHeader}. */
    record PushPullHeader(boolean join, int nodes, int userStateLen) {
    }

    /**
     * The push/pull header {@code {Join, Nodes, UserStateLen}}, checked against
     * {@link Streams#MAX_PUSH_PULL_NODES} and {@link Streams#MAX_STREAM_BYTES}; negative counts
     * are {@link Rejection#MALFORMED}.
     */
    static PushPullHeader pushPullHeader(MsgpackReader r) {
        PushPullHeader h = pushPullHeaderFields(r);
        if (h.nodes() < 0) {
            throw new WireException(Rejection.MALFORMED, "negative push/pull node count");
        }
        if (h.nodes() > Streams.MAX_PUSH_PULL_NODES) {
            throw new WireException(Rejection.TOO_LARGE, "push/pull claims " + h.nodes() + " nodes, more than "
                    + Streams.MAX_PUSH_PULL_NODES);
        }
        if (h.userStateLen() < 0) {
            throw new WireException(Rejection.MALFORMED, "negative push/pull UserStateLen");
        }
        if (h.userStateLen() > Streams.MAX_STREAM_BYTES) {
            throw new WireException(Rejection.TOO_LARGE, "push/pull user state of " + h.userStateLen()
                    + " bytes, more than " + Streams.MAX_STREAM_BYTES);
        }
        return h;
    }

    /** The push/pull header struct as Go decodes it, without range checks. */
    static PushPullHeader pushPullHeaderFields(MsgpackReader r) {
        int nodes = 0;
        int userStateLen = 0;
        boolean join = false;
        int n = r.structHeader("pushPullHeader");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, PUSH_PULL_HEADER)) {
                case 0 -> nodes = r.goInt("Nodes");
                case 1 -> userStateLen = r.goInt("UserStateLen");
                case 2 -> join = r.bool("Join");
                default -> r.skip();
            }
        }
        return new PushPullHeader(join, nodes, userStateLen);
    }

    /** The body of a push/pull after its type byte: header, node records, raw user state. */
    static Message.PushPull pushPull(MsgpackReader r) {
        PushPullHeader h = pushPullHeader(r);
        int count = h.nodes();
        int userStateLen = h.userStateLen();
        if (count > r.remaining()) {
            throw MsgpackReader.truncated("push/pull node records"); // each record takes >= 1 byte
        }
        Message.PushNodeState[] nodes = new Message.PushNodeState[count];
        for (int i = 0; i < count; i++) {
            nodes[i] = pushNodeState(r);
        }
        byte[] userState = null;
        if (userStateLen > 0) {
            if (userStateLen > r.remaining()) {
                throw new WireException(Rejection.MALFORMED, "push/pull user state cut short: "
                        + r.remaining() + " of " + userStateLen + " bytes");
            }
            userState = r.rawBytes(userStateLen);
        }
        return new Message.PushPull(h.join(), Arrays.asList(nodes), userState);
    }

    /** The body of a stream user message after its type byte: {@code {UserMsgLen}} + raw bytes. */
    static Message.User streamUser(MsgpackReader r) {
        int len = userMsgHeader(r);
        if (len > r.remaining()) {
            throw new WireException(Rejection.MALFORMED, "user message cut short: " + r.remaining()
                    + " of " + len + " bytes");
        }
        return new Message.User(len == 0 ? MsgpackReader.EMPTY_BYTES : r.rawBytes(len));
    }

    /** The {@code userMsgHeader}: returns {@code UserMsgLen}, checked against {@link Streams#MAX_STREAM_BYTES}. */
    static int userMsgHeader(MsgpackReader r) {
        int len = userMsgHeaderField(r);
        if (len < 0) {
            throw new WireException(Rejection.MALFORMED, "negative UserMsgLen");
        }
        if (len > Streams.MAX_STREAM_BYTES) {
            throw new WireException(Rejection.TOO_LARGE, "user message of " + len + " bytes, more than "
                    + Streams.MAX_STREAM_BYTES);
        }
        return len;
    }

    /** The {@code userMsgHeader} as Go decodes it, without range checks. */
    static int userMsgHeaderField(MsgpackReader r) {
        int len = 0;
        int n = r.structHeader("userMsgHeader");
        for (int i = 0; i < n; i++) {
            if (r.field(i, USER_MSG_HEADER) == 0) {
                len = r.goInt("UserMsgLen");
            } else {
                r.skip();
            }
        }
        return len;
    }

    /**
     * A decoded {@code compress} struct; {@code buf} is null for nil, else the compressed bytes are
     * {@code buf[off..off+len)} (usually a view into the input, not a copy).
     */
    record CompressBody(int algo, byte[] buf, int off, int len) {
    }

    /** The {@code compress} struct as Go decodes it. */
    static CompressBody compressFields(MsgpackReader r) {
        int algo = 0;
        byte[] zArray = null;
        int zOff = 0;
        int zLen = 0;
        int n = r.structHeader("compress");
        for (int i = 0; i < n; i++) {
            switch (r.field(i, COMPRESS)) {
                case 0 -> algo = (int) r.uint("Algo", 0xff);
                case 1 -> {
                    r.bytesView("Buf");
                    zArray = r.viewArray;
                    zOff = r.viewOff;
                    zLen = r.viewLen;
                }
                default -> r.skip();
            }
        }
        return new CompressBody(algo, zArray, zOff, zLen);
    }

    /**
     * The body of a {@code compressMsg} after its type byte, decompressed.
     *
     * @param maxOut the most bytes the decompressed data may have
     */
    static byte[] decompressBody(MsgpackReader r, int maxOut) {
        CompressBody c = compressFields(r);
        if (c.algo() != 0) {
            throw new WireException(Rejection.BAD_COMPRESSION, "unknown compression algorithm " + c.algo());
        }
        if (c.buf() == null) {
            // Go hands an empty reader to the LZW decoder, which fails with "unexpected EOF".
            throw new WireException(Rejection.BAD_COMPRESSION, "LZW stream ends without EOF code");
        }
        return Lzw.decompressOrThrow(c.buf(), c.off(), c.len(), maxOut);
    }

    private static byte[][] keys(String... names) {
        byte[][] k = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            k[i] = key(names[i]);
        }
        return k;
    }
}
