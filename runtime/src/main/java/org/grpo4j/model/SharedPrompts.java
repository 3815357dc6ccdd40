package org.grpo4j.model;

/**
 * Which rows of a {@link TokenBatch} stand for more than one sequence: a GRPO group's completions share their prompt, so
 * the prompt's rows are packed once (under the first sequence that has it) and the later sequences of the group pack
 * only their own rows. Every op but attention works row by row and runs on the packed rows; attention needs each
 * sequence's rows side by side: the CPU reads them in place ({@code backend.SharedPromptLayout}), other backends get
 * them gathered into the <em>full layout</em> (each sequence's prompt rows, then its own rows, sequence after
 * sequence) and back ({@code Transformer.attend}).
 *
 * @param fullRows    per row of the full layout, the packed row it reads ({@code sum(lengths)} entries)
 * @param ownerRows   per packed row, its row in the full layout under the sequence that packs it (its first copy)
 * @param copyStart   per later copy of a shared prompt: where the copy starts in the full layout
 * @param copyPrompt  per later copy: the packed row its prompt starts at
 * @param copyLength  per later copy: the prompt's rows
 * @param prompts     how many prompts are shared
 */
public record SharedPrompts(int[] fullRows, int[] ownerRows, int[] copyStart, int[] copyPrompt, int[] copyLength, int prompts) {

    /** Rows of the full layout (every sequence with its prompt: what the batch would pack without sharing). */
    public int fullRowCount() {
        return fullRows.length;
    }

    /** The later copies of shared prompts (sequences that pack only their own rows). */
    public int copies() {
        return copyStart.length;
    }
}
