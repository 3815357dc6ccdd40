package org.grpo4j.grpo.advantage;

import java.util.Arrays;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.grpo.Advantages;
import org.grpo4j.grpo.ScaleRewards;
import org.grpo4j.grpo.critic.Gae;

/**
 * verl's {@code compute_advantage} on token-level rewards, for the estimators without a critic: what they do when the
 * rewards are per token ({@code use_kl_in_reward}: the sequence reward on the last token less β·KL_t on every token;
 * or REINFORCE++'s γ &lt; 1). Completion b of this rank owns the tokens {@code [start[b], start[b+1])}:
 *
 * <pre>
 * grpo, rloo             s_b = Σ_t r_t (verl's token_level_rewards.sum(-1)), then the group baseline on s
 *                        (grpo: TRL's group normalisation with scale_rewards; rloo: leave-one-out) — one advantage per completion
 * reinforce_plus_plus    R_t = r_t + γ·R_{t+1} within the completion, whitened over every valid token of the batch
 * remax                  A_t = Σ_{k≥t} r_k − b_g (b_g: the greedy completion's score, without a penalty)
 * </pre>
 * A completion without a reward ({@code valid[b]} false) gets A = 0 and stays out of every statistic. Under data
 * parallelism the group baselines and the whitening see the whole batch ({@code comm}); one process passes
 * {@code Communicator.single()}.
 */
public final class TokenLevel {
    /**
     * @param sequence one advantage per completion of this rank (grpo, rloo) or null
     * @param tokens   one advantage per token of this rank (reinforce_plus_plus, remax) or null
     * @param returns  per token (reinforce_plus_plus's returns, remax's reward-to-go) or null
     * @param sums     every rank's completions' summed token rewards, rank-major (NaN without a reward)
     */
    public record Result(double[] sequence, double[] tokens, double[] returns, double[] sums) {}

    private TokenLevel() {}

    /** @param groupBaselines remax's greedy rewards, one per group of this rank (NaN: none); null for the others */
    public static Result advantages(AdvantageEstimator e, int[] start, double[] tokenRewards, boolean[] valid, int groupSize, ScaleRewards scale,
                                    double gamma, double[] groupBaselines, Communicator comm) {
        int B = valid.length, n = start[B], first = comm.rank() * B;
        double[] sums = gatherRanks(sequenceSums(start, tokenRewards, valid), comm);
        switch (e) {
            case GRPO, RLOO -> {
                double[] all = e == AdvantageEstimator.GRPO ? Advantages.compute(sums, groupSize, scale).advantages() : Rloo.advantages(sums, groupSize);
                return new Result(Arrays.copyOfRange(all, first, first + B), null, null, sums);
            }
            case REINFORCE_PLUS_PLUS -> {
                double[] returns = new double[n];
                ReinforcePlusPlus.returns(start, tokenRewards, gamma, returns);
                double[] adv = returns.clone();
                Gae.whitenOverRanks(start, valid, adv, comm);
                return new Result(null, adv, returns, sums);
            }
            case REMAX -> {
                double[] perCompletion = new double[B], adv = new double[n], returns = new double[n];
                for (int b = 0; b < B; b++) perCompletion[b] = groupBaselines[b / groupSize];
                Remax.tokenAdvantages(start, tokenRewards, valid, perCompletion, adv);
                Remax.tokenAdvantages(start, tokenRewards, valid, new double[B], returns);
                return new Result(null, adv, returns, sums);
            }
            default -> throw new IllegalStateException("gae advantages come from the critic (org.grpo4j.grpo.critic.Gae)");
        }
    }

    /** Each completion's summed token rewards (verl's {@code token_level_rewards.sum(-1)}); NaN without a reward. */
    static double[] sequenceSums(int[] start, double[] tokenRewards, boolean[] valid) {
        double[] s = new double[valid.length];
        for (int b = 0; b < valid.length; b++) {
            if (!valid[b]) {
                s[b] = Double.NaN;
                continue;
            }
            for (int i = start[b]; i < start[b + 1]; i++) s[b] += tokenRewards[i];
        }
        return s;
    }

    /** Every rank's {@code mine} side by side in rank order (each writes its slice into zeros; NaN survives the sum). */
    public static double[] gatherRanks(double[] mine, Communicator comm) {
        double[] buf = new double[mine.length * comm.size()];
        System.arraycopy(mine, 0, buf, comm.rank() * mine.length, mine.length);
        comm.sumInPlace(buf);
        return buf;
    }
}
