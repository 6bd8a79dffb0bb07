package dev.grapevine.keyringtool;

import dev.grapevine.serf.KeyOperation;
import java.util.Collection;
import java.util.Set;

/**
 * What the key commands need from a cluster: who must answer, and asking members a key query.
 * {@link ClusterSession} is the real one; tests use an in-memory cluster.
 *
 * <p>Used by one thread; {@link #ask} blocks until the members answered or the query's deadline.
 */
interface KeyCluster {

    /** The members whose answers count: alive ones, and failed ones too when {@code includeFailed}. */
    Set<String> required(boolean includeFailed);

    /** The members currently held as failed. */
    Set<String> failed();

    /** Sends {@code op} to {@code targets} by name and collects their answers. */
    Answers ask(KeyOperation op, byte[] key, Collection<String> targets, String what);
}
