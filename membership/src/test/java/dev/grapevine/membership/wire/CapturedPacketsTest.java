package dev.grapevine.membership.wire;

import static dev.grapevine.membership.wire.TestSupport.ascii;
import static dev.grapevine.membership.wire.TestSupport.concat;
import static dev.grapevine.membership.wire.TestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Packets captured between two serf 0.9.4 agents (memberlist-wire.md §12, §13): we must decode
 * them to the documented values and encode those values back to the same bytes.
 */
class CapturedPacketsTest {
    static final byte[] LOCALHOST = {127, 0, 0, 1};
    static final byte[] VSN = {1, 5, 2, 2, 5, 5};
    static final byte[] META_ROLE_WEB = hex("ff81a4726f6c65a3776562");

    /** §12: the 59-byte UDP ping from a (127.0.0.1:7946) to b. */
    static final byte[] PING_12 = hex("0085a44e6f6465a162a55365714e6f01aa536f7572636541646472a47f00"
            + "0001aa536f757263654e6f6465a161aa536f75726365506f7274cd1f0a");

    /** §13.4: the compressed 113-byte ack (its LZW starts with CLEAR, as Go >= 1.17 writes). */
    static final byte[] COMPRESSED_ACK_13_4 = hex("0982a4416c676f00a3427566da00620005083a05254c1e366fc290d10640"
            + "500042aa82905153670e9d3665dcd05906a0a3c78ea58ac891f346ceb21ff83e763485a44c9a336836fa2087af16a2"
            + "7168e28db252660c268e2a3b020d3a5465d18f473d26151a9469d35253cac471f2264040");

    @Test
    void ping12() {
        assertEquals(59, PING_12.length);
        Message.Ping expected = new Message.Ping(1, "b", LOCALHOST, 7946, "a");
        assertEquals(expected, WireDecoder.decode(PING_12, 0, PING_12.length).value());
        assertArrayEquals(PING_12, WireEncoder.encode(expected));
        assertEquals(List.of(expected), TestSupport.Recorder.read(PING_12).messages);
    }

    @Test
    void ackShape12AndCompressedAck13_4() {
        TestSupport.Recorder r = TestSupport.Recorder.read(COMPRESSED_ACK_13_4);
        assertEquals(List.of(), r.rejections);
        Message.Ack ack = (Message.Ack) r.messages.get(0);
        assertEquals(1, ack.seqNo());
        assertEquals(130, ack.payload().length);
        // Serf's payload: [1 = ping version] + a coordinate map of 4 entries.
        assertEquals("0184aa41646a7573746d656e74cb", hex(ack.payload()).substring(0, 28));
        byte[] plain = WireEncoder.encode(ack);
        assertEquals(150, plain.length);
        // 02, fixmap(2), "Payload", str16 (no str8) of 0x82 bytes, ..., "SeqNo" 01
        assertTrue(hex(plain).startsWith("0282a75061796c6f6164da0082"));
        assertTrue(hex(plain).endsWith("a55365714e6f01"));
        assertEquals(113, COMPRESSED_ACK_13_4.length);
        assertArrayEquals(COMPRESSED_ACK_13_4, Packets.compress(plain));
    }

    @Test
    void decryptedPing13_4() {
        byte[] ping = hex("0085a44e6f6465a161a55365714e6f01aa536f7572636541646472a47f000001aa536f757263654e6f6465"
                + "a162aa536f75726365506f7274cd1f0b");
        Message.Ping expected = new Message.Ping(1, "a", LOCALHOST, 7947, "b");
        assertEquals(expected, WireDecoder.decode(ping, 0, ping.length).value());
        assertArrayEquals(ping, WireEncoder.encode(expected));
    }

    @Test
    void gossipCrcCompoundOfTwoAlives13_3() {
        Message.Alive a = new Message.Alive(1, "a", LOCALHOST, 7946, META_ROLE_WEB, VSN);
        Message.Alive b = new Message.Alive(1, "b", LOCALHOST, 7947, hex("ff80"), VSN);
        byte[] packet = Packets.withCrc(Packets.compound(List.of(WireEncoder.encode(a), WireEncoder.encode(b))));
        // The capture: 0c db1bc525 07 02 0044 003b 04 86 ... 04 86 ...
        assertEquals("0cdb1bc52507020044003b0486", hex(packet).substring(0, 26));
        TestSupport.Recorder r = TestSupport.Recorder.read(packet);
        assertEquals(List.of(a, b), r.messages);
        assertEquals(List.of(), r.rejections);
    }

    @Test
    void gossipCrcUserMessage13_3() {
        byte[] packet = hex("0c139aa55a080182a54c54696d6501a44e6f6465a162");
        byte[] serfJoinIntent = hex("0182a54c54696d6501a44e6f6465a162");
        TestSupport.Recorder r = TestSupport.Recorder.read(packet);
        assertEquals(List.of(new Message.User(serfJoinIntent)), r.messages);
        assertArrayEquals(packet, Packets.withCrc(WireEncoder.encode(new Message.User(serfJoinIntent))));
    }

    @Test
    void serfPayloadsRoundTripAsUserMessages13_3() {
        byte[] userEvent = concat(hex("0384a243 43c3a54c54696d6501a44e616d65a6"), ascii("deploy"),
                hex("a75061796c6f6164a5"), ascii("hello"));
        byte[] query = concat(hex("048ba441646472a47f000001a746696c74657273c0a5466c61677301a24944ce12345678"
                        + "a54c54696d6501a44e616d65a3"), ascii("foo"), hex("a75061796c6f6164c0a4506f7274cd1f0a"
                        + "ab52656c6179466163746f7200aa536f757263654e6f6465a161a754696d656f7574ce77359400"));
        byte[] queryAck = hex("0585a5466c61677301a446726f6da161a24944ce12345678a54c54696d6501a75061796c6f6164c0");
        byte[] keyListResponse = hex("0884a44b657973c0a74d657373616765a0aa5072696d6172794b6579a0a6526573756c74c3");
        for (byte[] serf : List.of(userEvent, query, queryAck, keyListResponse)) {
            Message.User u = new Message.User(serf);
            byte[] udp = WireEncoder.encode(u);
            assertArrayEquals(concat(new byte[] {8}, serf), udp);
            assertEquals(u, WireDecoder.decode(udp, 0, udp.length).value());
            assertEquals(List.of(u), TestSupport.Recorder.read(udp).messages);
            byte[] tcp = WireEncoder.encodeStreamUser(serf);
            assertEquals(u, Streams.read(tcp, 0, tcp.length).value());
        }
        assertEquals("0803" + "84a24343c3", hex(WireEncoder.encode(new Message.User(userEvent))).substring(0, 14));
    }

    @Test
    void joinPushPull13_2() {
        Message.PushNodeState b = new Message.PushNodeState("b", LOCALHOST, 7947, hex("ff80"), 1, 0, VSN);
        byte[] userState = serfPushPullState();
        assertEquals(585, userState.length);
        Message.PushPull pp = new Message.PushPull(true, List.of(b), userState);
        byte[] bytes = WireEncoder.encode(pp);
        String header = "06" + "83a44a6f696ec3a54e6f64657301ac5573657253746174654c656ecd0249";
        String node = "87a441646472a47f000001ab496e6361726e6174696f6e01a44d657461a2ff80a44e616d65a162"
                + "a4506f7274cd1f0ba5537461746500a356736ea6010502020505";
        assertEquals(header + node + hex(userState), hex(bytes));
        assertEquals(681, bytes.length); // the documented decompressed size
        assertEquals(pp, Streams.read(bytes, 0, bytes.length).value());
        byte[] compressed = Packets.compress(bytes);
        assertTrue(hex(compressed).startsWith("0982a4416c676f00a3427566da00"), hex(compressed).substring(0, 40));
        assertEquals(pp, Streams.read(compressed, 0, compressed.length).value());
        StreamFramer f = new StreamFramer(Streams.MAX_STREAM_BYTES);
        assertEquals(compressed.length, f.frameLength(compressed, 0, compressed.length));
    }

    /**
     * A 585-byte Serf push/pull state shaped like the capture's ({@code 02 86 aa EventLTime 01 a6 Events
     * dc 0200 c0 c0 ...}); the remaining fields are our reconstruction.
     */
    static byte[] serfPushPullState() {
        byte[] events = new byte[512];
        java.util.Arrays.fill(events, (byte) 0xc0);
        return concat(hex("0286aa4576656e744c54696d6501a64576656e7473dc0200"), events,
                hex("a54c54696d6501ab4c6566744d656d6265727390aa51756572794c54696d6501"
                        + "ac5374617475734c54696d65738 1a16201".replace(" ", "")));
    }
}
