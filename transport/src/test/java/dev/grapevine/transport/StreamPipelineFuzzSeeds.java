package dev.grapevine.transport;

import dev.grapevine.crypto.GossipEnvelope;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.WireEncoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes the seed corpus of {@link StreamPipelineJazzerFuzzTest}: valid labelled and unlabelled,
 * plaintext and encrypted push/pulls, pings and user messages, plus truncated streams, oversized
 * length fields, wrong or malformed labels and garbage. Not a test; run it by hand after a format
 * change, with the test classpath, from the module directory:
 * {@code java -cp target/test-classes:target/classes:<deps> dev.grapevine.transport.StreamPipelineFuzzSeeds src/test/resources}.
 * Crash inputs found by fuzzing are added to the same directory by hand (named {@code crash-*}).
 */
final class StreamPipelineFuzzSeeds {
    /** Bits 2-4 of the configuration byte: index of {@link StreamPipelineJazzerFuzzTest#MAX_FRAME}. */
    private static final int MAX_1M = 6 << 2;
    private static final int MAX_512 = 3 << 2;
    private static final int MAX_1 = 0;
    private static final int LABEL = StreamPipelineJazzerFuzzTest.FLAG_LABEL;
    private static final int VERIFY = StreamPipelineJazzerFuzzTest.FLAG_VERIFY;

    private StreamPipelineFuzzSeeds() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0], "dev", "grapevine", "transport", "StreamPipelineJazzerFuzzTestInputs", "inbound");
        Files.createDirectories(dir);
        Random rnd = new Random(2611);
        for (Map.Entry<String, byte[]> e : seeds(rnd).entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
    }

    static Map<String, byte[]> seeds(Random rnd) {
        GossipEnvelope plain = StreamPipelineJazzerFuzzTest.gossip(0);
        GossipEnvelope labelled = StreamPipelineJazzerFuzzTest.gossip(LABEL);
        GossipEnvelope otherKey = GossipEnvelope.builder(Keyring.of(StreamPipelineJazzerFuzzTest.key(9))).build();
        byte[] header = labelled.streamLabelHeader();
        byte[] ping = StreamMessages.ping();
        byte[] push = StreamMessages.pushPull(3, 20);
        byte[] pull = WireEncoder.encode(new Message.PushPull(false, List.of(), null));
        byte[] user = StreamMessages.user(40);

        Map<String, byte[]> m = new LinkedHashMap<>();
        // valid streams
        m.put("plain-ping", seed(rnd, MAX_1M, ping));
        m.put("plain-pushpull", seed(rnd, MAX_1M, push));
        m.put("plain-pull-empty", seed(rnd, MAX_1M, pull));
        m.put("plain-user", seed(rnd, MAX_1M, user));
        m.put("plain-compressed-pushpull", seed(rnd, MAX_1M, StreamMessages.compressed(push)));
        m.put("plain-ping-then-ack", seed(rnd, MAX_1M, ping, StreamMessages.ack()));
        m.put("encrypted-pushpull", seed(rnd, MAX_1M | VERIFY, plain.sealStream(push)));
        m.put("encrypted-user", seed(rnd, MAX_1M | VERIFY, plain.sealStream(user)));
        m.put("labelled-encrypted-pushpull", seed(rnd, MAX_1M | LABEL | VERIFY, header, labelled.sealStream(push)));
        m.put("labelled-encrypted-pull", seed(rnd, MAX_1M | LABEL | VERIFY, header, labelled.sealStream(pull)));
        m.put("labelled-encrypted-user", seed(rnd, MAX_1M | LABEL | VERIFY, header, labelled.sealStream(user)));
        m.put("labelled-plain-ping", seed(rnd, MAX_1M | LABEL, header, ping));
        m.put("keyring-request", seed(rnd, MAX_1M | VERIFY, KeyringMessages.request(StreamPipelineJazzerFuzzTest.KEY)));
        // refused by the envelope
        m.put("not-encrypted", seed(rnd, MAX_1M | VERIFY, push));
        m.put("other-key", seed(rnd, MAX_1M | VERIFY, otherKey.sealStream(push)));
        m.put("unlabelled-seal-labelled-node", seed(rnd, MAX_1M | LABEL | VERIFY, header, plain.sealStream(ping)));
        // truncated
        m.put("truncated-pushpull", seed(rnd, MAX_1M, Arrays.copyOf(push, push.length / 2)));
        byte[] sealed = labelled.sealStream(user);
        m.put("truncated-encrypted", seed(rnd, MAX_1M | LABEL | VERIFY, header, Arrays.copyOf(sealed, sealed.length - 3)));
        m.put("truncated-label", seed(rnd, MAX_1M | LABEL, Arrays.copyOf(header, 3)));
        // too large
        m.put("too-large-pushpull", seed(rnd, MAX_512, StreamMessages.pushPull(20, 100)));
        m.put("too-large-max-1", seed(rnd, MAX_1, ping));
        m.put("oversized-encrypted-length", seed(rnd, MAX_1M | VERIFY,
                ByteBuffer.allocate(20).put((byte) 10).putInt(0x7fffffff).array()));
        // a user message whose length field alone shows it is longer than the limit
        m.put("oversized-user-length", seed(rnd, MAX_512, Arrays.copyOf(StreamMessages.user(2000), 100)));
        // labels
        m.put("wrong-label", seed(rnd, MAX_1M | LABEL, labelHeader("test"), ping));
        m.put("empty-label", seed(rnd, MAX_1M | LABEL, new byte[] {(byte) 244, 0}, ping));
        m.put("missing-label", seed(rnd, MAX_1M | LABEL, ping));
        m.put("label-to-unlabelled-node", seed(rnd, MAX_1M, header, ping));
        // garbage
        byte[] garbage = new byte[60];
        rnd.nextBytes(garbage);
        m.put("garbage", seed(rnd, MAX_1M, garbage));
        m.put("garbage-after-ping", seed(rnd, MAX_1M, ping, garbage));
        return m;
    }

    private static byte[] labelHeader(String label) {
        byte[] l = label.getBytes(StandardCharsets.UTF_8);
        byte[] h = new byte[2 + l.length];
        h[0] = (byte) 244;
        h[1] = (byte) l.length;
        System.arraycopy(l, 0, h, 2, l.length);
        return h;
    }

    /** The configuration byte, a chunk seed, then the parts of the stream. */
    private static byte[] seed(Random rnd, int flags, byte[]... parts) {
        int n = 2;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n).put((byte) flags).put((byte) rnd.nextInt(256));
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }
}
