package dev.grapevine.transport;

import dev.grapevine.membership.MembershipEvent;
import dev.grapevine.membership.MembershipEvent.MemberDown;
import dev.grapevine.membership.MembershipEvent.MemberJoined;
import dev.grapevine.membership.MembershipEvent.MemberUpdated;
import dev.grapevine.membership.MembershipEvent.NameConflict;
import dev.grapevine.membership.MembershipEvent.UserMessage;
import dev.grapevine.serf.SerfEvent;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands membership events from the event loop to the {@link MembershipListener}s, on the
 * listener executor: one task per event, submitted in the order the core emitted them, each task
 * calling every listener in registration order. A listener that throws is logged and the others
 * still run. Join and leave completions are not listener events; the node handles them itself.
 *
 * <p><b>Threading.</b> {@link #dispatch} is called on the event loop and never blocks (unless the
 * user's executor does); listeners run wherever the executor runs them.
 */
final class ListenerDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(ListenerDispatcher.class);

    private final List<MembershipListener> listeners;
    private final List<SerfListener> serfListeners;
    private final Executor executor;
    private final ExecutorService owned;

    /**
     * @param owned the executor when the node created it (shut down by {@link #shutdown}), else null
     */
    ListenerDispatcher(List<MembershipListener> listeners, List<SerfListener> serfListeners, Executor executor,
                       ExecutorService owned) {
        this.listeners = List.copyOf(listeners);
        this.serfListeners = List.copyOf(serfListeners);
        this.executor = executor;
        this.owned = owned;
    }

    /** Queues delivery of a Serf event to the Serf listeners. */
    void dispatch(SerfEvent event) {
        if (!serfListeners.isEmpty()) {
            run(() -> {
                for (SerfListener l : serfListeners) {
                    try {
                        l.onEvent(event);
                    } catch (RuntimeException ex) {
                        LOG.warn("Serf listener {} threw on {}", l.getClass().getName(),
                                event.getClass().getSimpleName(), ex);
                    }
                }
            });
        }
    }

    /** Runs {@code task} on the listener executor (query callbacks, future completions). */
    void run(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debug("listener executor refused a task");
        }
    }

    /** Queues delivery of {@code event}; dropped when the executor refuses it (after close). */
    void dispatch(MembershipEvent event) {
        if (listeners.isEmpty()) {
            return;
        }
        try {
            executor.execute(() -> deliver(event));
        } catch (RejectedExecutionException e) {
            LOG.debug("listener executor refused an event: {}", event.getClass().getSimpleName());
        }
    }

    /** Stops the node's own executor once the events already queued have run; does not wait. */
    void shutdown() {
        if (owned != null) {
            owned.shutdown();
        }
    }

    private void deliver(MembershipEvent event) {
        for (MembershipListener l : listeners) {
            try {
                if (event instanceof MemberJoined e) {
                    l.onJoin(e.member());
                } else if (event instanceof MemberDown e) {
                    l.onLeave(e.member());
                } else if (event instanceof MemberUpdated e) {
                    l.onUpdate(e.member());
                } else if (event instanceof UserMessage e) {
                    l.onUserMessage(listeners.size() == 1 ? e.payload() : e.payload().clone(), e.from());
                } else if (event instanceof NameConflict e) {
                    l.onConflict(e.existing(), e.claimant());
                }
            } catch (RuntimeException ex) {
                LOG.warn("membership listener {} threw on {}", l.getClass().getName(),
                        event.getClass().getSimpleName(), ex);
            }
        }
    }
}
