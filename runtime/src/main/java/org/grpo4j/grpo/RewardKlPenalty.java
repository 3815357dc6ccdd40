package org.grpo4j.grpo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.distributed.Communicator;

/**
 * The KL penalty folded into the reward ({@code use_kl_in_reward}, verl's {@code apply_kl_penalty}) for every
 * {@code adv_estimator}: {@code r_t −= β·KL_t} on every completion token, KL_t = {@code kl_penalty}(sampling policy's
 * log-prob, reference's), before the estimator turns the token rewards into advantages; then β moves
 * ({@link KlController}) by the whole batch's mean over sequences of their mean token KL. Metrics
 * {@code actor/reward_kl_penalty} (that mean) and {@code actor/reward_kl_penalty_coeff} (the β used). β is part of a
 * checkpoint ({@code kl_ctrl.json}), so a resumed run continues with the β it had.
 */
final class RewardKlPenalty {
    private final KlController ctrl;
    private final GrpoConfig config;
    private final Communicator comm;

    RewardKlPenalty(GrpoConfig config, Communicator comm) {
        this.config = config;
        this.comm = comm;
        this.ctrl = new KlController(config.klReward());
    }

    /** Subtracts β·KL_t from {@code tokenRewards} (this rank's completions, packed by {@code start}); returns the metrics. */
    Map<String, Double> apply(List<Rollout> rollouts, int[] start, double[] tokenRewards) {
        double beta = ctrl.value();
        int n = start[rollouts.size()];
        double[] old = new double[n], ref = new double[n];
        for (int b = 0; b < rollouts.size(); b++) {
            Rollout r = rollouts.get(b);
            if (r.oldLogp() == null || r.refLogp() == null) throw new IllegalStateException("use_kl_in_reward needs the old and reference log-probs");
            for (int i = start[b]; i < start[b + 1]; i++) {
                old[i] = r.oldLogp()[i - start[b]];
                ref[i] = r.refLogp()[i - start[b]];
            }
        }
        double[] sum = {KlController.penalise(start, old, ref, config.klReward().klPenalty(), beta, tokenRewards), rollouts.size()};
        comm.sumInPlace(sum);
        double current = sum[0] / Math.max(1, sum[1]);
        ctrl.update(current, (int) sum[1]);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("actor/reward_kl_penalty", current);
        m.put("actor/reward_kl_penalty_coeff", beta);
        return m;
    }

    void save(Path checkpoint) throws IOException {
        ctrl.save(checkpoint);
    }

    void load(Path checkpoint) throws IOException {
        ctrl.load(checkpoint);
    }
}
