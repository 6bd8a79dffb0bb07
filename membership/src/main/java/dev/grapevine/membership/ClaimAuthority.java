package dev.grapevine.membership;

/**
 * Signs this node's membership claims and checks other nodes' — the core's view of Grapevine's
 * signing mode, in which every member speaks only for itself.
 *
 * <p>Each node holds an identity key (Ed25519) and a certificate from the cluster CA that binds the
 * key to its node name. The core attaches the certificate to the node's own alive claims, signs
 * every claim it originates, and forwards other nodes' signed claims unchanged. It asks
 * {@link #verify} only after the cheap checks (the claim's node or accuser is the signer, the claim
 * is not stale), so an implementation should cache verified signatures and certificates. The
 * {@code crypto} module provides the implementation; the simulator uses a stand-in.
 *
 * <p><b>Threading.</b> Called on the core's thread, synchronously; must not block.
 */
public interface ClaimAuthority {

    /** The outcome of a verification. */
    enum Verdict {
        /** The signature is the signer's. */
        OK,
        /** No certificate was given and none is known for the signer. */
        UNKNOWN_SIGNER,
        /** The certificate is not from the cluster CA, is outside its validity, or does not name the signer. */
        UNTRUSTED_CERTIFICATE,
        /** The signature does not verify with the signer's key. */
        BAD_SIGNATURE
    }

    /**
     * This node's certificate (DER), carried in its alive claims. Must stay the same object's
     * content until it is rotated; may change between calls after a rotation.
     */
    byte[] certificate();

    /**
     * Signs with this node's identity key.
     *
     * @param signedBytes what to sign ({@code SignedCodec.signedBytes})
     * @return the 64-byte signature
     */
    byte[] sign(byte[] signedBytes);

    /**
     * Checks a signature: with {@code certificate} when given (which must be trusted: issued by the
     * cluster CA, within its validity, naming {@code signer}; a trusted one becomes the signer's
     * known certificate), else with the certificate already known for {@code signer}.
     *
     * @param signer      the claimed signer's node name
     * @param signature   64 bytes
     * @param certificate the signer's certificate (DER) or null
     * @param signedBytes what was signed
     * @return {@link Verdict#OK} or why not
     */
    Verdict verify(String signer, byte[] signature, byte[] certificate, byte[] signedBytes);
}
