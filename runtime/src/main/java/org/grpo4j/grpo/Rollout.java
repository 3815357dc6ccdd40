package org.grpo4j.grpo;

import java.util.ArrayList;
import java.util.List;
import org.grpo4j.generate.Completion;
import org.grpo4j.grpo.critic.ValueTargets;
import org.grpo4j.model.TokenBatch;

/**
 * One completion in a generation batch with everything the update needs: the prompt it answers, its tokens, its
 * loss mask (0 for a truncated completion under {@code mask_truncated_completions}), its summed reward and
 * advantage, and — when the batch is reused — the log-probs of the policy that generated it and of the
 * reference model; per-token advantages where the estimator gives them ({@code values}: under {@code adv_estimator = gae}
 * the critic's values, returns and advantages; under reinforce_plus_plus and remax with the KL penalty in the reward the
 * returns and advantages; null otherwise), which replace the sequence's one in the policy loss.
 */
record Rollout(Prompt prompt, Completion completion, float mask, double reward, double advantage, float[] oldLogp, float[] refLogp,
               ValueTargets values) {
    int[] sequence() {
        int[] p = prompt.ids(), c = completion.tokenIds();
        int[] s = new int[p.length + c.length];
        System.arraycopy(p, 0, s, 0, p.length);
        System.arraycopy(c, 0, s, p.length, c.length);
        return s;
    }

    Rollout withLogps(float[] old, float[] ref) {
        return new Rollout(prompt, completion, mask, reward, advantage, old, ref, values);
    }

    /**
     * With per-token advantages (the critic's values, returns and advantages; without a critic {@code values} is null);
     * {@code advantage} becomes their mean, from the double-precision {@code packedAdvantages[from, to)} (what the logs show per completion).
     */
    Rollout withValues(ValueTargets v, double[] packedAdvantages, int from, int to) {
        double m = 0;
        for (int i = from; i < to; i++) m += packedAdvantages[i];
        return new Rollout(prompt, completion, mask, reward, to > from ? m / (to - from) : 0.0, oldLogp, refLogp, v);
    }

    /** With another sequence advantage (an estimator's, computed after the log-prob passes). */
    Rollout withAdvantage(double a) {
        return new Rollout(prompt, completion, mask, reward, a, oldLogp, refLogp, values);
    }

    /** The rollouts' prompt + completion sequences as one packed batch; the completions are the targets. */
    static TokenBatch batchOf(List<Rollout> mb) {
        List<int[]> seqs = new ArrayList<>(mb.size());
        int[] first = new int[mb.size()];
        for (int k = 0; k < mb.size(); k++) {
            seqs.add(mb.get(k).sequence());
            first[k] = mb.get(k).prompt().ids().length;
        }
        return TokenBatch.of(seqs, first);
    }
}
