package dev.grapevine.transport;

import dev.grapevine.serf.KeyringOps;
import dev.grapevine.serf.SerfConfig;
import java.util.List;
import java.util.Map;

/**
 * How a node runs the Serf layer, when it does: the Serf config, initial tags, the keyring the
 * internal key queries act on (null: no encryption, as Serf without {@code -encrypt}) and the
 * Serf listeners. Immutable.
 */
record SerfSetup(SerfConfig config, Map<String, String> tags, KeyringOps keyring, List<SerfListener> listeners) {
    SerfSetup {
        tags = Map.copyOf(tags);
        listeners = List.copyOf(listeners);
    }
}
