/**
 * Keyring and AES-GCM packet envelopes compatible with memberlist, Ed25519 node signing, TLS
 * contexts and key files. No Netty here.
 *
 * <p>Placeholder module: its contents arrive with the security layer. It builds empty so that the
 * layout of the project is visible from the start.
 */
package dev.grapevine.crypto;
