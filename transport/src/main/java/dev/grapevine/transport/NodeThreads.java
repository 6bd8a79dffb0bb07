package dev.grapevine.transport;

import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads a node owns, all daemons so that a node never keeps a JVM alive: its event loop,
 * named {@code grapevine-<name>}, and its default listener executor, named
 * {@code grapevine-<name>-events}. Stateless.
 */
final class NodeThreads {
    private NodeThreads() {
    }

    /** Creates the event-loop thread (Netty's fast thread-local flavour). */
    static ThreadFactory eventLoop(String nodeName) {
        String threadName = "grapevine-" + nodeName;
        return r -> {
            Thread t = new FastThreadLocalThread(r, threadName);
            t.setDaemon(true);
            return t;
        };
    }

    /** One thread, tasks in submission order, unbounded queue: the default listener executor. */
    static ExecutorService events(String nodeName) {
        String threadName = "grapevine-" + nodeName + "-events";
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code task} on a new daemon thread named {@code grapevine-<name>-<what>}. */
    static void spawn(String nodeName, String what, Runnable task) {
        Thread t = new Thread(task, "grapevine-" + nodeName + "-" + what);
        t.setDaemon(true);
        t.start();
    }
}
