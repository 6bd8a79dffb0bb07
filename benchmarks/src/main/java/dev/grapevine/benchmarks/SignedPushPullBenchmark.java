package dev.grapevine.benchmarks;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.crypto.sign.CertificateClaimAuthority;
import dev.grapevine.crypto.sign.NodeIdentity;
import dev.grapevine.membership.ClaimAuthority.Verdict;
import dev.grapevine.membership.wire.DecodeResult;
import dev.grapevine.membership.wire.Message;
import dev.grapevine.membership.wire.Message.Alive;
import dev.grapevine.membership.wire.SignedCodec;
import dev.grapevine.membership.wire.Streams;
import dev.grapevine.membership.wire.WireEncoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding and verifying a signed push/pull of a 1,000-node cluster: one signed alive claim per
 * member, each carrying its certificate (as the core sends them), built with the core's codec.
 * <ul>
 *   <li>{@code cold}: a fresh {@link CertificateClaimAuthority} each time (a node that just joined):
 *       1,000 certificate checks and 1,000 Ed25519 verifications;</li>
 *   <li>{@code warm}: the same authority throughout (a later push/pull with the same claims): every
 *       certificate and signature is a cache hit.</li>
 * </ul>
 * Building the 1,000 identities takes a few seconds of setup.
 *
 * <p>Run (after {@code mvn -q -DskipTests package}):
 * <pre>{@code
 * bin/grapevine-bench SignedPushPullBenchmark -f 1 -wi 3 -i 5 -w 2 -r 2
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SignedPushPullBenchmark {
    static final int NODES = 1000;
    private ClusterTrust trust;
    private NodeIdentity local;
    private byte[] pushPull;

    @Setup
    public void setup() {
        ClusterCa ca = ClusterCa.create("bench CA", KeyAlgorithm.ED25519, Duration.ofDays(1));
        trust = ca.trust();
        List<byte[]> envelopes = new ArrayList<>(NODES);
        byte[] vsn = {1, 5, 2, 2, 5, 5};
        for (int i = 0; i < NODES; i++) {
            String name = String.format("node-%04d", i);
            IssuedCertificate c = ca.issue(name, KeyAlgorithm.ED25519, Duration.ofDays(1));
            NodeIdentity id = NodeIdentity.of(c.certificate(), c.privateKey());
            byte[] alive = WireEncoder.encode(new Alive(i + 1, name, new byte[] {10, 0, (byte) (i >> 8), (byte) i},
                    7946, new byte[] {(byte) 0x80}, vsn));
            envelopes.add(SignedCodec.envelope(name, id.sign(SignedCodec.signedBytes(name, alive)),
                    id.certificateDer(), alive));
            if (i == 0) {
                local = id;
            }
        }
        pushPull = SignedCodec.encodePushPull(false, envelopes, List.of(), null);
    }

    /** A fresh authority per invocation, for the cold case. */
    @State(Scope.Thread)
    public static class Fresh {
        CertificateClaimAuthority authority;

        @Setup(Level.Invocation)
        public void setup(SignedPushPullBenchmark b) {
            authority = new CertificateClaimAuthority(b.trust, b.local, 4 * NODES);
        }
    }

    /** One authority for the whole run, warmed by the first verification. */
    @State(Scope.Thread)
    public static class Warm {
        CertificateClaimAuthority authority;

        @Setup(Level.Trial)
        public void setup(SignedPushPullBenchmark b) {
            authority = new CertificateClaimAuthority(b.trust, b.local, 4 * NODES);
            b.verifyAll(authority);
        }
    }

    int verifyAll(CertificateClaimAuthority authority) {
        DecodeResult<Message> r = Streams.read(pushPull, 0, pushPull.length);
        Message.SignedPushPull spp = (Message.SignedPushPull) r.value();
        int ok = 0;
        for (Message.Signed s : spp.proofs()) {
            if (authority.verify(s.signer(), s.signature(), s.certificate(), SignedCodec.signedBytes(s)) == Verdict.OK) {
                ok++;
            }
        }
        if (ok != NODES) {
            throw new IllegalStateException(ok + " of " + NODES + " proofs verified");
        }
        return ok;
    }

    @Benchmark
    public int cold(Fresh f) {
        return verifyAll(f.authority);
    }

    @Benchmark
    public int warm(Warm w) {
        return verifyAll(w.authority);
    }

    /** Decoding alone, for reference. */
    @Benchmark
    public Object decodeOnly() {
        return Streams.read(pushPull, 0, pushPull.length).value();
    }
}
