package dev.grapevine.membership.wire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Writes the seed corpora of {@link SignedJazzerFuzzTest} and {@link StreamJazzerFuzzTest}: valid
 * messages of every kind the targets take, plus a few near misses. Not a test; run it by hand
 * after a format change, with the test classpath, from the module directory:
 * {@code java -cp target/test-classes:target/classes:<deps> dev.grapevine.membership.wire.FuzzSeedWriter src/test/resources}.
 * Crash inputs found by fuzzing are added to the same directories by hand (named {@code crash-*}).
 */
final class FuzzSeedWriter {
    static final byte[] VSN = {1, 5, 2, 0, 0, 0};

    private FuzzSeedWriter() {
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0], "dev", "grapevine", "membership", "wire");
        Random rnd = new Random(2411);

        Path env = root.resolve("SignedJazzerFuzzTestInputs").resolve("envelope");
        List<byte[]> envelopes = envelopes(rnd);
        for (int i = 0; i < envelopes.size(); i++) {
            write(env, "seed-" + i, envelopes.get(i));
        }
        byte[] ok = envelopes.get(0);
        byte[] v2 = ok.clone();
        v2[1] = 2;
        write(env, "wrong-version", v2);
        byte[] flags = ok.clone();
        flags[2] = 6;
        write(env, "unknown-flags", flags);
        write(env, "truncated-signature", Arrays.copyOf(ok, 40));
        byte[] badName = ok.clone();
        badName[4] = (byte) 0xff;
        write(env, "signer-not-utf8", badName);
        write(env, "nested-signed", SignedCodec.envelope("n1", new byte[64], null, ok));

        Path pp = root.resolve("SignedJazzerFuzzTestInputs").resolve("pushPull");
        List<byte[]> signedPushPulls = new ArrayList<>();
        signedPushPulls.add(SignedCodec.encodePushPull(false, List.of(), List.of(), null));
        signedPushPulls.add(SignedCodec.encodePushPull(true, envelopes.subList(0, 3), List.of(envelopes.get(3)),
                "serf-state".getBytes(StandardCharsets.US_ASCII)));
        signedPushPulls.add(SignedCodec.encodePushPull(false, envelopes.subList(0, 6), List.of(), null));
        for (int i = 0; i < signedPushPulls.size(); i++) {
            byte[] m = signedPushPulls.get(i);
            write(pp, "body-" + i, Arrays.copyOfRange(m, 5, m.length));
        }

        Path framing = root.resolve("StreamJazzerFuzzTestInputs").resolve("framing");
        List<byte[]> streams = new ArrayList<>(StreamFramerTest.samples());
        streams.addAll(signedPushPulls);
        streams.add(Packets.compress(signedPushPulls.get(1)));
        streams.add(WireEncoder.encode(StreamsTest.pushPull(3, 0, 7)));
        int i = 0;
        for (byte[] s : streams) {
            if (s.length > 20_000) {
                continue;
            }
            byte[] in = new byte[1 + s.length];
            in[0] = (byte) rnd.nextInt(256);
            System.arraycopy(s, 0, in, 1, s.length);
            write(framing, "stream-" + i++, in);
        }
    }

    /** Valid envelopes: each payload type, with and without a certificate, odd signer names. */
    static List<byte[]> envelopes(Random rnd) {
        byte[] cert = new byte[300];
        rnd.nextBytes(cert);
        byte[] sig = new byte[SignedCodec.SIGNATURE_BYTES];
        rnd.nextBytes(sig);
        List<byte[]> out = new ArrayList<>();
        out.add(SignedCodec.envelope("n1", sig, cert, WireEncoder.encode(
                new Message.Alive(3, "n1", new byte[] {10, 0, 0, 1}, 7946, null, VSN))));
        out.add(SignedCodec.envelope("n2", sig, null, WireEncoder.encode(new Message.Suspect(4, "n1", "n2"))));
        out.add(SignedCodec.envelope("n1", sig, null, WireEncoder.encode(new Message.Dead(5, "n1", "n1"))));
        out.add(SignedCodec.envelope("n3", sig, null, WireEncoder.encode(new Message.User(new byte[] {1, 2, 3}))));
        out.add(SignedCodec.envelope("ñode-☃", sig, cert, WireEncoder.encode(
                new Message.Alive(1, "ñode-☃", new byte[16], 1, new byte[] {'m'}, VSN))));
        out.add(SignedCodec.envelope("x".repeat(255), sig, null, WireEncoder.encode(
                new Message.Dead(9, "y", "x".repeat(255)))));
        return out;
    }

    private static void write(Path dir, String name, byte[] bytes) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), bytes);
    }
}
