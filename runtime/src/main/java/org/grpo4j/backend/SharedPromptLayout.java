package org.grpo4j.backend;

import java.util.ArrayList;
import java.util.List;

/**
 * Where attention finds each sequence of a batch whose prompts are packed once ({@code model.SharedPrompts}), for a
 * backend that reads that packing in place ({@link Backend#sharedAttentionAlignment}): sequence {@code b}'s token
 * {@code t} sits in packed row {@code base + t} for {@code t ≥ prompt}, in row {@code promptRow + t} before (another
 * sequence's rows). Its queries start at {@code firstQuery} (the prompt length rounded down to the backend's query
 * block: a sequence that packs its prompt has 0), so its saved probabilities are {@code heads × (T − firstQuery) × T}
 * floats from {@code probStart}. A <em>unit</em> is a sequence that packs its prompt with the later sequences that read
 * it, in batch order: the backward runs a unit on one thread, so the prompt rows' key/value gradients sum without races.
 *
 * @param batch     number of sequences
 * @param sequences per sequence {@link #FIELDS} ints: base, prompt, promptRow, T, firstQuery, probStart
 * @param units     {@code unitCount + 1} starts into the sequence order that follows them (batch entries)
 * @param unitCount number of units
 * @param meanLength the sequences' mean length (how the backend splits the work)
 */
public record SharedPromptLayout(int batch, IntTensor sequences, IntTensor units, int unitCount, int meanLength) {

    /** Ints per sequence in {@link #sequences}. */
    public static final int FIELDS = 6;

    /**
     * The layout of sequences of {@code lengths} whose token 0 is packed at {@code start[b]} (for a sequence reading another's
     * prompt: where token 0 would be, its own rows being {@code start[b] + t} for {@code t ≥ prompt[b]}), reading
     * {@code prompt[b]} prompt rows from {@code promptRow[b]} (0 and unused for one that packs its prompt).
     */
    public static SharedPromptLayout of(Backend backend, int[] lengths, int[] start, int[] prompt, int[] promptRow, int heads, int alignment) {
        int B = lengths.length;
        int[] seq = new int[B * FIELDS];
        long probs = 0, rows = 0;
        List<List<Integer>> units = new ArrayList<>();
        int[] unitOf = new int[B];
        for (int b = 0; b < B; b++) {
            int T = lengths[b], q0 = prompt[b] / alignment * alignment;
            if (probs > Integer.MAX_VALUE) throw new IllegalArgumentException("attention probabilities of this batch exceed 2^31 floats; use smaller micro-batches");
            int[] f = {start[b], prompt[b], promptRow[b], T, q0, (int) probs};
            System.arraycopy(f, 0, seq, b * FIELDS, FIELDS);
            probs += (long) heads * (T - q0) * T;
            rows += T;
            if (prompt[b] == 0) {
                unitOf[b] = units.size();
                units.add(new ArrayList<>(List.of(b)));
            } else {
                int owner = -1;
                for (int o = 0; o < b && owner < 0; o++) if (prompt[o] == 0 && start[o] == promptRow[b]) owner = o;
                if (owner < 0) throw new IllegalArgumentException("sequence " + b + " reads prompt rows no earlier sequence packs");
                units.get(unitOf[owner]).add(b);
            }
        }
        int[] order = new int[units.size() + 1 + B];
        int k = units.size() + 1;
        for (int u = 0; u < units.size(); u++) {
            order[u] = k - units.size() - 1;
            for (int b : units.get(u)) order[k++] = b;
        }
        order[units.size()] = B;
        return new SharedPromptLayout(B, backend.ints(seq), backend.ints(order), units.size(), (int) (rows / Math.max(1, B)));
    }
}
