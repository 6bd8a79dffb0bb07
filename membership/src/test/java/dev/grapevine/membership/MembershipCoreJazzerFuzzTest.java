package dev.grapevine.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.grapevine.membership.wire.DecodeResult;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.PacketVisitor;
import dev.grapevine.membership.wire.Packets;
import dev.grapevine.membership.wire.SignedCodec;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * Coverage-guided fuzz targets (Jazzer) for the whole core: a {@link MembershipCore} with three
 * peers is fed a script of hostile inputs (raw and structured packets, stream requests, replies to
 * its own streams, push/pulls, replays and mutated replays of everything it sent, signed envelopes
 * with bad, forged, impostor and replayed signatures) and of time passing.
 *
 * <p>After every step: no exception escaped; {@link MembershipCore#selfCheck selfCheck(true)} is
 * clean; the local node is alive; every packet, stream request and stream reply the core produced
 * decodes without a rejection. In signing mode also: the two honest peers stay alive at the
 * incarnation they claimed, and no member exists whose claim was not signed by its own key — no
 * input the fuzzer can make (it never holds an honest key) may change that. The host answers the
 * core's probes of the honest peers, as live peers would.
 *
 * <p>A normal {@code mvn verify} replays the seed corpus
 * ({@code src/test/resources/dev/grapevine/membership/MembershipCoreJazzerFuzzTestInputs/<method>/}).
 * To fuzz for real, one method per run:
 * {@code JAZZER_FUZZ=1 mvn -pl membership -am test -Dtest=MembershipCoreJazzerFuzzTest#signing -Dsurefire.failIfNoSpecifiedTests=false}.
 * The input format (a script of operations) is {@link Script}; {@link #seeds()} writes examples.
 */
class MembershipCoreJazzerFuzzTest {
    static final String ME = "me";
    static final String MALLORY = "mallory";
    static final List<String> HONEST = List.of("h1", "h2");
    static final NodeAddress ME_ADDR = NodeAddress.of("10.0.0.1", 7946);
    static final NodeAddress MALLORY_ADDR = NodeAddress.of("10.0.0.66", 7946);
    static final List<NodeAddress> HONEST_ADDR = List.of(NodeAddress.of("10.0.0.2", 7946),
            NodeAddress.of("10.0.0.3", 7946));
    static final byte[] VSN = {1, 5, 2, 0, 0, 0};
    /** The incarnation the honest peers hold; they also sent claims at 1 before. */
    static final int HONEST_INCARNATION = 2;
    private static final int MAX_OPS = 48;
    private static final long MAX_CLOCK_ADVANCE_NANOS = 180_000_000_000L;
    /** {@code -Dcore.fuzz.trace=true} prints each step and what the core did, to study a finding. */
    private static final boolean TRACE = Boolean.getBoolean("core.fuzz.trace");

    @FuzzTest
    void plain(byte[] data) {
        new Run(data, false).run();
    }

    @FuzzTest
    void signing(byte[] data) {
        new Run(data, true).run();
    }

    /**
     * Example scripts, one per kind of step and a few mixed ones; {@code main} writes them to the
     * seed directories of both targets (run by hand with the test classpath, from the module
     * directory: {@code java -cp ... dev.grapevine.membership.MembershipCoreJazzerFuzzTest src/test/resources}).
     */
    static List<byte[]> seeds() {
        List<byte[]> out = new ArrayList<>();
        int ops = Op.values().length;
        for (int op = 0; op < ops; op++) {
            // the op, then a spread of argument bytes: small counts, indexes, lengths
            byte[] b = new byte[64];
            b[0] = (byte) op;
            for (int i = 1; i < b.length; i++) {
                b[i] = (byte) (i * 37 + op * 11);
            }
            b[1] = (byte) 3; // a short first length or choice
            out.add(b);
        }
        // time passes (probes, gossip, push/pull), then replies to the core's own streams
        out.add(new byte[] {(byte) Op.ADVANCE.ordinal(), 0x4e, 0x20, (byte) Op.PUSH_PULL.ordinal(), 1, 3, 0, 2,
            1, 0, 1, 1, 1, 1, (byte) Op.ADVANCE.ordinal(), (byte) 0xff, (byte) 0xff, (byte) Op.RAW_REPLY.ordinal(),
            0, 4, 6, (byte) 0x83, 0, 0, (byte) Op.STREAM_FAILURE.ordinal(), 0});
        // replays of what the core sent after it started, as packets and as streams
        out.add(new byte[] {(byte) Op.ADVANCE.ordinal(), 0x27, 0x10, (byte) Op.REPLAY.ordinal(), 0, 0, 0, 0, 1,
            (byte) Op.REPLAY.ordinal(), 1, 0, 0, 1, 2, (byte) Op.REPLAY.ordinal(), 2, 1, 0, 0, 0, 5, 0, 3});
        // accusations against the local node and the honest peers, signed every way
        for (int how = 0; how < 6; how++) {
            out.add(new byte[] {(byte) Op.MESSAGE_PACKET.ordinal(), 0, 0, 1, 4, 0, 1, (byte) how, 0, 0,
                (byte) Op.MESSAGE_PACKET.ordinal(), 1, 0, 2, 4, 3, 2, (byte) how, 1, 7,
                (byte) Op.MESSAGE_PACKET.ordinal(), 2, 1, 2, 5, 3, 2, (byte) how, 1, 3});
        }
        return out;
    }

    public static void main(String[] args) throws java.io.IOException {
        java.nio.file.Path dir = java.nio.file.Path.of(args[0], "dev", "grapevine", "membership",
                "MembershipCoreJazzerFuzzTestInputs");
        List<byte[]> seeds = seeds();
        for (String target : List.of("plain", "signing")) {
            java.nio.file.Files.createDirectories(dir.resolve(target));
            for (int i = 0; i < seeds.size(); i++) {
                java.nio.file.Files.write(dir.resolve(target).resolve("seed-" + i), seeds.get(i));
            }
        }
    }

    /** Reads the fuzzer's bytes as a script; never fails: past the end everything is zero. */
    static final class Script {
        private final byte[] d;
        private int p;

        Script(byte[] d) {
            this.d = d;
        }

        boolean more() {
            return p < d.length;
        }

        int u8() {
            return p < d.length ? d[p++] & 0xff : 0;
        }

        int u16() {
            return (u8() << 8) | u8();
        }

        int u32() {
            return (u16() << 16) | u16();
        }

        boolean bool() {
            return (u8() & 1) != 0;
        }

        /** A length byte {@code n} (scaled by {@code unit}) then up to {@code n} bytes. */
        byte[] bytes(int unit) {
            int n = Math.min(u8() * unit, d.length - p);
            byte[] b = Arrays.copyOfRange(d, p, p + n);
            p += n;
            return b;
        }

        <T> T pick(List<T> from) {
            return from.get(u8() % from.size());
        }
    }

    /** Operation codes (the script's first byte of each step, modulo the count). */
    enum Op {
        RAW_PACKET, RAW_STREAM, MESSAGE_PACKET, PUSH_PULL, RAW_REPLY, STREAM_FAILURE, ADVANCE, REPLAY,
        STREAM_MESSAGE, LOCAL_ACTION
    }

    /** A packet or stream for the core, queued by the host while the core is running. */
    private record Delivery(NodeAddress from, byte[] packet, long streamId) {
    }

    private record Due(long at, long seq, Timer timer) {
    }

    /** One fuzz input: a fresh core, its peers, and the script. */
    static final class Run implements Host, LongSupplier {
        final Script s;
        final boolean signing;
        final TestCa ca = new TestCa(1);
        final TestCa.Identity me;
        final TestCa.Identity mallory;
        final List<TestCa.Identity> honest = new ArrayList<>();
        final MembershipCore core;
        /** Genuine signed claims of the honest peers and mallory, for replays. */
        final List<byte[]> genuine = new ArrayList<>();
        /** Recent packets the core sent, for replays. */
        final ArrayDeque<byte[]> sentPackets = new ArrayDeque<>();
        /** Recent stream messages the core wrote (requests and replies), for replays. */
        final ArrayDeque<byte[]> sentStreams = new ArrayDeque<>();
        final List<StreamRequest> pending = new ArrayList<>();
        private final ArrayDeque<Delivery> deliveries = new ArrayDeque<>();
        private final PriorityQueue<Due> timers =
                new PriorityQueue<>(Comparator.comparingLong(Due::at).thenComparingLong(Due::seq));
        private long seq;
        private long now = 1_000_000_000L;
        private final long clockLimit = now + MAX_CLOCK_ADVANCE_NANOS;
        private final List<NodeAddress> addresses = new ArrayList<>();
        private final List<String> names = new ArrayList<>(List.of(ME, "h1", "h2", MALLORY, "x", "", "h1 ",
                "\uFFFD", "n".repeat(300)));

        Run(byte[] data, boolean signing) {
            this.s = new Script(data);
            this.signing = signing;
            me = ca.issue(ME);
            mallory = ca.issue(MALLORY);
            for (String h : HONEST) {
                honest.add(ca.issue(h));
            }
            addresses.add(ME_ADDR);
            addresses.addAll(HONEST_ADDR);
            addresses.add(MALLORY_ADDR);
            addresses.add(NodeAddress.of("10.9.9.9", 7946));
            addresses.add(NodeAddress.of("::1", 7946));
            MembershipCore.Builder b = MembershipCore.builder().config(MembershipConfig.lan()).name(ME)
                    .advertise(ME_ADDR).host(this).clock(this).random(new SplittableRandom(7))
                    .delegate(new Delegate() {
                        @Override
                        public byte[] localState(boolean join) {
                            return "local-state".getBytes(StandardCharsets.US_ASCII);
                        }

                        @Override
                        public boolean userMessage(byte[] payload, NodeAddress from) {
                            return true;
                        }
                    });
            if (signing) {
                b.authority(me);
            }
            core = b.build();
        }

        void run() {
            core.start();
            for (int i = 0; i < HONEST.size(); i++) {
                for (int inc = 1; inc <= HONEST_INCARNATION; inc++) {
                    Message.Alive a = new Message.Alive(inc, HONEST.get(i), HONEST_ADDR.get(i).ip(),
                            HONEST_ADDR.get(i).port(), null, VSN);
                    byte[] claim = signing ? sign(honest.get(i), HONEST.get(i), WireEncoder.encode(a), inc == 1)
                            : WireEncoder.encode(a);
                    genuine.add(claim);
                    packet(HONEST_ADDR.get(i), claim);
                }
            }
            Message.Alive m = new Message.Alive(1, MALLORY, MALLORY_ADDR.ip(), MALLORY_ADDR.port(), null, VSN);
            byte[] mc = signing ? sign(mallory, MALLORY, WireEncoder.encode(m), true) : WireEncoder.encode(m);
            genuine.add(mc);
            packet(MALLORY_ADDR, mc);
            if (signing) {
                byte[] user = sign(honest.get(0), "h1", WireEncoder.encode(new Message.User(new byte[] {'h', 'i'})), false);
                genuine.add(user);
                packet(HONEST_ADDR.get(0), user);
            }
            drain();
            assertEquals(4, core.numMembers(), "setup");
            check();
            for (int op = 0; op < MAX_OPS && s.more(); op++) {
                Op o = Op.values()[s.u8() % Op.values().length];
                trace("op " + o + " at " + now / 1_000_000 + " ms");
                step(o);
                drain();
                check();
            }
        }

        private void step(Op op) {
            switch (op) {
                case RAW_PACKET -> packet(s.pick(addresses), s.bytes(8));
                case RAW_STREAM -> stream(s.pick(addresses), s.bytes(8));
                case MESSAGE_PACKET -> packet(s.pick(addresses), wrap(claim()));
                case PUSH_PULL -> {
                    byte[] msg = pushPull();
                    if (s.bool()) {
                        msg = Packets.compress(msg);
                    }
                    if (s.bool() && !pending.isEmpty()) {
                        reply(s.pick(pending), msg);
                    } else {
                        stream(s.pick(addresses), msg);
                    }
                }
                case RAW_REPLY -> {
                    if (!pending.isEmpty()) {
                        reply(s.pick(pending), s.bytes(8));
                    }
                }
                case STREAM_FAILURE -> {
                    if (!pending.isEmpty()) {
                        StreamRequest r = s.pick(pending);
                        pending.remove(r);
                        core.handleStreamFailure(r.id(), "fuzz");
                    }
                }
                case ADVANCE -> advance(s.u16() * 1_000_000L / 8);
                case REPLAY -> replay();
                case STREAM_MESSAGE -> {
                    byte[] msg = switch (s.u8() % 4) {
                        case 0 -> WireEncoder.encode(new Message.Ping(s.u32(), s.pick(names), s.pick(addresses).ip(),
                                s.u16(), s.pick(names)));
                        case 1 -> WireEncoder.encodeStreamUser(s.bytes(1));
                        case 2 -> WireEncoder.encode(new Message.Ack(s.u32(), s.bytes(1)));
                        default -> WireEncoder.encode(new Message.Err(s.pick(names)));
                    };
                    if (s.bool()) {
                        msg = Packets.compress(msg);
                    }
                    if (s.bool() && !pending.isEmpty()) {
                        reply(s.pick(pending), msg);
                    } else {
                        stream(s.pick(addresses), msg);
                    }
                }
                case LOCAL_ACTION -> {
                    switch (s.u8() % 3) {
                        case 0 -> core.updateMetadata(s.bytes(1));
                        case 1 -> core.broadcast(s.bytes(1));
                        default -> core.noteNews();
                    }
                }
            }
        }

        // ---- building inputs ----------------------------------------------------------------------

        private int incarnation(String name) {
            return switch (s.u8() % 6) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> -1;
                case 3 -> s.u32();
                default -> {
                    Member m = core.member(name);
                    yield (m == null ? 1 : (int) m.incarnation()) + (s.u8() % 3) - 1;
                }
            };
        }

        private byte[] ip() {
            return switch (s.u8() % 4) {
                case 0 -> null;
                case 1 -> s.bytes(1);
                default -> s.pick(addresses).ip();
            };
        }

        private byte[] vsn() {
            return switch (s.u8() % 4) {
                case 0 -> null;
                case 1 -> s.bytes(1);
                default -> VSN;
            };
        }

        private byte[] meta() {
            return s.bool() ? null : s.bytes(3);
        }

        /** A membership or user claim, or a probe message, in its plain encoding. */
        private byte[] message() {
            String node = s.pick(names);
            return switch (s.u8() % 8) {
                case 0 -> WireEncoder.encode(new Message.Alive(incarnation(node), node, ip(), s.u16(), meta(), vsn()));
                case 1 -> WireEncoder.encode(new Message.Suspect(incarnation(node), node, s.pick(names)));
                case 2 -> WireEncoder.encode(new Message.Dead(incarnation(node), node, s.pick(names)));
                case 3 -> WireEncoder.encode(new Message.Ping(s.u32(), node, ip(), s.u16(), s.pick(names)));
                case 4 -> WireEncoder.encode(new Message.IndirectPing(s.u32(), ip(), s.u16(), node, s.bool(), ip(),
                        s.u16(), s.pick(names)));
                case 5 -> WireEncoder.encode(new Message.Ack(s.u32(), s.bytes(1)));
                case 6 -> WireEncoder.encode(new Message.Nack(s.u32()));
                default -> WireEncoder.encode(new Message.User(s.bytes(1)));
            };
        }

        /**
         * A message as an attacker could send it. In signing mode, claims get an envelope that is
         * unsigned, garbage, signed by mallory (who may speak only for itself: the claim is then
         * about mallory), signed by an impostor from another CA, or by mallory's key in another's
         * name; or the claim is a replay of a genuine one.
         */
        private byte[] claim() {
            byte[] plain = message();
            int type = plain[0] & 0xff;
            boolean claimType = type == 3 || type == 4 || type == 5 || type == 8;
            if (!signing || !claimType) {
                return plain;
            }
            String signer = s.pick(names);
            int signerBytes = signer.getBytes(StandardCharsets.UTF_8).length;
            if (signerBytes == 0 || signerBytes > 255) {
                signer = "x"; // an envelope cannot carry it; raw bytes cover those
            }
            return switch (s.u8() % 6) {
                case 0 -> plain;
                case 1 -> SignedCodec.envelope(signer, Arrays.copyOf(s.bytes(1), 64),
                        s.bool() ? null : s.bool() ? s.pick(honest).certificate() : Arrays.copyOf(s.bytes(1), 1 + s.u8()),
                        plain);
                case 2 -> sign(mallory, MALLORY, mallorysOwn(type, plain), s.bool());
                case 3 -> {
                    TestCa.Identity imp = ca.impostor(signer);
                    yield sign(imp, signer, plain, true);
                }
                case 4 -> {
                    // mallory's key in another's name; in its own name it may only speak for itself
                    byte[] payload = signer.equals(MALLORY) ? mallorysOwn(type, plain) : plain;
                    yield SignedCodec.envelope(signer, mallory.sign(SignedCodec.signedBytes(signer, payload)),
                            s.bool() ? mallory.certificate() : null, payload);
                }
                default -> s.pick(genuine);
            };
        }

        /** {@code plain} turned into a claim mallory may make: about itself, in its own name. */
        private byte[] mallorysOwn(int type, byte[] plain) {
            int inc = incarnation(MALLORY);
            return switch (type) {
                case 4 -> WireEncoder.encode(new Message.Alive(inc, MALLORY, ip(), s.u16(), meta(), vsn()));
                case 3 -> WireEncoder.encode(new Message.Suspect(inc, MALLORY, MALLORY));
                case 5 -> WireEncoder.encode(new Message.Dead(inc, MALLORY, MALLORY));
                default -> plain;
            };
        }

        private static byte[] sign(TestCa.Identity id, String signer, byte[] payload, boolean withCert) {
            return SignedCodec.envelope(signer, id.sign(SignedCodec.signedBytes(signer, payload)),
                    withCert ? id.certificate() : null, payload);
        }

        /** Optionally wraps a message in a compound (with more claims), compression and a CRC. */
        private byte[] wrap(byte[] msg) {
            int how = s.u8();
            byte[] out = msg;
            if ((how & 1) != 0) {
                List<byte[]> parts = new ArrayList<>();
                parts.add(out);
                int n = 1 + s.u8() % 4;
                for (int i = 0; i < n; i++) {
                    parts.add(claim());
                }
                out = Packets.compound(parts);
            }
            if ((how & 2) != 0) {
                out = Packets.compress(out);
            }
            if ((how & 4) != 0) {
                out = Packets.withCrc(out);
            }
            return out;
        }

        private byte[] pushPull() {
            boolean join = s.bool();
            int n = s.u8() % 6;
            byte[] user = s.bool() ? null : s.bytes(1);
            if (!signing || s.u8() % 8 == 0) {
                List<Message.PushNodeState> nodes = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String name = s.pick(names);
                    int state = s.u8() % 6 == 5 ? s.u32() : s.u8() % 5;
                    nodes.add(new Message.PushNodeState(name, ip(), s.u16(), meta(), incarnation(name), state, vsn()));
                }
                return WireEncoder.encode(new Message.PushPull(join, nodes, user));
            }
            List<byte[]> proofs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] c = claim();
                if ((c[0] & 0xff) == 241) {
                    proofs.add(c);
                }
            }
            List<byte[]> broadcasts = new ArrayList<>();
            int b = s.u8() % 3;
            for (int i = 0; i < b; i++) {
                byte[] c = claim();
                if ((c[0] & 0xff) == 241) {
                    broadcasts.add(c);
                }
            }
            return SignedCodec.encodePushPull(join, proofs, broadcasts, user);
        }

        private void replay() {
            List<byte[]> from = switch (s.u8() % 3) {
                case 0 -> new ArrayList<>(sentPackets);
                case 1 -> new ArrayList<>(sentStreams);
                default -> genuine;
            };
            if (from.isEmpty()) {
                return;
            }
            byte[] b = s.pick(from).clone();
            if (s.bool() && b.length > 0) {
                int at = s.u16() % b.length;
                b[at] ^= (byte) (1 + s.u8() % 255);
            }
            int where = s.u8() % 3;
            if (where == 0) {
                packet(s.pick(addresses), b);
            } else if (where == 1 || pending.isEmpty()) {
                stream(s.pick(addresses), b);
            } else {
                reply(s.pick(pending), b);
            }
        }

        // ---- feeding the core -----------------------------------------------------------------------

        private void packet(NodeAddress from, byte[] b) {
            core.handlePacket(from, b, 0, b.length);
        }

        private void stream(NodeAddress from, byte[] b) {
            if (TRACE) {
                trace("  in: stream " + describe(b));
            }
            byte[] reply = core.handleStream(from, b, 0, b.length);
            if (reply != null) {
                assertDecodes("stream reply", reply);
                remember(sentStreams, reply);
            }
        }

        private void reply(StreamRequest r, byte[] b) {
            if (TRACE) {
                trace("  in: reply to " + r + ": " + describe(b));
            }
            pending.remove(r);
            core.handleStreamReply(r.id(), b, 0, b.length);
        }

        /** Delivers what the honest peers answered, in order; bounded. */
        private void drain() {
            for (int i = 0; i < 10_000 && !deliveries.isEmpty(); i++) {
                Delivery d = deliveries.poll();
                if (d.streamId >= 0) {
                    core.handleStreamReply(d.streamId, d.packet, 0, d.packet.length);
                } else {
                    core.handlePacket(d.from, d.packet, 0, d.packet.length);
                }
            }
            assertTrue(deliveries.isEmpty(), "the core and its peers keep talking without end");
        }

        private void advance(long nanos) {
            long end = Math.min(now + nanos, clockLimit);
            while (!timers.isEmpty() && timers.peek().at() <= end) {
                Due d = timers.poll();
                now = Math.max(now, d.at());
                trace(" timer " + d.timer() + " at " + now / 1_000_000 + " ms");
                core.handleTimer(d.timer());
                drain();
                check();
            }
            now = Math.max(now, end);
        }

        // ---- invariants ---------------------------------------------------------------------------------

        private void check() {
            assertNull(core.selfCheck(true));
            Member self = core.localMember();
            assertEquals(MemberState.ALIVE, self.state(), "local node");
            if (signing) {
                for (String h : HONEST) {
                    Member m = core.member(h);
                    assertNotNull(m, h);
                    assertEquals(MemberState.ALIVE, m.state(), h + " is " + m.state());
                    assertEquals(HONEST_INCARNATION, m.incarnation(), h + "'s incarnation");
                    assertEquals(HONEST_ADDR.get(HONEST.indexOf(h)), m.address(), h + "'s address");
                }
                Set<String> allowed = Set.of(ME, MALLORY, "h1", "h2");
                for (Member m : core.members()) {
                    assertTrue(allowed.contains(m.name()), "member " + m.name() + " without a genuine claim");
                }
            }
        }

        private static String describe(byte[] stream) {
            DecodeResult<Message> r = Streams.read(stream, 0, stream.length);
            if (r.ok() && r.value() instanceof Message.SignedPushPull spp) {
                return spp + " " + spp.proofs() + " " + spp.broadcasts();
            }
            return r.toString();
        }

        private static void trace(String line) {
            if (TRACE) {
                System.out.println(line);
            }
        }

        private static void assertDecodes(String what, byte[] stream) {
            DecodeResult<Message> r = Streams.read(stream, 0, stream.length);
            assertTrue(r.ok(), () -> what + " does not decode: " + r);
        }

        private static void remember(ArrayDeque<byte[]> q, byte[] b) {
            q.addLast(b);
            if (q.size() > 32) {
                q.removeFirst();
            }
        }

        // ---- Host ---------------------------------------------------------------------------------------

        @Override
        public long getAsLong() {
            return now;
        }

        @Override
        public void sendPacket(NodeAddress to, byte[] packet) {
            remember(sentPackets, packet);
            if (TRACE) {
                List<Message> msgs = new ArrayList<>();
                Packets.read(packet, 0, packet.length, new PacketVisitor() {
                    @Override
                    public void message(Message m) {
                        msgs.add(m);
                    }

                    @Override
                    public void rejected(Rejection reason, String detail) {
                    }
                });
                trace("  sent to " + to + ": " + msgs);
            }
            int peer = HONEST_ADDR.indexOf(to);
            Packets.read(packet, 0, packet.length, new PacketVisitor() {
                @Override
                public void message(Message m) {
                    if (peer >= 0 && m instanceof Message.Ping p
                            && (p.node().isEmpty() || p.node().equals(HONEST.get(peer)))) {
                        deliveries.add(new Delivery(to, WireEncoder.encode(new Message.Ack(p.seqNo(), null)), -1));
                    }
                }

                @Override
                public void rejected(Rejection reason, String detail) {
                    throw new AssertionError("the core sent a bad packet: " + reason + " " + detail);
                }

                @Override
                public void truncated(int missingParts) {
                    throw new AssertionError("the core sent a truncated compound");
                }
            });
        }

        @Override
        public void openStream(StreamRequest request) {
            trace("  stream " + request);
            assertDecodes("stream request " + request, request.payload());
            remember(sentStreams, request.payload());
            int peer = HONEST_ADDR.indexOf(request.target());
            if (peer >= 0 && request.kind() == StreamRequest.Kind.PING) {
                Message.Ping p = (Message.Ping) Streams.read(request.payload(), 0, request.payload().length).value();
                deliveries.add(new Delivery(request.target(), WireEncoder.encode(new Message.Ack(p.seqNo(), null)),
                        request.id()));
            } else if (request.expectsReply()) {
                pending.add(request);
                if (pending.size() > 16) {
                    pending.remove(0);
                }
            }
        }

        @Override
        public void schedule(Timer timer, long delayNanos) {
            assertTrue(delayNanos >= 0, "negative delay for " + timer);
            timers.add(new Due(now + delayNanos, seq++, timer));
        }

        @Override
        public void emit(MembershipEvent event) {
            assertNotNull(event);
            trace("  event " + event);
        }

        @Override
        public void rejected(NodeAddress from, Rejection reason, String detail) {
            assertNotNull(reason);
            assertNotNull(detail);
            assertTrue(!detail.startsWith("internal"), detail);
            trace("  rejected " + reason + ": " + detail);
        }
    }
}
