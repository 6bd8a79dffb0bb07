package dev.grapevine.simulator;

/**
 * Checks that, per (observer, subject), the incarnation numbers an observer reports in its events
 * never go down, except after the subject restarted (its numbering starts over) or the observer
 * restarted (it forgets everything). One {@code int[]} row per observer, indexed by subject id,
 * allocated on the observer's first event; 0 means "not seen". Single-threaded.
 */
final class IncarnationTracker {
    private int[][] rows = new int[16][];

    /**
     * Records an observation.
     *
     * @return a description of the regression, or {@code null}
     */
    String observe(SimNode observer, SimNode subject, long incarnation, int nodeCount) {
        if (observer.id >= rows.length) {
            rows = java.util.Arrays.copyOf(rows, Math.max(observer.id + 1, rows.length * 2));
        }
        int[] row = rows[observer.id];
        if (row == null || subject.id >= row.length) {
            int[] grown = new int[Math.max(nodeCount, subject.id + 1)];
            if (row != null) {
                System.arraycopy(row, 0, grown, 0, row.length);
            }
            rows[observer.id] = row = grown;
        }
        int inc = (int) incarnation;
        int old = row[subject.id];
        if (old != 0 && Integer.compareUnsigned(inc, old) < 0) {
            row[subject.id] = inc;
            return "incarnation of " + subject.name + " went down from " + Integer.toUnsignedString(old) + " to "
                    + Integer.toUnsignedString(inc);
        }
        row[subject.id] = inc;
        return null;
    }

    /** The observer restarted: forget what it saw. */
    void resetObserver(SimNode observer) {
        if (observer.id < rows.length) {
            rows[observer.id] = null;
        }
    }

    /** The subject restarted: its incarnations start over. */
    void resetSubject(SimNode subject) {
        for (int[] row : rows) {
            if (row != null && subject.id < row.length) {
                row[subject.id] = 0;
            }
        }
    }
}
