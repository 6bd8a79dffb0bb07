package dev.grapevine.membership;

import java.util.Arrays;

/**
 * A sorted set of unique {@code long} keys, each carrying an {@code int} value, stored in chunks of
 * at most {@value #CHUNK} sorted entries (a two-level B-tree). Insert, remove and ceiling cost a
 * binary search over the chunks plus one within a chunk and a shift of at most {@value #CHUNK}
 * entries, with no object per entry: about 12 bytes per entry, twice that in the worst case of
 * half-full chunks.
 *
 * <p>Core-thread only.
 */
final class SortedLongIndex {
    static final int CHUNK = 256;

    private long[][] keys = new long[4][];
    private int[][] values = new int[4][];
    private int[] sizes = new int[4];
    private int chunks;
    private int size;

    // Result of the last ceiling() call.
    private int foundChunk;
    private int foundPos;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The smallest key; the index must not be empty. */
    long firstKey() {
        return keys[0][0];
    }

    /** Inserts a key that is not present. */
    void insert(long key, int value) {
        if (chunks == 0) {
            newChunk(0);
        }
        int c = chunkFor(key);
        int n = sizes[c];
        if (n == CHUNK) {
            split(c);
            if (key > keys[c][sizes[c] - 1]) {
                c++;
            }
            n = sizes[c];
        }
        long[] k = keys[c];
        int[] v = values[c];
        int pos = Arrays.binarySearch(k, 0, n, key);
        if (pos >= 0) {
            throw new IllegalStateException("duplicate key " + key);
        }
        pos = -pos - 1;
        System.arraycopy(k, pos, k, pos + 1, n - pos);
        System.arraycopy(v, pos, v, pos + 1, n - pos);
        k[pos] = key;
        v[pos] = value;
        sizes[c] = n + 1;
        size++;
    }

    /** Removes a key that is present and returns its value. */
    int remove(long key) {
        int c = chunkFor(key);
        int pos = Arrays.binarySearch(keys[c], 0, sizes[c], key);
        if (pos < 0) {
            throw new IllegalStateException("missing key " + key);
        }
        return removeAt(c, pos);
    }

    /**
     * Finds the smallest key at or above {@code key}. Returns false when there is none; otherwise
     * {@link #foundKey()}, {@link #foundValue()} and {@link #removeFound()} refer to it until the
     * next change.
     */
    boolean ceiling(long key) {
        if (size == 0) {
            return false;
        }
        int c = chunkFor(key);
        int pos = Arrays.binarySearch(keys[c], 0, sizes[c], key);
        if (pos < 0) {
            pos = -pos - 1;
        }
        if (pos == sizes[c]) {
            c++;
            pos = 0;
            if (c == chunks) {
                return false;
            }
        }
        foundChunk = c;
        foundPos = pos;
        return true;
    }

    long foundKey() {
        return keys[foundChunk][foundPos];
    }

    int foundValue() {
        return values[foundChunk][foundPos];
    }

    /** Removes the entry the last successful {@link #ceiling} found and returns its value. */
    int removeFound() {
        return removeAt(foundChunk, foundPos);
    }

    /** Removes the largest key and returns its value; the index must not be empty. */
    int pollLast() {
        int c = chunks - 1;
        return removeAt(c, sizes[c] - 1);
    }

    /** The values in key order. */
    int[] values() {
        int[] out = new int[size];
        int o = 0;
        for (int c = 0; c < chunks; c++) {
            System.arraycopy(values[c], 0, out, o, sizes[c]);
            o += sizes[c];
        }
        return out;
    }

    void clear() {
        keys = new long[4][];
        values = new int[4][];
        sizes = new int[4];
        chunks = 0;
        size = 0;
    }

    /** The chunk whose range should hold {@code key}: the last chunk whose first key is ≤ it, or 0. */
    private int chunkFor(long key) {
        int lo = 0;
        int hi = chunks - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (keys[mid][0] <= key) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private int removeAt(int c, int pos) {
        long[] k = keys[c];
        int[] v = values[c];
        int value = v[pos];
        int n = sizes[c] - 1;
        System.arraycopy(k, pos + 1, k, pos, n - pos);
        System.arraycopy(v, pos + 1, v, pos, n - pos);
        sizes[c] = n;
        size--;
        if (n == 0) {
            dropChunk(c);
        }
        return value;
    }

    private void split(int c) {
        newChunk(c + 1);
        int half = CHUNK / 2;
        System.arraycopy(keys[c], half, keys[c + 1], 0, CHUNK - half);
        System.arraycopy(values[c], half, values[c + 1], 0, CHUNK - half);
        sizes[c + 1] = CHUNK - half;
        sizes[c] = half;
    }

    private void newChunk(int at) {
        if (chunks == keys.length) {
            int cap = chunks * 2;
            keys = Arrays.copyOf(keys, cap);
            values = Arrays.copyOf(values, cap);
            sizes = Arrays.copyOf(sizes, cap);
        }
        System.arraycopy(keys, at, keys, at + 1, chunks - at);
        System.arraycopy(values, at, values, at + 1, chunks - at);
        System.arraycopy(sizes, at, sizes, at + 1, chunks - at);
        keys[at] = new long[CHUNK];
        values[at] = new int[CHUNK];
        sizes[at] = 0;
        chunks++;
    }

    private void dropChunk(int c) {
        System.arraycopy(keys, c + 1, keys, c, chunks - c - 1);
        System.arraycopy(values, c + 1, values, c, chunks - c - 1);
        System.arraycopy(sizes, c + 1, sizes, c, chunks - c - 1);
        chunks--;
        keys[chunks] = null;
        values[chunks] = null;
    }
}
