/**
 * The cluster's public-key infrastructure: PEM files as openssl writes them ({@link
 * dev.grapevine.crypto.pki.Pem}), a cluster certificate authority that issues node certificates
 * ({@link dev.grapevine.crypto.pki.ClusterCa}), and the trust check every peer certificate passes
 * ({@link dev.grapevine.crypto.pki.ClusterTrust}).
 *
 * <p>A node certificate binds a node name (its single DNS subject alternative name, also its CN)
 * to an Ed25519 or ECDSA P-256 key; it is issued directly by a cluster CA (no intermediates). The
 * same certificate serves TLS between nodes and, with an Ed25519 key, the signing of membership
 * claims. Built on BouncyCastle's PKIX classes; keys and certificates are JDK objects.
 */
package dev.grapevine.crypto.pki;
