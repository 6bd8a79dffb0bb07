package dev.grapevine.membership.wire;

import dev.grapevine.membership.Rejection;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Shared helpers of the wire tests: hex, Go-generated resources, deterministic inputs, a recording visitor. */
final class TestSupport {
    static final HexFormat HEX = HexFormat.of();

    private TestSupport() {
    }

    static byte[] hex(String s) {
        return HEX.parseHex(s.replace(" ", ""));
    }

    static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int pos = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
        }
        return out;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static String sha256(byte[] b) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** A resource under src/test/resources/wire-vectors/. */
    static byte[] resource(String name) {
        try (InputStream in = TestSupport.class.getResourceAsStream("/wire-vectors/" + name)) {
            if (in == null) {
                throw new AssertionError("missing resource wire-vectors/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> resourceLines(String name) {
        String text = new String(resource(name), StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                lines.add(line);
            }
        }
        return lines;
    }

    // ---- deterministic inputs, mirrored from the Go generator (main.go: rng, input) -----------

    /** splitmix64, exactly as the Go generator's {@code rng}. */
    static final class SplitMix {
        private long s;

        SplitMix(long seed) {
            s = seed;
        }

        long next() {
            s += 0x9e3779b97f4a7c15L;
            long z = s;
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }

        int below(int n) {
            return (int) Long.remainderUnsigned(next(), n);
        }
    }

    private static final String[] WORDS = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
        "memberlist", "serf", "gossip", "alive", "suspect", "dead", "node", "ping", "ack", "nack", "push", "pull",
        "incarnation", "7946", "127.0.0.1", "{\"role\":\"web\"}", "\n"};

    /** The input described by a spec such as {@code random:3:70000}, byte for byte as the Go generator builds it. */
    static byte[] input(String spec) {
        String[] p = spec.split(":");
        String kind = p[0];
        long seed = Long.parseLong(p[1]);
        int n = Integer.parseInt(p[2]);
        SplitMix r = new SplitMix(seed);
        byte[] out = new byte[n];
        int len = 0;
        switch (kind) {
            case "fill" -> java.util.Arrays.fill(out, (byte) seed);
            case "ramp" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (byte) (i + seed);
                }
            }
            case "random" -> {
                while (len < n) {
                    long v = r.next();
                    for (int i = 0; i < 8 && len < n; i++) {
                        out[len++] = (byte) (v >>> (8 * i));
                    }
                }
            }
            case "text" -> {
                while (len < n) {
                    byte[] w = WORDS[r.below(WORDS.length)].getBytes(StandardCharsets.UTF_8);
                    for (int i = 0; i < w.length && len < n; i++) {
                        out[len++] = w[i];
                    }
                    if (len < n) {
                        out[len++] = ' ';
                    }
                }
            }
            case "runs" -> {
                byte[] alphabet = {'a', 'b', 0, (byte) 0xff};
                while (len < n) {
                    byte b = alphabet[r.below(4)];
                    long k = 1 + Long.remainderUnsigned(r.next(), 300);
                    for (long j = 0; j < k && len < n; j++) {
                        out[len++] = b;
                    }
                }
            }
            default -> throw new IllegalArgumentException(spec);
        }
        return out;
    }

    /** The Go generator's str(n): 'a' + i % 26. */
    static String patternString(int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + i % 26));
        }
        return sb.toString();
    }

    /** The Go generator's bs(n): i * 7. */
    static byte[] patternBytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7);
        }
        return b;
    }

    // ---- a visitor that records everything ---------------------------------------------------

    /** Records what {@link Packets#read} reports, as strings for easy assertions and as values. */
    static final class Recorder implements PacketVisitor {
        final List<Message> messages = new ArrayList<>();
        final List<Rejection> rejections = new ArrayList<>();
        final List<String> details = new ArrayList<>();
        int truncated;
        int truncatedCalls;

        @Override
        public void message(Message message) {
            messages.add(message);
        }

        @Override
        public void rejected(Rejection reason, String detail) {
            rejections.add(reason);
            details.add(detail);
        }

        @Override
        public void truncated(int missingParts) {
            truncated += missingParts;
            truncatedCalls++;
        }

        static Recorder read(byte[] packet) {
            Recorder r = new Recorder();
            Packets.read(packet, 0, packet.length, r);
            return r;
        }
    }
}
