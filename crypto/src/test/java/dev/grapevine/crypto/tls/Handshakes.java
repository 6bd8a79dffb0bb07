package dev.grapevine.crypto.tls;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/** Drives a client and a server engine against each other in memory until both finish or one fails. */
final class Handshakes {
    private Handshakes() {
    }

    /**
     * Runs the handshake and then one application record each way.
     *
     * @return null when both sides completed and exchanged data, else the first failure
     */
    static Exception run(SSLEngine client, SSLEngine server) {
        int packet = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
        int app = Math.max(client.getSession().getApplicationBufferSize(), server.getSession().getApplicationBufferSize());
        ByteBuffer c2s = ByteBuffer.allocate(packet * 4);
        ByteBuffer s2c = ByteBuffer.allocate(packet * 4);
        ByteBuffer clientIn = ByteBuffer.allocate(app * 2);
        ByteBuffer serverIn = ByteBuffer.allocate(app * 2);
        ByteBuffer empty = ByteBuffer.allocate(0);
        try {
            client.beginHandshake();
            server.beginHandshake();
            for (int step = 0; step < 200; step++) {
                boolean progress = false;
                progress |= pump(client, empty, c2s, s2c, clientIn);
                progress |= pump(server, empty, s2c, c2s, serverIn);
                if (done(client) && done(server)) {
                    return exchange(client, server, c2s, s2c, clientIn, serverIn);
                }
                if (!progress && client.isOutboundDone() && server.isOutboundDone()) {
                    return new SSLException("both engines closed without completing");
                }
            }
            return new SSLException("handshake did not finish in 200 steps");
        } catch (SSLException | RuntimeException e) {
            return e;
        }
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus hs = e.getHandshakeStatus();
        return hs == HandshakeStatus.NOT_HANDSHAKING || hs == HandshakeStatus.FINISHED;
    }

    /** One round for one engine: run tasks, wrap what it has to send, unwrap what it received. */
    private static boolean pump(SSLEngine e, ByteBuffer appOut, ByteBuffer out, ByteBuffer in, ByteBuffer appIn)
            throws SSLException {
        boolean progress = false;
        for (int i = 0; i < 50; i++) {
            HandshakeStatus hs = e.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                Runnable t;
                while ((t = e.getDelegatedTask()) != null) {
                    t.run();
                }
                progress = true;
            } else if (hs == HandshakeStatus.NEED_WRAP) {
                SSLEngineResult r = e.wrap(appOut, out);
                progress |= r.bytesProduced() > 0;
                if (r.getStatus() == SSLEngineResult.Status.CLOSED && r.bytesProduced() == 0) {
                    break;
                }
            } else if (hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                in.flip();
                SSLEngineResult r;
                try {
                    r = e.unwrap(in, appIn);
                } finally {
                    in.compact();
                }
                if (r.bytesConsumed() == 0 && r.getHandshakeStatus() == hs) {
                    break;
                }
                progress = true;
            } else {
                break;
            }
        }
        return progress;
    }

    private static Exception exchange(SSLEngine client, SSLEngine server, ByteBuffer c2s, ByteBuffer s2c,
                                      ByteBuffer clientIn, ByteBuffer serverIn) throws SSLException {
        // Deliver anything still in flight (e.g. TLS 1.3 session tickets), then a record each way.
        s2c.flip();
        while (s2c.hasRemaining()) {
            SSLEngineResult r = client.unwrap(s2c, clientIn);
            if (r.bytesConsumed() == 0) {
                break;
            }
        }
        s2c.compact();
        c2s.flip();
        while (c2s.hasRemaining()) {
            SSLEngineResult r = server.unwrap(c2s, serverIn);
            if (r.bytesConsumed() == 0) {
                break;
            }
        }
        c2s.compact();
        clientIn.clear();
        serverIn.clear();
        client.wrap(ByteBuffer.wrap("ping".getBytes()), c2s);
        c2s.flip();
        server.unwrap(c2s, serverIn);
        c2s.compact();
        server.wrap(ByteBuffer.wrap("pong".getBytes()), s2c);
        s2c.flip();
        client.unwrap(s2c, clientIn);
        s2c.compact();
        if (serverIn.position() != 4 || clientIn.position() != 4) {
            return new SSLException("application data did not cross: server got " + serverIn.position()
                    + ", client got " + clientIn.position());
        }
        return null;
    }
}
