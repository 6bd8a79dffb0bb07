package dev.grapevine.membership;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The member list, stored column-wise: one array per field, a member is a slot index. The slot
 * order is also the probe order (memberlist's {@code nodes} slice): new members are swapped into a
 * random slot, and the whole table is shuffled when the probe pointer wraps.
 *
 * <p>Why columns: a simulator holds thousands of tables of thousands of members. Per member this
 * costs about 40 bytes (seven references or primitives plus two index ints) and no per-member
 * object; names, addresses and metadata can be shared between tables through an {@link Interner}.
 *
 * <p>Names map to slots through an open-addressing hash index (linear probing, load ≤ 1/2).
 * Slots move (swaps, reaping, shuffles), so nothing outside a single core call may hold one.
 *
 * <p>Core-thread only.
 */
final class MemberTable {
    static final byte ALIVE = 0;
    static final byte SUSPECT = 1;
    static final byte DEAD = 2;
    static final byte LEFT = 3;

    private static final byte[] NO_META = new byte[0];

    private String[] names;
    private NodeAddress[] addresses;
    private byte[][] metas;
    private int[] incarnations;
    private byte[] states;
    private long[] changedAt;
    private ProtocolVersions[] versions;
    /** Signing mode: the signed claim that proves each member's current state (null otherwise). */
    private byte[][] proofs;
    private int size;

    private int[] index; // slot + 1, 0 = empty
    private int mask;

    private final int[] stateCounts = new int[4];

    MemberTable(int initialCapacity) {
        int cap = Math.max(8, initialCapacity);
        names = new String[cap];
        addresses = new NodeAddress[cap];
        metas = new byte[cap][];
        incarnations = new int[cap];
        states = new byte[cap];
        changedAt = new long[cap];
        versions = new ProtocolVersions[cap];
        proofs = new byte[cap][];
        int indexCap = Integer.highestOneBit(cap * 2 - 1) << 1;
        index = new int[indexCap];
        mask = indexCap - 1;
    }

    int size() {
        return size;
    }

    /** Members in {@code state} (one of the byte constants). */
    int count(byte state) {
        return stateCounts[state];
    }

    /** The slot of {@code name}, or -1. */
    int find(String name) {
        int h = spread(name.hashCode()) & mask;
        while (true) {
            int v = index[h];
            if (v == 0) {
                return -1;
            }
            if (names[v - 1].equals(name)) {
                return v - 1;
            }
            h = (h + 1) & mask;
        }
    }

    /**
     * Appends a member in state DEAD with incarnation 0 and no change time, the way memberlist
     * creates a node before applying the alive that introduced it.
     *
     * @return its slot (the last one)
     */
    int add(String name, NodeAddress address, byte[] meta, ProtocolVersions vsn) {
        if (size == names.length) {
            grow();
        }
        int slot = size++;
        names[slot] = name;
        addresses[slot] = address;
        metas[slot] = meta == null || meta.length == 0 ? NO_META : meta;
        incarnations[slot] = 0;
        states[slot] = DEAD;
        changedAt[slot] = Long.MIN_VALUE;
        versions[slot] = vsn;
        proofs[slot] = null;
        stateCounts[DEAD]++;
        if (size * 2 > index.length) {
            rebuildIndex(index.length * 2);
        } else {
            insertIndex(name, slot);
        }
        return slot;
    }

    /** Swaps two slots (members and index entries). */
    void swap(int a, int b) {
        if (a == b) {
            return;
        }
        int posA = indexPosition(names[a]);
        int posB = indexPosition(names[b]);
        swapColumns(a, b);
        index[posA] = b + 1;
        index[posB] = a + 1;
    }

    /**
     * Removes every member for which {@code reap} says yes, keeping the others (in an unspecified
     * order), then shuffles the table.
     *
     * @return how many were removed
     */
    int reapAndShuffle(SlotPredicate reap, RandomGenerator random) {
        int kept = 0;
        int removed = 0;
        for (int i = 0; i < size; i++) {
            if (reap.test(i)) {
                stateCounts[states[i]]--;
                removed++;
                continue;
            }
            if (kept != i) {
                copyColumns(i, kept);
            }
            kept++;
        }
        for (int i = kept; i < size; i++) {
            names[i] = null;
            addresses[i] = null;
            metas[i] = null;
            versions[i] = null;
            proofs[i] = null;
        }
        size = kept;
        for (int i = size - 1; i > 0; i--) {
            swapColumns(i, random.nextInt(i + 1));
        }
        rebuildIndex(index.length);
        return removed;
    }

    /** A test over a slot. */
    interface SlotPredicate {
        boolean test(int slot);
    }

    String name(int slot) {
        return names[slot];
    }

    NodeAddress address(int slot) {
        return addresses[slot];
    }

    byte[] meta(int slot) {
        return metas[slot];
    }

    int incarnation(int slot) {
        return incarnations[slot];
    }

    byte state(int slot) {
        return states[slot];
    }

    long changedAt(int slot) {
        return changedAt[slot];
    }

    ProtocolVersions versions(int slot) {
        return versions[slot];
    }

    /** Highest memberlist protocol the member understands (0 when unknown). */
    int pMax(int slot) {
        ProtocolVersions v = versions[slot];
        return v == null ? 0 : v.pMax();
    }

    boolean isDown(int slot) {
        return states[slot] >= DEAD;
    }

    void setIncarnation(int slot, int incarnation) {
        incarnations[slot] = incarnation;
    }

    void setState(int slot, byte state, long now) {
        byte old = states[slot];
        if (old != state) {
            stateCounts[old]--;
            stateCounts[state]++;
            states[slot] = state;
            changedAt[slot] = now;
        }
    }

    void setAddress(int slot, NodeAddress address) {
        addresses[slot] = address;
    }

    void setMeta(int slot, byte[] meta) {
        metas[slot] = meta == null || meta.length == 0 ? NO_META : meta;
    }

    void setVersions(int slot, ProtocolVersions vsn) {
        versions[slot] = vsn;
    }

    /** The signed claim proving the member's state (signing mode), or null. */
    byte[] proof(int slot) {
        return proofs[slot];
    }

    void setProof(int slot, byte[] proof) {
        proofs[slot] = proof;
    }

    /** A snapshot of one member. */
    Member member(int slot) {
        return new Member(names[slot], addresses[slot], metas[slot], MemberState.ofCode(states[slot]),
                Integer.toUnsignedLong(incarnations[slot]), versions[slot]);
    }

    /** Checks that every index entry points at the slot holding its name, and the state counts. */
    String selfCheck() {
        int[] counts = new int[4];
        for (int i = 0; i < size; i++) {
            counts[states[i]]++;
            if (find(names[i]) != i) {
                return "index does not find " + names[i] + " at slot " + i;
            }
        }
        if (!Arrays.equals(counts, stateCounts)) {
            return "state counts " + Arrays.toString(stateCounts) + " but table holds " + Arrays.toString(counts);
        }
        return null;
    }

    private void swapColumns(int a, int b) {
        String n = names[a];
        names[a] = names[b];
        names[b] = n;
        NodeAddress ad = addresses[a];
        addresses[a] = addresses[b];
        addresses[b] = ad;
        byte[] m = metas[a];
        metas[a] = metas[b];
        metas[b] = m;
        int inc = incarnations[a];
        incarnations[a] = incarnations[b];
        incarnations[b] = inc;
        byte s = states[a];
        states[a] = states[b];
        states[b] = s;
        long c = changedAt[a];
        changedAt[a] = changedAt[b];
        changedAt[b] = c;
        ProtocolVersions v = versions[a];
        versions[a] = versions[b];
        versions[b] = v;
        byte[] p = proofs[a];
        proofs[a] = proofs[b];
        proofs[b] = p;
    }

    private void copyColumns(int from, int to) {
        names[to] = names[from];
        addresses[to] = addresses[from];
        metas[to] = metas[from];
        incarnations[to] = incarnations[from];
        states[to] = states[from];
        changedAt[to] = changedAt[from];
        versions[to] = versions[from];
        proofs[to] = proofs[from];
    }

    private void grow() {
        int cap = names.length + (names.length >> 1) + 1;
        names = Arrays.copyOf(names, cap);
        addresses = Arrays.copyOf(addresses, cap);
        metas = Arrays.copyOf(metas, cap);
        incarnations = Arrays.copyOf(incarnations, cap);
        states = Arrays.copyOf(states, cap);
        changedAt = Arrays.copyOf(changedAt, cap);
        versions = Arrays.copyOf(versions, cap);
        proofs = Arrays.copyOf(proofs, cap);
    }

    private void rebuildIndex(int capacity) {
        int cap = capacity;
        while (size * 2 > cap) {
            cap <<= 1;
        }
        if (cap != index.length) {
            index = new int[cap];
            mask = cap - 1;
        } else {
            Arrays.fill(index, 0);
        }
        for (int i = 0; i < size; i++) {
            insertIndex(names[i], i);
        }
    }

    private void insertIndex(String name, int slot) {
        int h = spread(name.hashCode()) & mask;
        while (index[h] != 0) {
            h = (h + 1) & mask;
        }
        index[h] = slot + 1;
    }

    /** Position in the index of the entry for {@code name}, which must be present. */
    private int indexPosition(String name) {
        int h = spread(name.hashCode()) & mask;
        while (true) {
            int v = index[h];
            if (v == 0) {
                throw new IllegalStateException("member table index lost " + name);
            }
            if (names[v - 1].equals(name)) {
                return h;
            }
            h = (h + 1) & mask;
        }
    }

    private static int spread(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }
}
