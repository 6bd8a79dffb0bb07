package dev.grapevine.benchmarks.cluster;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import java.util.function.Consumer;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

/**
 * A minimal client of a Serf agent's RPC ({@code -rpc-addr}): what the {@code serf} CLI sends, so
 * that the benchmark can fire 49 joins at the same instant without starting 49 CLI processes.
 * Each request is a msgpack map {@code {Command, Seq}} then the body; each response a map
 * {@code {Seq, Error}} then, for some commands, a body (Serf's {@code cmd/serf/command/agent/ipc.go}).
 * Strings are kept under 32 bytes (msgpack fixstr), which every msgpack decoder reads.
 *
 * <p>One connection serves one caller at a time (the methods are synchronized); a connection put
 * into {@link #monitor} mode is read by its own thread and takes no more requests.
 */
final class SerfRpc implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int READ_TIMEOUT_MS = 60_000;

    private final Socket socket;
    private final MessagePacker out;
    private final MessageUnpacker in;
    private long seq;

    private SerfRpc(Socket socket) throws IOException {
        this.socket = socket;
        this.out = MessagePack.newDefaultPacker(new BufferedOutputStream(socket.getOutputStream()));
        this.in = MessagePack.newDefaultUnpacker(new BufferedInputStream(socket.getInputStream()));
    }

    /** Connects to an agent's RPC address on 127.0.0.1 and performs the version-1 handshake. */
    static SerfRpc connect(int rpcPort) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", rpcPort), CONNECT_TIMEOUT_MS);
            s.setSoTimeout(READ_TIMEOUT_MS);
            s.setTcpNoDelay(true);
            SerfRpc rpc = new SerfRpc(s);
            rpc.request("handshake", Map.of("Version", 1), false);
            return rpc;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** {@code serf join}: the agent joins {@code address} (no replay); returns how many nodes it contacted. */
    synchronized int join(String address) throws IOException {
        Value body = request("join", Map.of("Existing", new String[] {address}, "Replay", false), true);
        Value num = field(body, "Num");
        return num == null ? 0 : num.asIntegerValue().toInt();
    }

    /** {@code serf event}: the agent sends a user event. */
    synchronized void event(String name, byte[] payload, boolean coalesce) throws IOException {
        request("event", Map.of("Name", name, "Payload", payload, "Coalesce", coalesce), false);
    }

    /** {@code serf leave}: the agent leaves gracefully, answers, then shuts down (and its process exits). */
    synchronized void leave() throws IOException {
        request("leave", null, false);
    }

    /**
     * Streams the agent's log lines at {@code level} and above to {@code sink} on a new daemon
     * thread named {@code threadName}, until the connection closes. The agent first replays the
     * lines it buffered.
     */
    synchronized void monitor(String level, String threadName, Consumer<String> sink) throws IOException {
        request("monitor", Map.of("LogLevel", level), false);
        socket.setSoTimeout(0);
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Value header = in.unpackValue();
                    String error = string(field(header, "Error"));
                    if (error != null && !error.isEmpty()) {
                        return;
                    }
                    String line = string(field(in.unpackValue(), "Log"));
                    if (line != null) {
                        sink.accept(line);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // connection closed (agent gone, or close()): the stream ends
            }
        }, threadName);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    private Value request(String command, Map<String, Object> body, boolean hasResponseBody) throws IOException {
        long s = seq++;
        out.packMapHeader(2);
        str("Command");
        str(command);
        str("Seq");
        out.packLong(s);
        if (body != null) {
            out.packMapHeader(body.size());
            for (Map.Entry<String, Object> e : body.entrySet()) {
                str(e.getKey());
                pack(e.getValue());
            }
        }
        out.flush();
        Value header = in.unpackValue();
        String error = string(field(header, "Error"));
        if (error != null && !error.isEmpty()) {
            throw new IOException("serf rpc " + command + ": " + error);
        }
        return hasResponseBody ? in.unpackValue() : null;
    }

    private void pack(Object v) throws IOException {
        if (v instanceof String s) {
            str(s);
        } else if (v instanceof byte[] b) {
            out.packRawStringHeader(b.length); // str, which Go decodes into []byte
            out.addPayload(b);
        } else if (v instanceof Boolean b) {
            out.packBoolean(b);
        } else if (v instanceof Integer i) {
            out.packInt(i);
        } else if (v instanceof String[] a) {
            out.packArrayHeader(a.length);
            for (String s : a) {
                str(s);
            }
        } else {
            throw new IllegalArgumentException("cannot pack " + v);
        }
    }

    private void str(String s) throws IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length >= 32) {
            throw new IllegalArgumentException("keep RPC strings under 32 bytes: " + s);
        }
        out.packRawStringHeader(b.length);
        out.addPayload(b);
    }

    private static Value field(Value map, String key) {
        if (map == null || !map.isMapValue()) {
            return null;
        }
        for (Map.Entry<Value, Value> e : map.asMapValue().entrySet()) {
            Value k = e.getKey();
            if (k.isRawValue() && k.asRawValue().asString().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    private static String string(Value v) {
        return v == null || v.isNilValue() ? null : v.isRawValue() ? v.asRawValue().asString() : v.toString();
    }
}
