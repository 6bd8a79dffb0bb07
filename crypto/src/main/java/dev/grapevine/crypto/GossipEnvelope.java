package dev.grapevine.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * memberlist's encryption of packets and streams (memberlist-wire.md §2.5, §2.6, §6.5, §7), over
 * a {@link Keyring}, with its migration switches and the optional label of newer memberlist:
 *
 * <pre>
 *  UDP packet      [label header]? [vsn][nonce 12][ciphertext][tag 16]       AAD: the label, if any
 *  stream message  [10][L: uint32 BE][vsn][nonce 12][ciphertext][tag 16]     AAD: the 5 header bytes, then the label
 *  label header    [244][n: 1..255][n bytes of UTF-8]   (UDP: every packet; TCP: once, by the dialing side)
 * </pre>
 *
 * <p><b>When it encrypts.</b> Encryption is on while the keyring holds a key (so a node started with
 * an empty keyring turns it on when {@code serf keys -install} gives it one). Outgoing packets and
 * streams are encrypted with the primary key unless {@linkplain Builder#verifyOutgoing outgoing
 * verification} is off; incoming ones must decrypt with some key unless
 * {@linkplain Builder#verifyIncoming incoming verification} is off, in which case a packet that
 * does not decrypt, or a stream that is not encrypted, is taken as plaintext (marked
 * {@linkplain Opened#unverified() unverified}). memberlist's way to switch a running cluster to
 * encryption: every node on with both off, then outgoing on everywhere, then incoming on
 * everywhere. Serf 0.9.4 agents always verify both.
 *
 * <p><b>Labels</b> (off by default) keep clusters apart: a packet or stream with another label, or
 * without one, is refused; with encryption on the label is also authenticated as GCM AAD. Serf
 * 0.9.4 / memberlist 0.2.2 do not understand the header, so a labelled node cannot talk to them.
 * The stream label header is a connection-level prefix: the transport writes
 * {@link #streamLabelHeader()} at the start of each connection it opens and checks it with
 * {@link #checkLabel} on each it accepts; {@link #sealStream}/{@link #openStream} only bind the
 * label into the AAD.
 *
 * <p>Bad input never throws: {@link #openPacket} and {@link #openStream} return an {@link Opened}
 * with an {@link EnvelopeRejection}.
 *
 * <p><b>Threading.</b> Immutable and thread-safe; any thread. Nothing blocks or locks: the keyring
 * is read through its current snapshot, and each thread uses its own {@code Cipher} and nonce DRBG.
 */
public final class GossipEnvelope {
    /** The stream message type of an encrypted stream ({@code encryptMsg}). */
    public static final int STREAM_ENCRYPTED_TYPE = 10;
    /** The length of the encrypted stream's header, {@code [10][L]}. */
    public static final int STREAM_HEADER_SIZE = 5;
    /** The first byte of a label header ({@code hasLabelMsg}, newer memberlist). */
    public static final int LABEL_TYPE = 244;
    /** The longest label, in bytes of UTF-8. */
    public static final int MAX_LABEL_BYTES = 255;

    private static final byte[] NO_LABEL = new byte[0];

    private final Keyring keyring;
    private final byte[] label;
    private final byte[] labelHeader;
    private final boolean verifyIncoming;
    private final boolean verifyOutgoing;
    private final int version;

    private GossipEnvelope(Builder b) {
        this.keyring = b.keyring;
        this.label = b.label;
        this.labelHeader = label.length == 0 ? NO_LABEL : labelHeader(label);
        this.verifyIncoming = b.verifyIncoming;
        this.verifyOutgoing = b.verifyOutgoing;
        this.version = b.version;
    }

    /**
     * A builder for an envelope over {@code keyring} (which may be empty: then nothing is
     * encrypted until a key is installed).
     *
     * @param keyring the keys; read on every packet, so changes apply at once
     * @return a new builder: no label, both verifications on, encryption version 1
     */
    public static Builder builder(Keyring keyring) {
        return new Builder(Objects.requireNonNull(keyring, "keyring"));
    }

    /**
     * The keyring the envelope reads.
     *
     * @return the keyring given to the builder
     */
    public Keyring keyring() {
        return keyring;
    }

    /**
     * The label, if one was set.
     *
     * @return the label
     */
    public Optional<String> label() {
        return label.length == 0 ? Optional.empty() : Optional.of(new String(label, StandardCharsets.UTF_8));
    }

    /**
     * Whether incoming packets and streams must decrypt (memberlist's {@code GossipVerifyIncoming}).
     *
     * @return true by default
     */
    public boolean verifyIncoming() {
        return verifyIncoming;
    }

    /**
     * Whether outgoing packets and streams are encrypted (memberlist's {@code GossipVerifyOutgoing}).
     *
     * @return true by default
     */
    public boolean verifyOutgoing() {
        return verifyOutgoing;
    }

    /**
     * The most bytes {@link #sealPacket} adds to a packet: the envelope (29 bytes for version 1, 45
     * for version 0) and the label header. Reserved even while the keyring is empty or outgoing
     * verification is off, since either may change while the node runs.
     *
     * @return the overhead in bytes
     */
    public int packetOverhead() {
        return (version == 0 ? AesGcm.OVERHEAD_V0 : AesGcm.OVERHEAD_V1) + labelHeader.length;
    }

    // =============================================================================================
    // Packets
    // =============================================================================================

    /**
     * The datagram payload for one plaintext packet: encrypted with the primary key when encryption
     * is on and outgoing verification too, behind the label header when there is a label.
     *
     * @param packet the core's packet; not modified, not kept
     * @return a new array, or {@code packet} itself when nothing is added
     * @throws IllegalStateException when the JDK cannot encrypt (never expected)
     */
    public byte[] sealPacket(byte[] packet) {
        Keyring.Snapshot keys = keyring.snapshot();
        int hdr = labelHeader.length;
        if (keys.keys.length == 0 || !verifyOutgoing) {
            if (hdr == 0) {
                return packet;
            }
            byte[] out = new byte[hdr + packet.length];
            System.arraycopy(labelHeader, 0, out, 0, hdr);
            System.arraycopy(packet, 0, out, hdr, packet.length);
            return out;
        }
        byte[] out = new byte[hdr + AesGcm.sealedLength(version, packet.length)];
        System.arraycopy(labelHeader, 0, out, 0, hdr);
        sealWithPrimary(keys, packet, null, 0, out, hdr);
        return out;
    }

    /**
     * The plaintext packet inside one datagram: the label header checked and removed, then the
     * envelope opened with each key in turn. Never throws for bad input.
     *
     * @param datagram the datagram's payload; not modified, not kept
     * @return the plaintext, or why the datagram was refused
     */
    public Opened openPacket(byte[] datagram) {
        int start = 0;
        EnvelopeRejection labelProblem;
        if (datagram.length > 0 && (datagram[0] & 0xff) == LABEL_TYPE) {
            int n = datagram.length >= 2 ? datagram[1] & 0xff : -1;
            if (n < 1 || datagram.length < 2 + n) {
                return Opened.refused(EnvelopeRejection.BAD_LABEL_HEADER);
            }
            labelProblem = Arrays.equals(datagram, 2, 2 + n, label, 0, label.length)
                    ? null : EnvelopeRejection.LABEL_MISMATCH;
            start = 2 + n;
        } else {
            labelProblem = label.length == 0 ? null : EnvelopeRejection.LABEL_MISMATCH;
        }
        if (labelProblem != null) {
            return Opened.refused(labelProblem);
        }
        Keyring.Snapshot keys = keyring.snapshot();
        if (keys.keys.length == 0) {
            return Opened.accepted(start == 0 ? datagram : Arrays.copyOfRange(datagram, start, datagram.length));
        }
        Opened o = AesGcm.open(keys, datagram, start, datagram.length - start, null, 0, label);
        if (o.ok() || verifyIncoming) {
            return o;
        }
        return Opened.unverified(start == 0 ? datagram : Arrays.copyOfRange(datagram, start, datagram.length));
    }

    // =============================================================================================
    // Streams
    // =============================================================================================

    /**
     * The bytes to write for one complete stream message (a request or a reply): the encrypted
     * stream {@code [10][L][envelope]} when encryption is on and outgoing verification too, else
     * the message itself. The label header is not added here (see {@link #streamLabelHeader()}).
     *
     * @param message the plaintext message; not modified, not kept
     * @return a new array, or {@code message} itself
     * @throws IllegalStateException when the JDK cannot encrypt (never expected)
     */
    public byte[] sealStream(byte[] message) {
        Keyring.Snapshot keys = keyring.snapshot();
        if (keys.keys.length == 0 || !verifyOutgoing) {
            return message;
        }
        int sealed = AesGcm.sealedLength(version, message.length);
        byte[] out = new byte[STREAM_HEADER_SIZE + sealed];
        out[0] = STREAM_ENCRYPTED_TYPE;
        out[1] = (byte) (sealed >>> 24);
        out[2] = (byte) (sealed >>> 16);
        out[3] = (byte) (sealed >>> 8);
        out[4] = (byte) sealed;
        sealWithPrimary(keys, message, out, STREAM_HEADER_SIZE, out, STREAM_HEADER_SIZE);
        return out;
    }

    /**
     * The plaintext message inside one stream frame (as the stream framer delimits it: an
     * encrypted stream with its 5-byte header, or a plaintext message). Never throws for bad input.
     *
     * @param frame one complete frame; not modified, not kept
     * @return the plaintext message, or why the frame was refused
     */
    public Opened openStream(byte[] frame) {
        Keyring.Snapshot keys = keyring.snapshot();
        if (frame.length > 0 && frame[0] == STREAM_ENCRYPTED_TYPE) {
            if (keys.keys.length == 0) {
                return Opened.refused(EnvelopeRejection.ENCRYPTION_NOT_CONFIGURED);
            }
            if (frame.length < STREAM_HEADER_SIZE) {
                return Opened.refused(EnvelopeRejection.TOO_SHORT);
            }
            long declared = ((frame[1] & 0xffL) << 24) | ((frame[2] & 0xff) << 16) | ((frame[3] & 0xff) << 8)
                    | (frame[4] & 0xff);
            if (declared != frame.length - STREAM_HEADER_SIZE) {
                return Opened.refused(EnvelopeRejection.BAD_STREAM_HEADER);
            }
            return AesGcm.open(keys, frame, STREAM_HEADER_SIZE, frame.length - STREAM_HEADER_SIZE,
                    frame, STREAM_HEADER_SIZE, label);
        }
        if (keys.keys.length == 0) {
            return Opened.accepted(frame);
        }
        return verifyIncoming ? Opened.refused(EnvelopeRejection.NOT_ENCRYPTED) : Opened.unverified(frame);
    }

    /**
     * The label header a dialing side writes once at the start of each stream connection.
     *
     * @return a new array; empty when there is no label
     */
    public byte[] streamLabelHeader() {
        return labelHeader.clone();
    }

    /**
     * Checks the label a peer sent at the start of a stream connection (or with a packet).
     *
     * @param peerLabel the label bytes of the peer's header, or null when it sent none
     * @return null when it matches this node's label (none matches none), else
     *         {@link EnvelopeRejection#LABEL_MISMATCH}
     */
    public EnvelopeRejection checkLabel(byte[] peerLabel) {
        byte[] theirs = peerLabel == null ? NO_LABEL : peerLabel;
        return Arrays.equals(theirs, label) ? null : EnvelopeRejection.LABEL_MISMATCH;
    }

    @Override
    public String toString() {
        return "GossipEnvelope[" + keyring + ", version " + version + (label.length == 0 ? "" : ", labelled")
                + (verifyIncoming ? "" : ", incoming unverified") + (verifyOutgoing ? "" : ", outgoing plaintext")
                + "]";
    }

    private void sealWithPrimary(Keyring.Snapshot keys, byte[] plain, byte[] aad1, int aad1Len, byte[] out,
                                 int outOff) {
        GeneralSecurityException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                AesGcm.seal(version, keys.primary(), plain, 0, plain.length, aad1, aad1Len, label, out, outOff);
                return;
            } catch (GeneralSecurityException e) {
                // The primary was removed and wiped after `use` of another key: take the new snapshot.
                last = e;
                keys = keyring.snapshot();
                if (keys.keys.length == 0) {
                    break;
                }
            }
        }
        throw new IllegalStateException("AES-GCM encryption failed", last);
    }

    private static byte[] labelHeader(byte[] label) {
        byte[] h = new byte[2 + label.length];
        h[0] = (byte) LABEL_TYPE;
        h[1] = (byte) label.length;
        System.arraycopy(label, 0, h, 2, label.length);
        return h;
    }

    /**
     * Configures a {@link GossipEnvelope}. Not thread-safe; the envelope it builds is immutable.
     */
    public static final class Builder {
        private final Keyring keyring;
        private byte[] label = NO_LABEL;
        private boolean verifyIncoming = true;
        private boolean verifyOutgoing = true;
        private int version = 1;

        private Builder(Keyring keyring) {
            this.keyring = keyring;
        }

        /**
         * A cluster label (newer memberlist's {@code Label}): sent in front of every packet and
         * stream and bound into the encryption. Default none, as Serf 0.9.4 needs.
         *
         * @param label 1..255 bytes of UTF-8, or null / empty for none
         * @return this builder
         * @throws IllegalArgumentException when longer than 255 bytes
         */
        public Builder label(String label) {
            byte[] b = label == null ? NO_LABEL : label.getBytes(StandardCharsets.UTF_8);
            if (b.length > MAX_LABEL_BYTES) {
                throw new IllegalArgumentException("label is " + b.length + " bytes of UTF-8, limit is "
                        + MAX_LABEL_BYTES);
            }
            this.label = b;
            return this;
        }

        /**
         * memberlist's {@code GossipVerifyIncoming}: when false, input that does not decrypt is
         * taken as plaintext. Default true.
         *
         * @param verify whether incoming packets and streams must decrypt
         * @return this builder
         */
        public Builder verifyIncoming(boolean verify) {
            this.verifyIncoming = verify;
            return this;
        }

        /**
         * memberlist's {@code GossipVerifyOutgoing}: when false, packets and streams are sent in
         * plaintext even with keys installed. Default true.
         *
         * @param verify whether outgoing packets and streams are encrypted
         * @return this builder
         */
        public Builder verifyOutgoing(boolean verify) {
            this.verifyOutgoing = verify;
            return this;
        }

        /**
         * The encryption version written: 1 (the default, memberlist protocol 2 and later) or 0
         * (memberlist protocol 1: PKCS#7-padded). Both are always accepted.
         *
         * @param version 0 or 1
         * @return this builder
         * @throws IllegalArgumentException for another value
         */
        public Builder encryptionVersion(int version) {
            if (version != 0 && version != 1) {
                throw new IllegalArgumentException("encryption version must be 0 or 1: " + version);
            }
            this.version = version;
            return this;
        }

        /**
         * Builds the envelope.
         *
         * @return an immutable envelope
         */
        public GossipEnvelope build() {
            return new GossipEnvelope(this);
        }
    }
}
