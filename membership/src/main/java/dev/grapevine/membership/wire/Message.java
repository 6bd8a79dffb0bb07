package dev.grapevine.membership.wire;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The memberlist 0.2.2 message structs as Java records.
 *
 * <p>Field names and meanings follow Go's structs exactly (the msgpack map keys are the Go field
 * names, see {@link WireEncoder}). Integer fields that are unsigned 32-bit in Go ({@code SeqNo},
 * {@code Incarnation}) are carried as Java {@code int} holding the same 32 bits; compare them with
 * {@link Integer#compareUnsigned}. Ports are 0..65535.
 *
 * <p>Byte-array components follow Go's slice semantics: {@code null} is a nil slice (written as
 * msgpack nil), an empty array is an empty slice. Arrays are <b>not copied</b>: records built by the
 * decoder own fresh arrays, and callers must treat every array as read-only once it is inside a
 * record. {@code equals}, {@code hashCode} and {@code toString} compare and print array contents.
 *
 * <p>Strings are never {@code null}; Go's zero value is {@code ""}.
 *
 * <p>All records are immutable values; safe to share between threads.
 */
public sealed interface Message {

    /** The type byte this message is written with. */
    MessageType type();

    /**
     * {@code ping} (type 0). The receiver acks only when {@code node} is empty or its own name.
     *
     * @param seqNo      sender's sequence number (uint32)
     * @param node       intended target's name
     * @param sourceAddr where the ack should go (IP, 4 or 16 bytes); omitted on the wire when null or empty
     * @param sourcePort where the ack should go; omitted when 0
     * @param sourceNode sender's name; omitted when empty
     */
    record Ping(int seqNo, String node, byte[] sourceAddr, int sourcePort, String sourceNode) implements Message {
        /** Checks the components; see the record description. */
        public Ping {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(sourceNode, "sourceNode");
        }

        @Override
        public MessageType type() {
            return MessageType.PING;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Ping p && p.seqNo == seqNo && p.node.equals(node)
                    && Arrays.equals(p.sourceAddr, sourceAddr) && p.sourcePort == sourcePort
                    && p.sourceNode.equals(sourceNode);
        }

        @Override
        public int hashCode() {
            return Objects.hash(seqNo, node, Arrays.hashCode(sourceAddr), sourcePort, sourceNode);
        }

        @Override
        public String toString() {
            return "Ping[seqNo=" + Integer.toUnsignedString(seqNo) + ", node=" + node + ", source="
                    + sourceNode + "@" + Hex.ip(sourceAddr) + ":" + sourcePort + "]";
        }
    }

    /**
     * {@code indirectPingReq} (type 1): ask the receiver to ping {@code node} at {@code target:port}
     * and forward the ack (or a nack, when {@code nack} is set and no ack comes) to the source.
     */
    record IndirectPing(int seqNo, byte[] target, int port, String node, boolean nack,
                        byte[] sourceAddr, int sourcePort, String sourceNode) implements Message {
        /** Checks the components; see the record description. */
        public IndirectPing {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(sourceNode, "sourceNode");
        }

        @Override
        public MessageType type() {
            return MessageType.INDIRECT_PING;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof IndirectPing p && p.seqNo == seqNo && Arrays.equals(p.target, target)
                    && p.port == port && p.node.equals(node) && p.nack == nack
                    && Arrays.equals(p.sourceAddr, sourceAddr) && p.sourcePort == sourcePort
                    && p.sourceNode.equals(sourceNode);
        }

        @Override
        public int hashCode() {
            return Objects.hash(seqNo, Arrays.hashCode(target), port, node, nack,
                    Arrays.hashCode(sourceAddr), sourcePort, sourceNode);
        }

        @Override
        public String toString() {
            return "IndirectPing[seqNo=" + Integer.toUnsignedString(seqNo) + ", node=" + node + "@"
                    + Hex.ip(target) + ":" + port + ", nack=" + nack + ", source=" + sourceNode + "@"
                    + Hex.ip(sourceAddr) + ":" + sourcePort + "]";
        }
    }

    /** {@code ackResp} (type 2). {@code payload} is optional (null = nil); Serf puts a coordinate there. */
    record Ack(int seqNo, byte[] payload) implements Message {
        @Override
        public MessageType type() {
            return MessageType.ACK;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Ack a && a.seqNo == seqNo && Arrays.equals(a.payload, payload);
        }

        @Override
        public int hashCode() {
            return 31 * seqNo + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Ack[seqNo=" + Integer.toUnsignedString(seqNo) + ", payload=" + Hex.of(payload) + "]";
        }
    }

    /** {@code nackResp} (type 11). */
    record Nack(int seqNo) implements Message {
        @Override
        public MessageType type() {
            return MessageType.NACK;
        }
    }

    /** {@code errResp} (type 13), streams only. */
    record Err(String error) implements Message {
        /** Checks the components; see the record description. */
        public Err {
            Objects.requireNonNull(error, "error");
        }

        @Override
        public MessageType type() {
            return MessageType.ERR;
        }
    }

    /** {@code suspect} (type 3): {@code from} suspects {@code node} at {@code incarnation}. */
    record Suspect(int incarnation, String node, String from) implements Message {
        /** Checks the components; see the record description. */
        public Suspect {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(from, "from");
        }

        @Override
        public MessageType type() {
            return MessageType.SUSPECT;
        }
    }

    /**
     * {@code alive} (type 4).
     *
     * @param addr IP, 4 or 16 bytes on a well-formed message (the decoder does not check the length)
     * @param meta node metadata, may be null
     * @param vsn  {@code [PMin, PMax, PCur, DMin, DMax, DCur]}, 6 bytes on a well-formed message
     */
    record Alive(int incarnation, String node, byte[] addr, int port, byte[] meta, byte[] vsn) implements Message {
        /** Checks the components; see the record description. */
        public Alive {
            Objects.requireNonNull(node, "node");
        }

        @Override
        public MessageType type() {
            return MessageType.ALIVE;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Alive a && a.incarnation == incarnation && a.node.equals(node)
                    && Arrays.equals(a.addr, addr) && a.port == port && Arrays.equals(a.meta, meta)
                    && Arrays.equals(a.vsn, vsn);
        }

        @Override
        public int hashCode() {
            return Objects.hash(incarnation, node, Arrays.hashCode(addr), port, Arrays.hashCode(meta),
                    Arrays.hashCode(vsn));
        }

        @Override
        public String toString() {
            return "Alive[node=" + node + ", incarnation=" + Integer.toUnsignedString(incarnation) + ", addr="
                    + Hex.ip(addr) + ":" + port + ", meta=" + Hex.of(meta) + ", vsn=" + Hex.of(vsn) + "]";
        }
    }

    /** {@code dead} (type 5): {@code from == node} means the node left on purpose. */
    record Dead(int incarnation, String node, String from) implements Message {
        /** Checks the components; see the record description. */
        public Dead {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(from, "from");
        }

        @Override
        public MessageType type() {
            return MessageType.DEAD;
        }
    }

    /**
     * {@code user} (type 8): an application payload. On UDP it is {@code [8][payload...]} with no
     * header; on streams {@code [8] msgpack({UserMsgLen}) [payload]}.
     */
    record User(byte[] payload) implements Message {
        /** Checks the components; see the record description. */
        public User {
            Objects.requireNonNull(payload, "payload");
        }

        @Override
        public MessageType type() {
            return MessageType.USER;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof User u && Arrays.equals(u.payload, payload);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "User[" + payload.length + " bytes]";
        }
    }

    /**
     * {@code pushPull} (type 6, streams only): header {@code {Join, Nodes, UserStateLen}}, then the
     * node records, then {@code userState} as raw bytes ({@code UserStateLen} = its length; null or
     * empty means 0).
     */
    record PushPull(boolean join, List<PushNodeState> nodes, byte[] userState) implements Message {
        /** Checks the components; see the record description. */
        public PushPull {
            nodes = List.copyOf(nodes);
        }

        @Override
        public MessageType type() {
            return MessageType.PUSH_PULL;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PushPull p && p.join == join && p.nodes.equals(nodes)
                    && Arrays.equals(p.userState, userState);
        }

        @Override
        public int hashCode() {
            return Objects.hash(join, nodes, Arrays.hashCode(userState));
        }

        @Override
        public String toString() {
            return "PushPull[join=" + join + ", nodes=" + nodes.size() + ", userState="
                    + (userState == null ? 0 : userState.length) + " bytes]";
        }
    }

    /**
     * A claim signed by its originator (type 241, Grapevine signing mode). {@code envelope} is the
     * complete message as received or built (what relays forward unchanged); the other components
     * are views of it.
     *
     * @param signer      the originator's node name
     * @param signature   the Ed25519 signature (64 bytes)
     * @param certificate the signer's certificate (DER), or null when not included
     * @param payload     the signed message: type byte and body
     * @param inner       {@code payload} decoded (an alive, suspect, dead or user message)
     * @param envelope    the whole envelope
     */
    record Signed(String signer, byte[] signature, byte[] certificate, byte[] payload, Message inner,
                  byte[] envelope) implements Message {
        /** Checks the components; see the record description. */
        public Signed {
            Objects.requireNonNull(signer, "signer");
            Objects.requireNonNull(signature, "signature");
            Objects.requireNonNull(payload, "payload");
            Objects.requireNonNull(inner, "inner");
            Objects.requireNonNull(envelope, "envelope");
        }

        @Override
        public MessageType type() {
            return MessageType.SIGNED;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Signed s && Arrays.equals(s.envelope, envelope);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(envelope);
        }

        @Override
        public String toString() {
            return "Signed[by " + signer + (certificate == null ? "" : " +cert") + ": " + inner + "]";
        }
    }

    /**
     * A push/pull of a cluster in signing mode (type 242, streams only): each member's state comes
     * with the signed claim that proves it.
     *
     * @param join       part of a join
     * @param proofs     one signed envelope per member
     * @param broadcasts recent signed user messages, so that what the delegate's state replays
     *                   (Serf's events) reaches the receiver with its signature
     * @param userState  the delegate's state (null or empty for none)
     */
    record SignedPushPull(boolean join, List<Signed> proofs, List<Signed> broadcasts, byte[] userState)
            implements Message {
        /** Checks the components; see the record description. */
        public SignedPushPull {
            proofs = List.copyOf(proofs);
            broadcasts = List.copyOf(broadcasts);
        }

        @Override
        public MessageType type() {
            return MessageType.SIGNED_PUSH_PULL;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SignedPushPull p && p.join == join && p.proofs.equals(proofs)
                    && p.broadcasts.equals(broadcasts) && Arrays.equals(p.userState, userState);
        }

        @Override
        public int hashCode() {
            return Objects.hash(join, proofs, broadcasts, Arrays.hashCode(userState));
        }

        @Override
        public String toString() {
            return "SignedPushPull[join=" + join + ", proofs=" + proofs.size() + ", broadcasts=" + broadcasts.size()
                    + ", userState="
                    + (userState == null ? 0 : userState.length) + " bytes]";
        }
    }

    /**
     * One {@code pushNodeState} record of a push/pull.
     *
     * @param state 0 alive, 1 suspect, 2 dead, 3 left (other values are carried as they are and
     *              ignored by the merge, as memberlist does)
     */
    record PushNodeState(String name, byte[] addr, int port, byte[] meta, int incarnation, int state, byte[] vsn) {
        /** Checks the components; see the record description. */
        public PushNodeState {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PushNodeState p && p.name.equals(name) && Arrays.equals(p.addr, addr)
                    && p.port == port && Arrays.equals(p.meta, meta) && p.incarnation == incarnation
                    && p.state == state && Arrays.equals(p.vsn, vsn);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, Arrays.hashCode(addr), port, Arrays.hashCode(meta), incarnation, state,
                    Arrays.hashCode(vsn));
        }

        @Override
        public String toString() {
            return "PushNodeState[name=" + name + ", addr=" + Hex.ip(addr) + ":" + port + ", incarnation="
                    + Integer.toUnsignedString(incarnation) + ", state=" + state + ", meta=" + Hex.of(meta)
                    + ", vsn=" + Hex.of(vsn) + "]";
        }
    }
}
