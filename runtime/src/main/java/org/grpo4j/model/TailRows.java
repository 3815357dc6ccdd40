package org.grpo4j.model;

/**
 * The rows a training forward's last layer runs past attention on ({@code Transformer.TRAIN_TAIL}): the batch's target
 * rows, each once. They are the target rows themselves, in order, unless a row is the target row of several sequences:
 * a shared prompt's last row ({@link SharedPrompts}) predicts the first completion token of every sequence that shares
 * it. Then that row is kept once (where it first occurs), {@code ofTarget[t]} says which tail row target {@code t}
 * reads, and the head gathers its rows as it gathers the target rows of a pass without a tail. Keeping each row once
 * makes the scatter of the tail's gradients back onto all rows one add per row.
 *
 * @param rows     the packed rows of the tail, distinct, in order of first occurrence among the targets
 * @param ofTarget each target's index into {@code rows}, or null where {@code rows} are the target rows in order
 */
record TailRows(int[] rows, int[] ofTarget) {

    static TailRows of(int[] targetRows, int packedRows) {
        int[] at = new int[packedRows];
        java.util.Arrays.fill(at, -1);
        int[] rows = new int[targetRows.length], ofTarget = new int[targetRows.length];
        int n = 0;
        for (int t = 0; t < targetRows.length; t++) {
            int r = targetRows[t];
            if (at[r] < 0) {
                at[r] = n;
                rows[n++] = r;
            }
            ofTarget[t] = at[r];
        }
        if (n == targetRows.length) return new TailRows(targetRows, null);
        return new TailRows(java.util.Arrays.copyOf(rows, n), ofTarget);
    }

    int count() {
        return rows.length;
    }

    /** The final norm's output holds one row per target, in target order: the head reads it in place. */
    boolean inOrder() {
        return ofTarget == null;
    }
}
