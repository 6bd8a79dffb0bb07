package dev.grapevine.membership.wire;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Writes a message in one of the many msgpack forms go-msgpack 0.5.5 also accepts, using
 * msgpack-core: keys shuffled, extra unknown keys with arbitrary (nested) values, integers in any
 * wide enough family (signed or unsigned), strings as fixstr/str8/str16/str32, byte fields as
 * str, bin or an array of integers, zero values as nil, and sometimes the array form of the struct.
 */
final class VariantEncoder {
    enum Kind { U32, U16, GO_INT, BOOL, STR, BYTES }

    record Field(String key, Kind kind, Object value) {
    }

    private final Random rnd;
    private final boolean allowArrayForm;

    VariantEncoder(long seed, boolean allowArrayForm) {
        this.rnd = new Random(seed);
        this.allowArrayForm = allowArrayForm;
    }

    /** Fields in Go declaration order; omitempty fields that are empty are left out. */
    static List<Field> fields(Message m) {
        List<Field> f = new ArrayList<>();
        switch (m.type()) {
            case PING -> {
                Message.Ping p = (Message.Ping) m;
                f.add(new Field("SeqNo", Kind.U32, p.seqNo()));
                f.add(new Field("Node", Kind.STR, p.node()));
                f.add(new Field("SourceAddr", Kind.BYTES, p.sourceAddr()));
                f.add(new Field("SourcePort", Kind.U16, p.sourcePort()));
                f.add(new Field("SourceNode", Kind.STR, p.sourceNode()));
            }
            case INDIRECT_PING -> {
                Message.IndirectPing p = (Message.IndirectPing) m;
                f.add(new Field("SeqNo", Kind.U32, p.seqNo()));
                f.add(new Field("Target", Kind.BYTES, p.target()));
                f.add(new Field("Port", Kind.U16, p.port()));
                f.add(new Field("Node", Kind.STR, p.node()));
                f.add(new Field("Nack", Kind.BOOL, p.nack()));
                f.add(new Field("SourceAddr", Kind.BYTES, p.sourceAddr()));
                f.add(new Field("SourcePort", Kind.U16, p.sourcePort()));
                f.add(new Field("SourceNode", Kind.STR, p.sourceNode()));
            }
            case ACK -> {
                Message.Ack a = (Message.Ack) m;
                f.add(new Field("SeqNo", Kind.U32, a.seqNo()));
                f.add(new Field("Payload", Kind.BYTES, a.payload()));
            }
            case NACK -> f.add(new Field("SeqNo", Kind.U32, ((Message.Nack) m).seqNo()));
            case ERR -> f.add(new Field("Error", Kind.STR, ((Message.Err) m).error()));
            case SUSPECT -> {
                Message.Suspect s = (Message.Suspect) m;
                f.add(new Field("Incarnation", Kind.U32, s.incarnation()));
                f.add(new Field("Node", Kind.STR, s.node()));
                f.add(new Field("From", Kind.STR, s.from()));
            }
            case DEAD -> {
                Message.Dead s = (Message.Dead) m;
                f.add(new Field("Incarnation", Kind.U32, s.incarnation()));
                f.add(new Field("Node", Kind.STR, s.node()));
                f.add(new Field("From", Kind.STR, s.from()));
            }
            case ALIVE -> {
                Message.Alive a = (Message.Alive) m;
                f.add(new Field("Incarnation", Kind.U32, a.incarnation()));
                f.add(new Field("Node", Kind.STR, a.node()));
                f.add(new Field("Addr", Kind.BYTES, a.addr()));
                f.add(new Field("Port", Kind.U16, a.port()));
                f.add(new Field("Meta", Kind.BYTES, a.meta()));
                f.add(new Field("Vsn", Kind.BYTES, a.vsn()));
            }
            default -> throw new IllegalArgumentException(m.type().toString());
        }
        return f;
    }

    static List<Field> nodeFields(Message.PushNodeState n) {
        return List.of(new Field("Name", Kind.STR, n.name()), new Field("Addr", Kind.BYTES, n.addr()),
                new Field("Port", Kind.U16, n.port()), new Field("Meta", Kind.BYTES, n.meta()),
                new Field("Incarnation", Kind.U32, n.incarnation()), new Field("State", Kind.GO_INT, n.state()),
                new Field("Vsn", Kind.BYTES, n.vsn()));
    }

    /** The whole message (type byte included) in a random equivalent form. */
    byte[] encode(Message m) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.writePayload(new byte[] {(byte) m.type().code()});
            if (m instanceof Message.User u) {
                p.writePayload(u.payload());
            } else if (m instanceof Message.PushPull pp) {
                int userLen = pp.userState() == null ? 0 : pp.userState().length;
                struct(p, List.of(new Field("Nodes", Kind.GO_INT, pp.nodes().size()),
                        new Field("UserStateLen", Kind.GO_INT, userLen), new Field("Join", Kind.BOOL, pp.join())));
                for (Message.PushNodeState n : pp.nodes()) {
                    struct(p, nodeFields(n));
                }
                if (userLen > 0) {
                    p.writePayload(pp.userState());
                }
            } else {
                struct(p, fields(m));
            }
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void struct(MessageBufferPacker p, List<Field> fields) throws IOException {
        if (allowArrayForm && rnd.nextInt(8) == 0) {
            // Declaration order, sometimes with extra trailing elements (Go skips them).
            int extra = rnd.nextInt(3);
            p.packArrayHeader(fields.size() + extra);
            for (Field f : fields) {
                value(p, f);
            }
            for (int i = 0; i < extra; i++) {
                Values.random(p, rnd, 3);
            }
            return;
        }
        List<Object[]> entries = new ArrayList<>();
        for (Field f : fields) {
            if (f.value() == null && rnd.nextBoolean()) {
                continue; // a missing key is the zero value
            }
            entries.add(new Object[] {f});
        }
        int unknown = rnd.nextInt(4);
        for (int i = 0; i < unknown; i++) {
            entries.add(new Object[] {"unknown"});
        }
        Collections.shuffle(entries, rnd);
        mapHeader(p, entries.size());
        for (Object[] e : entries) {
            if (e[0] instanceof Field f) {
                str(p, f.key().getBytes(StandardCharsets.US_ASCII));
                value(p, f);
            } else {
                // Unknown keys: never equal to a field name (they are lower case or longer).
                str(p, ("x" + rnd.nextInt(1000)).getBytes(StandardCharsets.US_ASCII));
                Values.random(p, rnd, 4);
            }
        }
    }

    private void mapHeader(MessageBufferPacker p, int n) throws IOException {
        switch (rnd.nextInt(3)) {
            case 0 -> p.packMapHeader(n);
            case 1 -> p.writePayload(new byte[] {(byte) 0xde, (byte) (n >>> 8), (byte) n});
            default -> p.writePayload(new byte[] {(byte) 0xdf, 0, 0, (byte) (n >>> 8), (byte) n});
        }
    }

    private void value(MessageBufferPacker p, Field f) throws IOException {
        switch (f.kind()) {
            case U32 -> integer(p, Integer.toUnsignedLong((Integer) f.value()));
            case U16, GO_INT -> integer(p, (Integer) f.value());
            case BOOL -> {
                boolean b = (Boolean) f.value();
                if (rnd.nextBoolean()) {
                    p.packBoolean(b);
                } else {
                    p.writePayload(new byte[] {(byte) (b ? 1 : 0)});
                }
            }
            case STR -> {
                String s = (String) f.value();
                if (s.isEmpty() && rnd.nextInt(3) == 0) {
                    p.packNil();
                } else {
                    str(p, s.getBytes(StandardCharsets.UTF_8));
                }
            }
            case BYTES -> {
                byte[] b = (byte[]) f.value();
                if (b == null) {
                    p.packNil();
                } else {
                    switch (rnd.nextInt(3)) {
                        case 0 -> str(p, b);
                        case 1 -> {
                            p.packBinaryHeader(b.length);
                            p.writePayload(b);
                        }
                        default -> {
                            p.packArrayHeader(b.length);
                            for (byte x : b) {
                                integer(p, x & 0xff);
                            }
                        }
                    }
                }
            }
            default -> throw new AssertionError(f.kind());
        }
    }

    /** An integer in a random family wide enough for it (any signedness, nil for zero). */
    private void integer(MessageBufferPacker p, long v) throws IOException {
        List<byte[]> forms = new ArrayList<>();
        if (v >= 0 && v <= 127) {
            forms.add(new byte[] {(byte) v});
        }
        if (v >= -32 && v < 0) {
            forms.add(new byte[] {(byte) v});
        }
        if (v == 0) {
            forms.add(new byte[] {(byte) 0xc0});
        }
        if (v >= 0 && v <= 0xff) {
            forms.add(new byte[] {(byte) 0xcc, (byte) v});
        }
        if (v >= 0 && v <= 0xffff) {
            forms.add(new byte[] {(byte) 0xcd, (byte) (v >>> 8), (byte) v});
        }
        if (v >= 0 && v <= 0xffff_ffffL) {
            forms.add(be((byte) 0xce, v, 4));
        }
        if (v >= 0) {
            forms.add(be((byte) 0xcf, v, 8));
        }
        if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
            forms.add(new byte[] {(byte) 0xd0, (byte) v});
        }
        if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
            forms.add(be((byte) 0xd1, v, 2));
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            forms.add(be((byte) 0xd2, v, 4));
        }
        forms.add(be((byte) 0xd3, v, 8));
        p.writePayload(forms.get(rnd.nextInt(forms.size())));
    }

    private static byte[] be(byte head, long v, int n) {
        byte[] b = new byte[1 + n];
        b[0] = head;
        for (int i = 0; i < n; i++) {
            b[n - i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    /** A str-family value in a random form that fits (fixstr, str8, str16, str32). */
    private void str(MessageBufferPacker p, byte[] b) throws IOException {
        int n = b.length;
        List<byte[]> headers = new ArrayList<>();
        if (n < 32) {
            headers.add(new byte[] {(byte) (0xa0 | n)});
        }
        if (n < 256) {
            headers.add(new byte[] {(byte) 0xd9, (byte) n});
        }
        if (n < 65536) {
            headers.add(new byte[] {(byte) 0xda, (byte) (n >>> 8), (byte) n});
        }
        headers.add(be((byte) 0xdb, n, 4));
        p.writePayload(headers.get(rnd.nextInt(headers.size())));
        p.writePayload(b);
    }

    /** Random msgpack values of every type, written with msgpack-core. */
    static final class Values {
        private Values() {
        }

        static void random(MessageBufferPacker p, Random rnd, int depth) throws IOException {
            int k = rnd.nextInt(depth > 0 ? 18 : 14);
            switch (k) {
                case 0 -> p.packNil();
                case 1 -> p.packBoolean(rnd.nextBoolean());
                case 2 -> p.packLong(rnd.nextLong());
                case 3 -> p.packInt(rnd.nextInt(256) - 128);
                case 4 -> p.packFloat(rnd.nextFloat());
                case 5 -> p.packDouble(rnd.nextDouble());
                case 6 -> p.packString("s".repeat(rnd.nextInt(40)));
                case 7 -> {
                    byte[] b = new byte[rnd.nextInt(300)];
                    p.packBinaryHeader(b.length);
                    p.writePayload(b);
                }
                case 8 -> {
                    int len = new int[] {1, 2, 4, 8, 16, 3, 300}[rnd.nextInt(7)];
                    p.packExtensionTypeHeader((byte) rnd.nextInt(100), len);
                    p.writePayload(new byte[len]);
                }
                case 9 -> p.packBigInteger(java.math.BigInteger.ONE.shiftLeft(64).subtract(java.math.BigInteger.ONE));
                case 10 -> p.writePayload(new byte[] {(byte) 0xd9, 2, 'h', 'i'});
                case 11 -> p.packRawStringHeader(0);
                case 12 -> p.packShort((short) -300);
                case 13 -> p.packLong(Long.MIN_VALUE);
                case 14, 15 -> {
                    int n = rnd.nextInt(5);
                    p.packArrayHeader(n);
                    for (int i = 0; i < n; i++) {
                        random(p, rnd, depth - 1);
                    }
                }
                default -> {
                    int n = rnd.nextInt(4);
                    p.packMapHeader(n);
                    for (int i = 0; i < n; i++) {
                        random(p, rnd, depth - 1); // keys of any type are fine when skipping
                        random(p, rnd, depth - 1);
                    }
                }
            }
        }
    }
}
