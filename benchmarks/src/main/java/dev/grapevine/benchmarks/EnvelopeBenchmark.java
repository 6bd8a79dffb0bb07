package dev.grapevine.benchmarks;

import dev.grapevine.crypto.GossipEnvelope;
import dev.grapevine.crypto.Keyring;
import dev.grapevine.crypto.Opened;
import java.security.DrbgParameters;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
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
 * Seal + open of one 1,400-byte packet (memberlist's UDP budget) with AES-256-GCM: Grapevine's
 * envelope ({@link GossipEnvelope}: version byte, random nonce, keyring snapshot, per-thread
 * cipher) against the same work done with raw JCE calls on the same data and key, with the nonce
 * drawn the same way (from a DRBG, 128 nonces per draw) and, as a floor, from a counter. Also the
 * cost of opening with a keyring of three keys when the packet is sealed with the last one (the
 * worst case during a rotation), and of refusing a packet no key opens.
 *
 * <p>Run (after {@code mvn -q -DskipTests package}):
 * <pre>{@code
 * bin/grapevine-bench EnvelopeBenchmark -f 1 -wi 3 -i 5
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EnvelopeBenchmark {
    private static final int PACKET = 1400;

    private byte[] plain;
    private GossipEnvelope envelope;
    private GossipEnvelope threeKeys;
    private byte[] sealedWithThirdKey;
    private byte[] sealedWithUnknownKey;
    private SecretKey key;
    private Cipher cipher;
    private SecureRandom drbg;
    private final byte[] nonce = new byte[12];
    private final byte[] pool = new byte[12 * 128];
    private int poolNext = pool.length;
    private long counter;

    @Setup
    public void setup() throws GeneralSecurityException {
        SplittableRandom rnd = new SplittableRandom(42);
        plain = new byte[PACKET];
        rnd.nextBytes(plain);
        byte[] k1 = new byte[32];
        byte[] k2 = new byte[32];
        byte[] k3 = new byte[32];
        byte[] other = new byte[32];
        rnd.nextBytes(k1);
        rnd.nextBytes(k2);
        rnd.nextBytes(k3);
        rnd.nextBytes(other);
        envelope = GossipEnvelope.builder(Keyring.of(k1)).build();
        threeKeys = GossipEnvelope.builder(Keyring.of(k1, k2, k3)).build();
        sealedWithThirdKey = GossipEnvelope.builder(Keyring.of(k3)).build().sealPacket(plain);
        sealedWithUnknownKey = GossipEnvelope.builder(Keyring.of(other)).build().sealPacket(plain);
        key = new SecretKeySpec(k1, "AES");
        cipher = Cipher.getInstance("AES/GCM/NoPadding");
        drbg = SecureRandom.getInstance("DRBG",
                DrbgParameters.instantiation(256, DrbgParameters.Capability.RESEED_ONLY, null));
    }

    /** Grapevine: {@code sealPacket} then {@code openPacket}. */
    @Benchmark
    public byte[] grapevineSealOpen() {
        Opened o = envelope.openPacket(envelope.sealPacket(plain));
        return o.plaintext();
    }

    /** Raw JCE, same layout, nonces from a DRBG drawn 128 at a time, as the envelope draws them. */
    @Benchmark
    public byte[] jceSealOpenDrbgNonce() throws GeneralSecurityException {
        if (poolNext == pool.length) {
            drbg.nextBytes(pool);
            poolNext = 0;
        }
        System.arraycopy(pool, poolNext, nonce, 0, 12);
        poolNext += 12;
        return jceSealOpen();
    }

    /** Raw JCE, same layout, nonce from a counter: the floor (no randomness at all). */
    @Benchmark
    public byte[] jceSealOpenCounterNonce() throws GeneralSecurityException {
        long c = ++counter;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (c >>> (56 - 8 * i));
        }
        return jceSealOpen();
    }

    /** Opening with three keys, the packet sealed with the third: two failed tag checks first. */
    @Benchmark
    public byte[] grapevineOpenWithThirdKey() {
        return threeKeys.openPacket(sealedWithThirdKey).plaintext();
    }

    /** Refusing a packet no key opens (three keys tried). */
    @Benchmark
    public Object grapevineRefuseUnknownKey() {
        return threeKeys.openPacket(sealedWithUnknownKey).rejection();
    }

    private byte[] jceSealOpen() throws GeneralSecurityException {
        byte[] out = new byte[1 + 12 + PACKET + 16];
        out[0] = 1;
        System.arraycopy(nonce, 0, out, 1, 12);
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.doFinal(plain, 0, PACKET, out, 13);
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, out, 1, 12));
        return cipher.doFinal(out, 13, out.length - 13);
    }
}
