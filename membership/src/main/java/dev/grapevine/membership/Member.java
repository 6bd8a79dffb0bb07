package dev.grapevine.membership;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable snapshot of one member as the local node knows it.
 *
 * <p>Snapshots do not change when the cluster does; ask the core again for fresh ones. Safe to
 * share between threads.
 *
 * @param name        the node's unique name
 * @param address     its gossip address (UDP and TCP share the port)
 * @param meta        node metadata (Serf puts tags here); {@link #meta()} returns a copy
 * @param state       alive, suspect, dead or left
 * @param incarnation the node's incarnation number (uint32, as a long)
 * @param versions    protocol versions the node advertised, or {@code null} when unknown
 */
public record Member(String name, NodeAddress address, byte[] meta, MemberState state, long incarnation,
                     ProtocolVersions versions) {

    /** Validates and copies. */
    public Member {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(state, "state");
        meta = meta == null ? new byte[0] : meta;
    }

    /** A copy of the metadata bytes (empty when none). */
    @Override
    public byte[] meta() {
        return meta.clone();
    }

    /** Length of the metadata without copying it. */
    public int metaLength() {
        return meta.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Member m && m.name.equals(name) && m.address.equals(address)
                && Arrays.equals(m.meta, meta) && m.state == state && m.incarnation == incarnation
                && Objects.equals(m.versions, versions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, address, Arrays.hashCode(meta), state, incarnation, versions);
    }

    @Override
    public String toString() {
        return name + "@" + address + " " + state.name().toLowerCase(java.util.Locale.ROOT)
                + " inc=" + incarnation + " meta=" + meta.length + "B";
    }
}
