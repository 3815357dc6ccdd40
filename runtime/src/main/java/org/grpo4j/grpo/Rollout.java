package org.grpo4j.grpo;

import org.grpo4j.generate.Completion;

/**
 * One completion in a generation batch with everything the update needs: the prompt it answers, its tokens, its
 * loss mask (0 for a truncated completion under {@code mask_truncated_completions}), its summed reward and
 * advantage, and — when the batch is reused — the log-probs of the policy that generated it and of the
 * reference model.
 */
record Rollout(Prompt prompt, Completion completion, float mask, double reward, double advantage, float[] oldLogp, float[] refLogp) {
    int[] sequence() {
        int[] p = prompt.ids(), c = completion.tokenIds();
        int[] s = new int[p.length + c.length];
        System.arraycopy(p, 0, s, 0, p.length);
        System.arraycopy(c, 0, s, p.length, c.length);
        return s;
    }

    Rollout withLogps(float[] old, float[] ref) {
        return new Rollout(prompt, completion, mask, reward, advantage, old, ref);
    }
}
