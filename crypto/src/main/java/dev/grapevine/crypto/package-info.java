/**
 * Gossip encryption compatible with memberlist 0.2.2 / Serf 0.9.4: the {@link dev.grapevine.crypto.Keyring}
 * of AES keys (rotatable, copy-on-write, lock-free on the packet path) and its Serf-format
 * {@link dev.grapevine.crypto.KeyringFile}, and memberlist's AES-GCM envelopes for packets and
 * streams. Signing, PKI and TLS contexts live in the sub-packages. No Netty here.
 */
package dev.grapevine.crypto;
