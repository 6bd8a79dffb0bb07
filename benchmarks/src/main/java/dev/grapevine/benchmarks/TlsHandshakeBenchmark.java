package dev.grapevine.benchmarks;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.crypto.tls.NodeTls;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * TLS 1.3 mutual handshakes per second between two {@link NodeTls} nodes, both engines driven in
 * memory on one thread (so a figure is the CPU cost of both sides together), with Ed25519 or ECDSA
 * P-256 node certificates. Each handshake is a full one with the certificate checks NodeTls does.
 *
 * <p>Run (after {@code mvn -q -DskipTests package}):
 * <pre>{@code
 * bin/grapevine-bench TlsHandshakeBenchmark -f 1 -wi 3 -i 5 -w 2 -r 2
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TlsHandshakeBenchmark {
    @Param({"ED25519", "ECDSA_P256"})
    public KeyAlgorithm algorithm;

    private NodeTls client;
    private NodeTls server;
    private ByteBuffer c2s;
    private ByteBuffer s2c;
    private ByteBuffer clientApp;
    private ByteBuffer serverApp;
    private final ByteBuffer empty = ByteBuffer.allocate(0);

    @Setup
    public void setup() throws SSLException {
        ClusterCa ca = ClusterCa.create("bench CA", algorithm, Duration.ofDays(1));
        IssuedCertificate a = ca.issue("node-a", algorithm, Duration.ofDays(1));
        IssuedCertificate b = ca.issue("node-b", algorithm, Duration.ofDays(1));
        client = NodeTls.of(ca.trust(), a.certificate(), a.privateKey());
        server = NodeTls.of(ca.trust(), b.certificate(), b.privateKey());
        SSLEngine probe = client.newClientEngine("node-b");
        c2s = ByteBuffer.allocate(4 * probe.getSession().getPacketBufferSize());
        s2c = ByteBuffer.allocate(4 * probe.getSession().getPacketBufferSize());
        clientApp = ByteBuffer.allocate(2 * probe.getSession().getApplicationBufferSize());
        serverApp = ByteBuffer.allocate(2 * probe.getSession().getApplicationBufferSize());
        if (!handshake().equals("node-b")) {
            throw new IllegalStateException("handshake failed");
        }
    }

    /** One full mutual handshake; returns the server's node name as the client saw it. */
    @Benchmark
    public String handshake() throws SSLException {
        SSLEngine c = client.newClientEngine("node-b");
        SSLEngine s = server.newServerEngine();
        c2s.clear();
        s2c.clear();
        c.beginHandshake();
        s.beginHandshake();
        for (int step = 0; step < 100; step++) {
            pump(c, c2s, s2c, clientApp);
            pump(s, s2c, c2s, serverApp);
            if (done(c) && done(s)) {
                return NodeTls.peerName(c.getSession()).orElseThrow();
            }
        }
        throw new IllegalStateException("handshake did not finish");
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus hs = e.getHandshakeStatus();
        return hs == HandshakeStatus.NOT_HANDSHAKING || hs == HandshakeStatus.FINISHED;
    }

    private void pump(SSLEngine e, ByteBuffer out, ByteBuffer in, ByteBuffer app) throws SSLException {
        for (int i = 0; i < 50; i++) {
            HandshakeStatus hs = e.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                Runnable t;
                while ((t = e.getDelegatedTask()) != null) {
                    t.run();
                }
            } else if (hs == HandshakeStatus.NEED_WRAP) {
                SSLEngineResult r = e.wrap(empty, out);
                if (r.getStatus() != SSLEngineResult.Status.OK) {
                    throw new SSLException("wrap: " + r);
                }
            } else if (hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                in.flip();
                SSLEngineResult r = e.unwrap(in, app);
                in.compact();
                app.clear();
                if (r.bytesConsumed() == 0 && r.getHandshakeStatus() == hs) {
                    return;
                }
            } else {
                return;
            }
        }
    }
}
