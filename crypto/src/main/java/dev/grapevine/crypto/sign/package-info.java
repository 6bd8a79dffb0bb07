/**
 * Signing mode's cryptography: a node's Ed25519 identity ({@link
 * dev.grapevine.crypto.sign.NodeIdentity}) and the {@link dev.grapevine.membership.ClaimAuthority}
 * the membership core calls to sign its claims and verify other nodes' ({@link
 * dev.grapevine.crypto.sign.CertificateClaimAuthority}), with bounded caches so that each distinct
 * certificate and signature is checked once. Ed25519 runs on BouncyCastle's low-level
 * implementation, 10-25 times faster than the JDK's on Java 17.
 */
package dev.grapevine.crypto.sign;
