package dev.grapevine.transport;

import dev.grapevine.crypto.pki.ClusterCa;
import dev.grapevine.crypto.pki.ClusterTrust;
import dev.grapevine.crypto.pki.IssuedCertificate;
import dev.grapevine.crypto.pki.KeyAlgorithm;
import dev.grapevine.crypto.sign.NodeIdentity;
import dev.grapevine.crypto.tls.NodeTls;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/** A cluster CA in a test's temporary directory, and node certificates from it written as PEM files. */
final class TestPki {
    /** A node's certificate and key files. */
    record Files(Path cert, Path key) {
    }

    private final Path dir;
    private final ClusterCa ca;
    final Path caPem;

    TestPki(Path dir, String name) {
        this.dir = dir;
        this.ca = ClusterCa.create(name, KeyAlgorithm.ED25519, Duration.ofDays(1));
        this.caPem = dir.resolve(name + "-ca.pem");
        ca.write(caPem, dir.resolve(name + "-ca-key.pem"));
    }

    ClusterCa ca() {
        return ca;
    }

    ClusterTrust trust() {
        return ClusterTrust.load(caPem);
    }

    /** A certificate for {@code certName}, valid for a day, written under {@code fileName}. */
    Files issue(String fileName, String certName, KeyAlgorithm alg) {
        return write(fileName, ca.issue(certName, alg, Duration.ofDays(1)));
    }

    Files issue(String name, KeyAlgorithm alg) {
        return issue(name, name, alg);
    }

    /** A certificate for {@code name} that expired an hour ago. */
    Files expired(String name) {
        Instant now = Instant.now();
        return write(name, ca.issue(name, KeyAlgorithm.ED25519.generate(), now.minus(Duration.ofDays(2)),
                now.minus(Duration.ofHours(1))));
    }

    Files write(String fileName, IssuedCertificate c) {
        Files f = new Files(dir.resolve(fileName + ".pem"), dir.resolve(fileName + "-key.pem"));
        c.write(f.cert(), f.key());
        return f;
    }

    /** TLS material for a node: this CA as trust, the node's files. */
    NodeTls tls(Files f) {
        return NodeTls.load(caPem, f.cert(), f.key());
    }

    static NodeIdentity identity(Files f) {
        return NodeIdentity.load(f.cert(), f.key());
    }
}
