package dev.grapevine.benchmarks;

import dev.grapevine.membership.wire.Message.Alive;
import dev.grapevine.membership.wire.SignedCodec;
import dev.grapevine.membership.wire.WireEncoder;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Ed25519 sign and verify of a signed alive claim's bytes (about 90 bytes), BouncyCastle's
 * low-level Ed25519 (what {@code NodeIdentity} and {@code CertificateClaimAuthority} use) against the
 * JDK's provider (SunEC).
 *
 * <p>Run (after {@code mvn -q -DskipTests package}):
 * <pre>{@code
 * bin/grapevine-bench SigningBenchmark -f 1 -wi 3 -i 5 -w 2 -r 2
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SigningBenchmark {
    private byte[] data;
    private Ed25519PrivateKeyParameters bcPrivate;
    private Ed25519PublicKeyParameters bcPublic;
    private byte[] signature;
    private Signature jdkSigner;
    private Signature jdkVerifier;

    @Setup
    public void setup() throws Exception {
        byte[] alive = WireEncoder.encode(new Alive(17, "node-0042", new byte[] {10, 1, 2, 3}, 7946,
                new byte[] {(byte) 0x81, (byte) 0xa4, 'r', 'o', 'l', 'e', (byte) 0xa3, 'w', 'e', 'b'},
                new byte[] {1, 5, 2, 2, 5, 5}));
        data = SignedCodec.signedBytes("node-0042", alive);
        KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        bcPrivate = (Ed25519PrivateKeyParameters) PrivateKeyFactory.createKey(
                PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded()));
        bcPublic = bcPrivate.generatePublicKey();
        signature = new byte[Ed25519.SIGNATURE_SIZE];
        bcPrivate.sign(Ed25519.Algorithm.Ed25519, null, data, 0, data.length, signature, 0);
        jdkSigner = Signature.getInstance("Ed25519");
        jdkSigner.initSign(keys.getPrivate());
        jdkVerifier = Signature.getInstance("Ed25519");
        jdkVerifier.initVerify(keys.getPublic());
        if (!verifyJdk() || !verifyBouncyCastle()) {
            throw new IllegalStateException("the two implementations disagree");
        }
    }

    @Benchmark
    public byte[] signBouncyCastle() {
        byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
        bcPrivate.sign(Ed25519.Algorithm.Ed25519, null, data, 0, data.length, sig, 0);
        return sig;
    }

    @Benchmark
    public boolean verifyBouncyCastle() {
        return bcPublic.verify(Ed25519.Algorithm.Ed25519, null, data, 0, data.length, signature, 0);
    }

    @Benchmark
    public byte[] signJdk() throws Exception {
        jdkSigner.update(data);
        return jdkSigner.sign();
    }

    @Benchmark
    public boolean verifyJdk() throws Exception {
        jdkVerifier.update(data);
        return jdkVerifier.verify(signature);
    }
}
