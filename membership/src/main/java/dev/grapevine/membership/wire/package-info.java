/**
 * The memberlist 0.2.2 / Serf 0.9.4 wire codec: bytes to {@link dev.grapevine.membership.wire.Message}
 * records and back, byte-for-byte compatible with Go (go-msgpack 0.5.5, Go's {@code compress/lzw}).
 *
 * <h2>Layers</h2>
 * Sending a UDP packet applies, from the inside out (memberlist-wire.md §1):
 * <ol>
 *   <li><b>message</b>: a type byte and a msgpack struct ({@link dev.grapevine.membership.wire.WireEncoder});
 *       a user message is the type byte 8 and the raw payload;</li>
 *   <li><b>compound</b> (optional): several messages in one packet
 *       ({@link dev.grapevine.membership.wire.Packets#compound});</li>
 *   <li><b>compress</b> (optional): LZW of the whole result in a compressMsg
 *       ({@link dev.grapevine.membership.wire.Packets#compress}, {@link dev.grapevine.membership.wire.Lzw});</li>
 *   <li><b>CRC</b> (optional, peers with protocol &ge; 5): the hasCrc header
 *       ({@link dev.grapevine.membership.wire.Packets#withCrc});</li>
 *   <li><b>encryption</b> (optional): the AES-GCM envelope; not in this package (the {@code crypto}
 *       module), nor is the label header of newer memberlist releases, which 0.2.2 peers do not
 *       understand.</li>
 * </ol>
 * Receiving runs in the opposite order: the host decrypts, then
 * {@link dev.grapevine.membership.wire.Packets#read} checks the CRC (outermost level only) and
 * unwraps compound and compress recursively, reporting each message to a
 * {@link dev.grapevine.membership.wire.PacketVisitor}.
 *
 * <p>Streams (TCP) carry one message each way: an optional encryption envelope
 * {@code [10][len][...]}, inside it an optional compressMsg, inside that the message.
 * {@link dev.grapevine.membership.wire.StreamFramer} finds where a message ends in the bytes read so
 * far; {@link dev.grapevine.membership.wire.Streams#read} decodes it after decryption.
 *
 * <h2>Errors</h2>
 * Decoding never throws on bad input: it returns a
 * {@link dev.grapevine.membership.wire.DecodeResult.Rejected} or calls
 * {@link dev.grapevine.membership.wire.PacketVisitor#rejected} with a
 * {@link dev.grapevine.membership.Rejection}. Claimed lengths are checked against the bytes present
 * before anything is allocated, nesting is handled without recursion, and named limits bound
 * decompression and push/pull sizes. Encoding throws {@link java.lang.IllegalArgumentException} only
 * for values Go could not represent (a port above 65535, a compound of more than 255 parts).
 *
 * <h2>Threads</h2>
 * All static methods are thread-safe and keep no shared mutable state.
 * {@link dev.grapevine.membership.wire.StreamFramer} holds per-connection state and is not
 * thread-safe.
 */
package dev.grapevine.membership.wire;
