package dev.grapevine.serf;

import dev.grapevine.membership.NodeAddress;
import dev.grapevine.membership.ProtocolVersions;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable snapshot of one member as the Serf layer knows it ({@code serf.Member}).
 *
 * <p>Safe to share between threads.
 *
 * @param name        the node's name
 * @param address     its gossip address
 * @param tags        its tags, decoded from memberlist metadata (unmodifiable)
 * @param status      its Serf status
 * @param versions    the protocol versions it advertised (memberlist {@code P*} and Serf {@code D*}),
 *                    or {@code null} when unknown
 * @param statusLTime the Lamport time of the latest join or leave intent applied to it (0 if none)
 */
public record SerfMember(String name, NodeAddress address, Map<String, String> tags, SerfMemberStatus status,
                         ProtocolVersions versions, long statusLTime) {

    /** Checks and freezes the components. */
    public SerfMember {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(status, "status");
        tags = tags == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tags));
    }

    @Override
    public String toString() {
        return name + "@" + address + " " + status.label() + " " + tags;
    }
}
