package dev.grapevine.membership.wire;

import dev.grapevine.membership.Rejection;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Grapevine's signed envelope (type 241) and signed push/pull (type 242), the wire side of signing
 * mode. The layouts are drawn on {@link MessageType}.
 *
 * <pre>
 *  signed        = [0xF1] [1] [flags] [n] signer(n bytes UTF-8) signature(64)
 *                  ( [u16 BE c] certificate(c bytes DER) )?     when flags bit 0 is set
 *                  payload                                       one complete message, to the end
 *  signed bytes  = "grapevine-signed-v1" [n] signer payload      what the signature covers
 *  signedPushPull = [0xF2] [u32 BE L] ( msgpack pushPullHeader
 *                   ( [u32 BE m] signed(m bytes) ) x Nodes        one proof per member
 *                   [u32 BE b] ( [u32 BE m] signed(m bytes) ) x b recent signed user messages
 *                   userState(UserStateLen bytes) )             the L bytes
 * </pre>
 *
 * <p>The certificate is not covered by the signature: it carries its own (the cluster CA's), and the
 * verifier checks the envelope's signature with the certificate's key, so a swapped certificate
 * cannot make a forged envelope verify. The payload may only be an alive, suspect, dead or user
 * message (UDP form); nothing wraps inside a signed envelope.
 *
 * <p>Decoding checks every length against the bytes present before using it and returns typed
 * rejections; it never verifies signatures (that is the {@code ClaimAuthority}'s job, after the
 * cheaper checks). Thread-safety: static and stateless.
 */
public final class SignedCodec {
    /** The envelope format version. */
    public static final int VERSION = 1;
    /** Ed25519 signatures are 64 bytes. */
    public static final int SIGNATURE_BYTES = 64;
    /** The largest certificate an envelope may carry. */
    public static final int MAX_CERTIFICATE_BYTES = 4096;
    /** The largest single proof in a signed push/pull. */
    public static final int MAX_PROOF_BYTES = 64 * 1024;
    /**
     * The shortest possible envelope: type, version, flags, name length, a 1-byte name, the
     * signature and a 1-byte payload. Used to bound counts before allocating for them.
     */
    static final int MIN_ENVELOPE_BYTES = 4 + 1 + SIGNATURE_BYTES + 1;
    private static final int FLAG_CERTIFICATE = 1;
    private static final byte[] DOMAIN = "grapevine-signed-v1".getBytes(StandardCharsets.US_ASCII);

    private SignedCodec() {
    }

    /**
     * The bytes a signature covers: a domain-separation prefix, the signer's name and the payload.
     *
     * @param signer  the originator's node name (1..255 bytes of UTF-8)
     * @param payload the complete message being signed
     * @return a new array
     */
    public static byte[] signedBytes(String signer, byte[] payload) {
        byte[] name = signer.getBytes(StandardCharsets.UTF_8);
        checkName(name);
        byte[] out = new byte[DOMAIN.length + 1 + name.length + payload.length];
        System.arraycopy(DOMAIN, 0, out, 0, DOMAIN.length);
        out[DOMAIN.length] = (byte) name.length;
        System.arraycopy(name, 0, out, DOMAIN.length + 1, name.length);
        System.arraycopy(payload, 0, out, DOMAIN.length + 1 + name.length, payload.length);
        return out;
    }

    /** {@link #signedBytes} over the parts of a decoded envelope, without re-encoding the name. */
    public static byte[] signedBytes(Message.Signed s) {
        return signedBytes(s.signer(), s.payload());
    }

    /**
     * Builds an envelope.
     *
     * @param signer      the originator's name
     * @param signature   64 bytes over {@link #signedBytes}
     * @param certificate the signer's certificate (DER) to include, or null
     * @param payload     the complete signed message
     * @return the envelope, type byte included
     * @throws IllegalArgumentException on a bad length
     */
    public static byte[] envelope(String signer, byte[] signature, byte[] certificate, byte[] payload) {
        byte[] name = signer.getBytes(StandardCharsets.UTF_8);
        checkName(name);
        if (signature.length != SIGNATURE_BYTES) {
            throw new IllegalArgumentException("signature must be " + SIGNATURE_BYTES + " bytes, got " + signature.length);
        }
        if (certificate != null && (certificate.length == 0 || certificate.length > MAX_CERTIFICATE_BYTES)) {
            throw new IllegalArgumentException("certificate must be 1.." + MAX_CERTIFICATE_BYTES + " bytes");
        }
        if (payload.length == 0) {
            throw new IllegalArgumentException("empty payload");
        }
        int size = 4 + name.length + SIGNATURE_BYTES + (certificate == null ? 0 : 2 + certificate.length)
                + payload.length;
        byte[] out = new byte[size];
        int p = 0;
        out[p++] = (byte) MessageType.SIGNED.code();
        out[p++] = VERSION;
        out[p++] = (byte) (certificate == null ? 0 : FLAG_CERTIFICATE);
        out[p++] = (byte) name.length;
        System.arraycopy(name, 0, out, p, name.length);
        p += name.length;
        System.arraycopy(signature, 0, out, p, SIGNATURE_BYTES);
        p += SIGNATURE_BYTES;
        if (certificate != null) {
            out[p++] = (byte) (certificate.length >>> 8);
            out[p++] = (byte) certificate.length;
            System.arraycopy(certificate, 0, out, p, certificate.length);
            p += certificate.length;
        }
        System.arraycopy(payload, 0, out, p, payload.length);
        return out;
    }

    /** Bytes an envelope adds to its payload. */
    public static int overhead(String signer, byte[] certificate) {
        return 4 + signer.getBytes(StandardCharsets.UTF_8).length + SIGNATURE_BYTES
                + (certificate == null ? 0 : 2 + certificate.length);
    }

    /**
     * Decodes an envelope (starting with its type byte). Never throws for any content.
     *
     * @return the envelope, or {@link Rejection#MALFORMED} (cut short, bad version or flags, empty
     *         signer or one that is not valid UTF-8), {@link Rejection#TOO_LARGE} (certificate), {@link Rejection#UNSUPPORTED_TYPE}
     *         (a payload that is not alive, suspect, dead or user) or the payload's own rejection
     */
    public static DecodeResult<Message.Signed> decode(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        try {
            return DecodeResult.ok(decodeSigned(buf, off, len));
        } catch (WireException e) {
            return e.toResult();
        } catch (RuntimeException e) {
            return WireDecoder.internalError(e).toResult();
        }
    }

    static Message.Signed decodeSigned(byte[] buf, int off, int len) {
        int end = off + len;
        int p = off;
        if (len < 4 || (buf[p] & 0xff) != MessageType.SIGNED.code()) {
            throw new WireException(Rejection.MALFORMED, "signed envelope cut short");
        }
        p++;
        int version = buf[p++] & 0xff;
        if (version != VERSION) {
            throw new WireException(Rejection.MALFORMED, "signed envelope version " + version);
        }
        int flags = buf[p++] & 0xff;
        if ((flags & ~FLAG_CERTIFICATE) != 0) {
            throw new WireException(Rejection.MALFORMED, "unknown signed envelope flags " + flags);
        }
        int nameLen = buf[p++] & 0xff;
        if (nameLen == 0) {
            throw new WireException(Rejection.MALFORMED, "signed envelope without a signer");
        }
        need(p, nameLen + SIGNATURE_BYTES, end);
        String signer = strictUtf8(buf, p, nameLen);
        p += nameLen;
        byte[] signature = Arrays.copyOfRange(buf, p, p + SIGNATURE_BYTES);
        p += SIGNATURE_BYTES;
        byte[] certificate = null;
        if ((flags & FLAG_CERTIFICATE) != 0) {
            need(p, 2, end);
            int c = ((buf[p] & 0xff) << 8) | (buf[p + 1] & 0xff);
            p += 2;
            if (c == 0 || c > MAX_CERTIFICATE_BYTES) {
                throw new WireException(Rejection.TOO_LARGE, "certificate of " + c + " bytes in a signed envelope");
            }
            need(p, c, end);
            certificate = Arrays.copyOfRange(buf, p, p + c);
            p += c;
        }
        if (p >= end) {
            throw new WireException(Rejection.MALFORMED, "signed envelope without a payload");
        }
        int type = buf[p] & 0xff;
        if (type != MessageType.ALIVE.code() && type != MessageType.SUSPECT.code()
                && type != MessageType.DEAD.code() && type != MessageType.USER.code()) {
            throw WireDecoder.unknownOrUnsupported(type, "inside a signed envelope");
        }
        byte[] payload = Arrays.copyOfRange(buf, p, end);
        Message inner = WireDecoder.decodeMessage(payload, 0, payload.length, true);
        return new Message.Signed(signer, signature, certificate, payload, inner, Arrays.copyOfRange(buf, off, end));
    }

    /**
     * Encodes a signed push/pull.
     *
     * @return the stream message, type byte and length included
     */
    public static byte[] encodePushPull(Message.SignedPushPull pp) {
        return encodePushPull(pp.join(), envelopes(pp.proofs()), envelopes(pp.broadcasts()), pp.userState());
    }

    private static List<byte[]> envelopes(List<Message.Signed> signed) {
        List<byte[]> out = new ArrayList<>(signed.size());
        for (Message.Signed s : signed) {
            out.add(s.envelope());
        }
        return out;
    }

    /**
     * Encodes a signed push/pull from envelopes already encoded (what a node stores as proofs).
     *
     * @param join       part of a join
     * @param envelopes  one complete signed envelope per member
     * @param broadcasts recent signed user messages
     * @param userState  the delegate's state, or null
     * @return the stream message, type byte and length included
     */
    public static byte[] encodePushPull(boolean join, List<byte[]> envelopes, List<byte[]> broadcasts,
                                        byte[] userState) {
        int userLen = userState == null ? 0 : userState.length;
        byte[] header = WireEncoder.pushPullHeader(join, envelopes.size(), userLen);
        long body = header.length + userLen + 4;
        for (byte[] e : envelopes) {
            body += 4 + e.length;
        }
        for (byte[] e : broadcasts) {
            body += 4 + e.length;
        }
        if (body > Streams.MAX_STREAM_BYTES) {
            throw new IllegalArgumentException("signed push/pull of " + body + " bytes exceeds the stream limit");
        }
        byte[] out = new byte[5 + (int) body];
        int p = 0;
        out[p++] = (byte) MessageType.SIGNED_PUSH_PULL.code();
        p = be32(out, p, body);
        System.arraycopy(header, 0, out, p, header.length);
        p += header.length;
        for (byte[] e : envelopes) {
            p = be32(out, p, e.length);
            System.arraycopy(e, 0, out, p, e.length);
            p += e.length;
        }
        p = be32(out, p, broadcasts.size());
        for (byte[] e : broadcasts) {
            p = be32(out, p, e.length);
            System.arraycopy(e, 0, out, p, e.length);
            p += e.length;
        }
        if (userLen > 0) {
            System.arraycopy(userState, 0, out, p, userLen);
        }
        return out;
    }

    /** The body of a type-242 message after its 5-byte header. */
    static Message.SignedPushPull decodePushPull(byte[] buf, int off, int len) {
        int end = off + len;
        if (len < 5) {
            throw new WireException(Rejection.MALFORMED, "signed push/pull cut short");
        }
        long bodyLen = be32(buf, off + 1);
        if (bodyLen > Streams.MAX_STREAM_BYTES) {
            throw new WireException(Rejection.TOO_LARGE, "signed push/pull of " + bodyLen + " bytes");
        }
        if (bodyLen > len - 5) {
            throw new WireException(Rejection.MALFORMED, "signed push/pull cut short");
        }
        end = off + 5 + (int) bodyLen;
        MsgpackReader r = new MsgpackReader(buf, off + 5, (int) bodyLen);
        WireDecoder.PushPullHeader h = WireDecoder.pushPullHeader(r);
        int p = r.pos;
        if ((long) h.nodes() * (4 + MIN_ENVELOPE_BYTES) > end - p) {
            throw new WireException(Rejection.MALFORMED, "signed push/pull claims more proofs than it holds");
        }
        List<Message.Signed> proofs = new ArrayList<>(h.nodes());
        p = readEnvelopes(buf, p, end, h.nodes(), proofs);
        need(p, 4, end);
        long b = be32(buf, p);
        p += 4;
        if (b > (end - p) / (4 + MIN_ENVELOPE_BYTES)) {
            throw new WireException(Rejection.MALFORMED, "signed push/pull claims more broadcasts than it holds");
        }
        List<Message.Signed> broadcasts = new ArrayList<>((int) b);
        p = readEnvelopes(buf, p, end, (int) b, broadcasts);
        if (end - p != h.userStateLen()) {
            throw new WireException(Rejection.MALFORMED, "signed push/pull user state is " + (end - p)
                    + " bytes, header says " + h.userStateLen());
        }
        byte[] user = h.userStateLen() == 0 ? null : Arrays.copyOfRange(buf, p, end);
        return new Message.SignedPushPull(h.join(), proofs, broadcasts, user);
    }

    private static int readEnvelopes(byte[] buf, int p, int end, int count, List<Message.Signed> out) {
        for (int i = 0; i < count; i++) {
            need(p, 4, end);
            long m = be32(buf, p);
            p += 4;
            if (m > MAX_PROOF_BYTES) {
                throw new WireException(Rejection.TOO_LARGE, "envelope of " + m + " bytes in a signed push/pull");
            }
            need(p, (int) m, end);
            out.add(decodeSigned(buf, p, (int) m));
            p += (int) m;
        }
        return p;
    }

    /**
     * The signer's name, which must be valid UTF-8: it is re-encoded for {@link #signedBytes}, so a
     * name that does not survive the round trip (replacement characters can also push it past 255
     * bytes) would make the bytes verified differ from the bytes received.
     */
    private static String strictUtf8(byte[] buf, int off, int len) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(buf, off, len)).toString();
        } catch (CharacterCodingException e) {
            throw new WireException(Rejection.MALFORMED, "signed envelope signer is not valid UTF-8");
        }
    }

    private static void need(int p, int n, int end) {
        if (n < 0 || end - p < n) {
            throw new WireException(Rejection.MALFORMED, "signed message cut short");
        }
    }

    private static void checkName(byte[] name) {
        if (name.length == 0 || name.length > 255) {
            throw new IllegalArgumentException("signer name must be 1..255 bytes of UTF-8, got " + name.length);
        }
    }

    private static int be32(byte[] b, int p, long v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
        return p + 4;
    }

    private static long be32(byte[] b, int p) {
        return ((long) (b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }
}
