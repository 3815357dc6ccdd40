package org.grpo4j.tokenizer;

import java.util.List;

/**
 * A {@code post_processor} of {@code tokenizer.json}: what {@code add_special_tokens=True} adds around the ids of
 * a single sequence (a BOS for Llama 2, nothing for the byte-level families).
 */
sealed interface PostProcessor {
    int[] process(int[] ids);

    /** The byte-level processor only trims offsets, which this tokenizer does not report. */
    record Identity() implements PostProcessor {
        @Override
        public int[] process(int[] ids) {
            return ids;
        }
    }

    /** {@code TemplateProcessing}'s {@code single} template: a list of fixed ids with one slot for the sequence. */
    record Template(int[] before, int[] after) implements PostProcessor {
        @Override
        public int[] process(int[] ids) {
            if (before.length == 0 && after.length == 0) return ids;
            int[] out = new int[before.length + ids.length + after.length];
            System.arraycopy(before, 0, out, 0, before.length);
            System.arraycopy(ids, 0, out, before.length, ids.length);
            System.arraycopy(after, 0, out, before.length + ids.length, after.length);
            return out;
        }
    }

    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        @Override
        public int[] process(int[] ids) {
            for (PostProcessor p : steps) ids = p.process(ids);
            return ids;
        }
    }
}
