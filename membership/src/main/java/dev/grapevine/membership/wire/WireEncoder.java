package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.MsgpackWriter.bytesSize;
import static dev.grapevine.membership.wire.MsgpackWriter.intSize;
import static dev.grapevine.membership.wire.MsgpackWriter.key;
import static dev.grapevine.membership.wire.MsgpackWriter.strSize;
import static dev.grapevine.membership.wire.MsgpackWriter.uintSize;

import java.util.List;
import java.util.Objects;

/**
 * Encodes {@link Message}s exactly as memberlist 0.2.2 does (go-msgpack 0.5.5), byte for byte.
 *
 * <pre>
 *  message      = [type: 1 byte] msgpack(struct)
 *  struct       = map keyed by the Go field names, keys in byte-wise ascending order;
 *                 only ping/indirectPing SourceAddr, SourceNode, SourcePort are omitted when empty
 *  user (UDP)   = [8] [payload ...]                                  (no msgpack at all)
 *  user (TCP)   = [8] msgpack({UserMsgLen}) [payload ...]            ({@link #encodeStreamUser})
 *  pushPull     = [6] msgpack({Join, Nodes, UserStateLen})
 *                     msgpack(pushNodeState) x Nodes  [UserStateLen raw bytes]
 *  pushNodeState = {Addr, Incarnation, Meta, Name, Port, State, Vsn}
 * </pre>
 *
 * <p>Field forms: {@code SeqNo} and {@code Incarnation} are the unsigned value of the Java int's
 * 32 bits; integers use the smallest unsigned msgpack form; strings and byte arrays both use the
 * str family without str8 (fixstr, str16, str32); a null byte array is nil ({@code c0}) and an
 * empty one {@code a0}. {@code Vsn} is written as given: it must be 6 bytes for memberlist 0.2.2
 * (shorter ones can crash a Serf 0.9.4 agent), which the caller enforces.
 *
 * <p>Each call allocates exactly one array of the final size (its size is computed first).
 *
 * <p>Thread-safety: all methods are static, keep no shared mutable state and are thread-safe.
 */
public final class WireEncoder {
    // Map keys, pre-encoded (fixstr + ASCII), one per Go field name.
    private static final byte[] K_ADDR = key("Addr");
    private static final byte[] K_ALGO = key("Algo");
    private static final byte[] K_BUF = key("Buf");
    private static final byte[] K_ERROR = key("Error");
    private static final byte[] K_FROM = key("From");
    private static final byte[] K_INCARNATION = key("Incarnation");
    private static final byte[] K_JOIN = key("Join");
    private static final byte[] K_META = key("Meta");
    private static final byte[] K_NACK = key("Nack");
    private static final byte[] K_NAME = key("Name");
    private static final byte[] K_NODE = key("Node");
    private static final byte[] K_NODES = key("Nodes");
    private static final byte[] K_PAYLOAD = key("Payload");
    private static final byte[] K_PORT = key("Port");
    private static final byte[] K_SEQ_NO = key("SeqNo");
    private static final byte[] K_SOURCE_ADDR = key("SourceAddr");
    private static final byte[] K_SOURCE_NODE = key("SourceNode");
    private static final byte[] K_SOURCE_PORT = key("SourcePort");
    private static final byte[] K_STATE = key("State");
    private static final byte[] K_TARGET = key("Target");
    private static final byte[] K_USER_MSG_LEN = key("UserMsgLen");
    private static final byte[] K_USER_STATE_LEN = key("UserStateLen");
    private static final byte[] K_VSN = key("Vsn");

    private WireEncoder() {
    }

    /**
     * Encodes one message: its type byte followed by its body.
     *
     * <ul>
     *   <li>{@link Message.User} gives the UDP form {@code [8][payload]} (for streams use
     *       {@link #encodeStreamUser});</li>
     *   <li>{@link Message.PushPull} gives the stream form: {@code [6]}, the header, the node
     *       records, then the raw user state (null or empty: {@code UserStateLen} 0);</li>
     *   <li>{@link Message.Err} gives {@code [13]} + msgpack (a stream reply).</li>
     * </ul>
     *
     * @param m the message
     * @return a new array holding the encoded message
     * @throws IllegalArgumentException if a port is outside 0..65535
     * @throws NullPointerException     if {@code m} is null
     */
    public static byte[] encode(Message m) {
        Objects.requireNonNull(m, "m");
        switch (m.type()) {
            case PING:
                return ping((Message.Ping) m);
            case INDIRECT_PING:
                return indirectPing((Message.IndirectPing) m);
            case ACK:
                return ack((Message.Ack) m);
            case NACK:
                return nack((Message.Nack) m);
            case ERR:
                return err((Message.Err) m);
            case SUSPECT: {
                Message.Suspect s = (Message.Suspect) m;
                return incarnationNodeFrom(MessageType.SUSPECT, s.incarnation(), s.node(), s.from());
            }
            case DEAD: {
                Message.Dead d = (Message.Dead) m;
                return incarnationNodeFrom(MessageType.DEAD, d.incarnation(), d.node(), d.from());
            }
            case ALIVE:
                return alive((Message.Alive) m);
            case USER:
                return udpUser((Message.User) m);
            case PUSH_PULL:
                return pushPull((Message.PushPull) m);
            case SIGNED:
                return ((Message.Signed) m).envelope().clone();
            case SIGNED_PUSH_PULL:
                return SignedCodec.encodePushPull((Message.SignedPushPull) m);
            default:
                throw new IllegalArgumentException("not an encodable message: " + m.type());
        }
    }

    /**
     * Encodes the stream (TCP) form of a user message, as memberlist's {@code SendReliable}:
     * {@code [8] msgpack({UserMsgLen: n}) [n payload bytes]}.
     *
     * @param payload the application bytes
     * @return a new array holding the encoded message
     */
    public static byte[] encodeStreamUser(byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        int size = 1 + 1 + K_USER_MSG_LEN.length + uintSize(payload.length) + payload.length;
        MsgpackWriter w = new MsgpackWriter(size);
        w.u8(MessageType.USER.code());
        w.mapHeader(1);
        w.raw(K_USER_MSG_LEN);
        w.uint(payload.length);
        w.raw(payload);
        return finish(w);
    }

    /** {@code [9] msgpack(compress{Algo: 0, Buf: compressed})}; used by {@link Packets#compress}. */
    static byte[] compressMsg(byte[] compressed) {
        int size = 1 + 1 + K_ALGO.length + 1 + K_BUF.length + bytesSize(compressed);
        MsgpackWriter w = new MsgpackWriter(size);
        w.u8(MessageType.COMPRESS.code());
        w.mapHeader(2);
        w.raw(K_ALGO);
        w.uint(0);
        w.raw(K_BUF);
        w.bytes(compressed);
        return finish(w);
    }

    // ---- per message ------------------------------------------------------------------------

    private static byte[] ping(Message.Ping p) {
        checkPort(p.sourcePort(), "sourcePort");
        long seq = Integer.toUnsignedLong(p.seqNo());
        boolean hasAddr = p.sourceAddr() != null && p.sourceAddr().length > 0;
        boolean hasSourceNode = !p.sourceNode().isEmpty();
        boolean hasPort = p.sourcePort() != 0;
        int nodeLen = Utf8.length(p.node());
        int sourceNodeLen = hasSourceNode ? Utf8.length(p.sourceNode()) : 0;
        int entries = 2 + (hasAddr ? 1 : 0) + (hasSourceNode ? 1 : 0) + (hasPort ? 1 : 0);
        int size = 1 + 1 + K_NODE.length + strSize(nodeLen) + K_SEQ_NO.length + uintSize(seq)
                + (hasAddr ? K_SOURCE_ADDR.length + bytesSize(p.sourceAddr()) : 0)
                + (hasSourceNode ? K_SOURCE_NODE.length + strSize(sourceNodeLen) : 0)
                + (hasPort ? K_SOURCE_PORT.length + uintSize(p.sourcePort()) : 0);
        MsgpackWriter w = new MsgpackWriter(size);
        w.u8(MessageType.PING.code());
        w.mapHeader(entries);
        w.raw(K_NODE);
        w.str(p.node(), nodeLen);
        w.raw(K_SEQ_NO);
        w.uint(seq);
        if (hasAddr) {
            w.raw(K_SOURCE_ADDR);
            w.bytes(p.sourceAddr());
        }
        if (hasSourceNode) {
            w.raw(K_SOURCE_NODE);
            w.str(p.sourceNode(), sourceNodeLen);
        }
        if (hasPort) {
            w.raw(K_SOURCE_PORT);
            w.uint(p.sourcePort());
        }
        return finish(w);
    }

    private static byte[] indirectPing(Message.IndirectPing p) {
        checkPort(p.port(), "port");
        checkPort(p.sourcePort(), "sourcePort");
        long seq = Integer.toUnsignedLong(p.seqNo());
        boolean hasAddr = p.sourceAddr() != null && p.sourceAddr().length > 0;
        boolean hasSourceNode = !p.sourceNode().isEmpty();
        boolean hasPort = p.sourcePort() != 0;
        int nodeLen = Utf8.length(p.node());
        int sourceNodeLen = hasSourceNode ? Utf8.length(p.sourceNode()) : 0;
        int entries = 5 + (hasAddr ? 1 : 0) + (hasSourceNode ? 1 : 0) + (hasPort ? 1 : 0);
        int size = 1 + 1 + K_NACK.length + 1 + K_NODE.length + strSize(nodeLen)
                + K_PORT.length + uintSize(p.port()) + K_SEQ_NO.length + uintSize(seq)
                + (hasAddr ? K_SOURCE_ADDR.length + bytesSize(p.sourceAddr()) : 0)
                + (hasSourceNode ? K_SOURCE_NODE.length + strSize(sourceNodeLen) : 0)
                + (hasPort ? K_SOURCE_PORT.length + uintSize(p.sourcePort()) : 0)
                + K_TARGET.length + bytesSize(p.target());
        MsgpackWriter w = new MsgpackWriter(size);
        w.u8(MessageType.INDIRECT_PING.code());
        w.mapHeader(entries);
        w.raw(K_NACK);
        w.bool(p.nack());
        w.raw(K_NODE);
        w.str(p.node(), nodeLen);
        w.raw(K_PORT);
        w.uint(p.port());
        w.raw(K_SEQ_NO);
        w.uint(seq);
        if (hasAddr) {
            w.raw(K_SOURCE_ADDR);
            w.bytes(p.sourceAddr());
        }
        if (hasSourceNode) {
            w.raw(K_SOURCE_NODE);
            w.str(p.sourceNode(), sourceNodeLen);
        }
        if (hasPort) {
            w.raw(K_SOURCE_PORT);
            w.uint(p.sourcePort());
        }
        w.raw(K_TARGET);
        w.bytes(p.target());
        return finish(w);
    }

    private static byte[] ack(Message.Ack a) {
        long seq = Integer.toUnsignedLong(a.seqNo());
        int size = 1 + 1 + K_PAYLOAD.length + bytesSize(a.payload()) + K_SEQ_NO.length + uintSize(seq);
        MsgpackWriter w = new MsgpackWriter(size);
        w.u8(MessageType.ACK.code());
        w.mapHeader(2);
        w.raw(K_PAYLOAD);
        w.bytes(a.payload());
        w.raw(K_SEQ_NO);
        w.uint(seq);
        return finish(w);
    }

    private static byte[] nack(Message.Nack n) {
        long seq = Integer.toUnsignedLong(n.seqNo());
        MsgpackWriter w = new MsgpackWriter(1 + 1 + K_SEQ_NO.length + uintSize(seq));
        w.u8(MessageType.NACK.code());
        w.mapHeader(1);
        w.raw(K_SEQ_NO);
        w.uint(seq);
        return finish(w);
    }

    private static byte[] err(Message.Err e) {
        int len = Utf8.length(e.error());
        MsgpackWriter w = new MsgpackWriter(1 + 1 + K_ERROR.length + strSize(len));
        w.u8(MessageType.ERR.code());
        w.mapHeader(1);
        w.raw(K_ERROR);
        w.str(e.error(), len);
        return finish(w);
    }

    /** suspect and dead share a layout: {@code {From, Incarnation, Node}}. */
    private static byte[] incarnationNodeFrom(MessageType type, int incarnation, String node, String from) {
        long inc = Integer.toUnsignedLong(incarnation);
        int nodeLen = Utf8.length(node);
        int fromLen = Utf8.length(from);
        int size = 1 + 1 + K_FROM.length + strSize(fromLen) + K_INCARNATION.length + uintSize(inc)
                + K_NODE.length + strSize(nodeLen);
        MsgpackWriter w = new MsgpackWriter(size);
        w.u8(type.code());
        w.mapHeader(3);
        w.raw(K_FROM);
        w.str(from, fromLen);
        w.raw(K_INCARNATION);
        w.uint(inc);
        w.raw(K_NODE);
        w.str(node, nodeLen);
        return finish(w);
    }

    private static byte[] alive(Message.Alive a) {
        checkPort(a.port(), "port");
        long inc = Integer.toUnsignedLong(a.incarnation());
        int nodeLen = Utf8.length(a.node());
        int size = 1 + 1 + K_ADDR.length + bytesSize(a.addr()) + K_INCARNATION.length + uintSize(inc)
                + K_META.length + bytesSize(a.meta()) + K_NODE.length + strSize(nodeLen)
                + K_PORT.length + uintSize(a.port()) + K_VSN.length + bytesSize(a.vsn());
        MsgpackWriter w = new MsgpackWriter(size);
        w.u8(MessageType.ALIVE.code());
        w.mapHeader(6);
        w.raw(K_ADDR);
        w.bytes(a.addr());
        w.raw(K_INCARNATION);
        w.uint(inc);
        w.raw(K_META);
        w.bytes(a.meta());
        w.raw(K_NODE);
        w.str(a.node(), nodeLen);
        w.raw(K_PORT);
        w.uint(a.port());
        w.raw(K_VSN);
        w.bytes(a.vsn());
        return finish(w);
    }

    private static byte[] udpUser(Message.User u) {
        byte[] payload = u.payload();
        MsgpackWriter w = new MsgpackWriter(1 + payload.length);
        w.u8(MessageType.USER.code());
        w.raw(payload);
        return finish(w);
    }

    /** A push/pull header {@code {Join, Nodes, UserStateLen}}, msgpack only (no type byte). */
    static byte[] pushPullHeader(boolean join, int nodes, int userStateLen) {
        MsgpackWriter w = new MsgpackWriter(1 + K_JOIN.length + 1 + K_NODES.length + uintSize(nodes)
                + K_USER_STATE_LEN.length + uintSize(userStateLen));
        w.mapHeader(3);
        w.raw(K_JOIN);
        w.bool(join);
        w.raw(K_NODES);
        w.uint(nodes);
        w.raw(K_USER_STATE_LEN);
        w.uint(userStateLen);
        return finish(w);
    }

    private static byte[] pushPull(Message.PushPull pp) {
        List<Message.PushNodeState> nodes = pp.nodes();
        int userLen = pp.userState() == null ? 0 : pp.userState().length;
        int count = nodes.size();
        int[] nameLens = new int[count];
        long size = 1 + 1 + K_JOIN.length + 1 + K_NODES.length + uintSize(count)
                + K_USER_STATE_LEN.length + uintSize(userLen) + userLen;
        for (int i = 0; i < count; i++) {
            Message.PushNodeState n = nodes.get(i);
            checkPort(n.port(), "port");
            nameLens[i] = Utf8.length(n.name());
            size += nodeStateSize(n, nameLens[i]);
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("push/pull too large to encode: " + size + " bytes");
        }
        MsgpackWriter w = new MsgpackWriter((int) size);
        w.u8(MessageType.PUSH_PULL.code());
        w.mapHeader(3);
        w.raw(K_JOIN);
        w.bool(pp.join());
        w.raw(K_NODES);
        w.uint(count);
        w.raw(K_USER_STATE_LEN);
        w.uint(userLen);
        for (int i = 0; i < count; i++) {
            writeNodeState(w, nodes.get(i), nameLens[i]);
        }
        if (userLen > 0) {
            w.raw(pp.userState());
        }
        return finish(w);
    }

    private static int nodeStateSize(Message.PushNodeState n, int nameLen) {
        return 1 + K_ADDR.length + bytesSize(n.addr())
                + K_INCARNATION.length + uintSize(Integer.toUnsignedLong(n.incarnation()))
                + K_META.length + bytesSize(n.meta()) + K_NAME.length + strSize(nameLen)
                + K_PORT.length + uintSize(n.port()) + K_STATE.length + intSize(n.state())
                + K_VSN.length + bytesSize(n.vsn());
    }

    private static void writeNodeState(MsgpackWriter w, Message.PushNodeState n, int nameLen) {
        w.mapHeader(7);
        w.raw(K_ADDR);
        w.bytes(n.addr());
        w.raw(K_INCARNATION);
        w.uint(Integer.toUnsignedLong(n.incarnation()));
        w.raw(K_META);
        w.bytes(n.meta());
        w.raw(K_NAME);
        w.str(n.name(), nameLen);
        w.raw(K_PORT);
        w.uint(n.port());
        w.raw(K_STATE);
        w.sint(n.state());
        w.raw(K_VSN);
        w.bytes(n.vsn());
    }

    private static void checkPort(int port, String field) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException(field + " out of range 0..65535: " + port);
        }
    }

    private static byte[] finish(MsgpackWriter w) {
        if (w.pos != w.buf.length) {
            throw new IllegalStateException("encoder size mismatch: " + w.pos + " != " + w.buf.length);
        }
        return w.buf;
    }
}
