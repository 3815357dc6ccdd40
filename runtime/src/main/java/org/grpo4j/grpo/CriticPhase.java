package org.grpo4j.grpo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.grpo.critic.Critic;
import org.grpo4j.grpo.critic.CriticSettings;
import org.grpo4j.grpo.critic.Gae;
import org.grpo4j.grpo.critic.ValueLoss;
import org.grpo4j.grpo.critic.ValueTargets;
import org.grpo4j.model.TokenBatch;

/**
 * PPO's value model in the GRPO step ({@code adv_estimator = gae}): after scoring, {@link #attach} gives every
 * completion token the critic's value, and GAE its return and (batch-whitened) advantage, which the policy loss then
 * uses per token; after each policy step, {@link #step} moves the critic towards the returns with the clipped value
 * loss on the same window of rollouts. The arithmetic is {@code grpo/critic} ({@link Gae}, {@link ValueLoss}); this
 * class moves rollouts through it and reports verl's {@code critic/…} metrics.
 *
 * <p>With {@code use_kl_in_reward} the token rewards carry verl's KL penalty ({@link RewardKlPenalty}) before GAE.
 *
 * <p>A completion without a reward (every reward function NaN) has no return: its advantages are 0 and it stays out
 * of the whitening, the value loss and the metrics. Under data parallelism each rank values its own completions and
 * the whitening statistics and metrics are the whole batch's (summed over ranks).
 */
final class CriticPhase {
    private final Critic critic;
    private final GrpoConfig config;
    private final CriticSettings settings;
    private final Communicator comm;

    CriticPhase(Critic critic, GrpoConfig config, Communicator comm) {
        this.critic = critic;
        this.config = config;
        this.settings = config.critic();
        this.comm = comm;
    }

    /**
     * The rollouts with their {@link ValueTargets}, from this rank's token rewards ({@link Rollouts.TokenRewards}: the
     * outcome reward on the last token, with {@code use_kl_in_reward} less β·KL on every token); adds the batch's
     * value, return and advantage metrics to {@code metrics}.
     */
    List<Rollout> attach(List<Rollout> rollouts, Rollouts.TokenRewards tr, Map<String, Double> metrics) {
        int B = rollouts.size();
        int[] start = tr.start();
        boolean[] valid = tr.valid();
        int n = start[B];
        double[] values = new double[n];
        int bs = config.batch().perDeviceTrainBatchSize();
        for (int i = 0; i < B; i += bs) {
            List<Rollout> mb = rollouts.subList(i, Math.min(B, i + bs));
            float[] v = critic.values(Rollout.batchOf(mb));
            for (int k = 0, t = 0; k < mb.size(); k++) for (int j = start[i + k]; j < start[i + k + 1]; j++) values[j] = v[t++];
        }
        double[] adv = new double[n], returns = new double[n];
        Gae.advantagesAndReturns(start, tr.rewards(), values, settings.gamma(), settings.lam(), adv, returns);
        Gae.whitenOverRanks(start, valid, adv, comm);
        metrics.putAll(metrics(start, valid, values, returns, adv));
        List<Rollout> out = new ArrayList<>(B);
        for (int b = 0; b < B; b++) {
            int a = start[b], e = start[b + 1];
            ValueTargets t = ValueTargets.of(values, returns, adv, a, e);
            out.add(rollouts.get(b).withValues(t, adv, a, e));
        }
        return out;
    }

    /** One critic step on the window the policy just learnt from: the clipped value loss per micro-batch, then AdamW. */
    Map<String, Double> step(List<Rollout> window) {
        critic.zeroGrad();
        int bs = config.batch().perDeviceTrainBatchSize();
        double scale = settings.vfCoef() / config.batch().gradientAccumulationSteps(), loss = 0, clip = 0;
        int micro = 0;
        for (int m0 = 0; m0 < window.size(); m0 += bs) {
            List<Rollout> mb = window.subList(m0, Math.min(window.size(), m0 + bs));
            TokenBatch batch = Rollout.batchOf(mb);
            float[] v = critic.values(batch);
            int n = batch.targets();
            double[] vd = new double[n], old = new double[n], ret = new double[n], mask = new double[n], grad = new double[n];
            for (int k = 0; k < mb.size(); k++) {
                Rollout r = mb.get(k);
                int a = batch.targetStart()[k];
                float weight = Double.isNaN(r.reward()) ? 0f : r.mask();
                for (int i = a; i < batch.targetStart()[k + 1]; i++) {
                    vd[i] = v[i];
                    old[i] = r.values().values()[i - a];
                    ret[i] = r.values().returns()[i - a];
                    mask[i] = weight;
                }
            }
            ValueLoss.Result res = ValueLoss.compute(vd, old, ret, mask, 0, n, settings.cliprangeValue(), scale, grad);
            float[] g = new float[n];
            for (int i = 0; i < n; i++) g[i] = (float) grad[i];
            critic.backward(g);
            loss += res.loss();
            clip += res.clipFraction();
            micro++;
        }
        double norm = critic.step(settings.criticLearningRate(), config.training().maxGradNorm(), comm);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("critic/vf_loss", loss / micro);
        m.put("critic/vf_clipfrac", clip / micro);
        m.put("critic/grad_norm", norm);
        m.put("critic/lr", settings.criticLearningRate());
        return Metrics.meanOverRanks(m, comm);
    }

    /** Training is over: the critic's activation block can go. */
    void releaseActivations() {
        critic.model().releaseActivations();
    }

    void save(Path dir) throws IOException {
        critic.save(dir);
    }

    void load(Path dir) throws IOException {
        critic.load(dir);
    }

    /**
     * verl's {@code compute_data_metrics} for a critic, over every valid completion token of the whole batch:
     * returns/values/advantages mean, max, min, and {@code vf_explained_var = 1 − Var(R − V)/(Var(R) + 1e-5)}
     * (torch.var, n − 1).
     */
    private Map<String, Double> metrics(int[] start, boolean[] valid, double[] values, double[] returns, double[] adv) {
        // sums: n, ΣR, ΣV, ΣA, Σ(R − V); extremes as maxima of x and −x
        double[] sum = new double[5], ext = new double[6];
        Arrays.fill(ext, Double.NEGATIVE_INFINITY);
        for (int b = 0; b + 1 < start.length; b++) {
            if (!valid[b]) continue;
            for (int i = start[b]; i < start[b + 1]; i++) {
                sum[0]++;
                sum[1] += returns[i];
                sum[2] += values[i];
                sum[3] += adv[i];
                sum[4] += returns[i] - values[i];
                extremes(ext, 0, returns[i]);
                extremes(ext, 2, values[i]);
                extremes(ext, 4, adv[i]);
            }
        }
        comm.sumInPlace(sum);
        comm.maxInPlace(ext);
        double n = sum[0], muR = sum[1] / Math.max(1, n), muD = sum[4] / Math.max(1, n);
        double[] dev = new double[2];
        for (int b = 0; b + 1 < start.length; b++) {
            if (!valid[b]) continue;
            for (int i = start[b]; i < start[b + 1]; i++) {
                dev[0] += (returns[i] - muR) * (returns[i] - muR);
                double d = returns[i] - values[i] - muD;
                dev[1] += d * d;
            }
        }
        comm.sumInPlace(dev);
        Map<String, Double> m = new LinkedHashMap<>();
        boolean any = n > 0;
        double varR = n > 1 ? dev[0] / (n - 1) : Double.NaN, varD = n > 1 ? dev[1] / (n - 1) : Double.NaN;
        m.put("critic/vf_explained_var", 1.0 - varD / (varR + 1e-5));
        String[] names = {"returns", "values", "advantages"};
        for (int k = 0; k < 3; k++) {
            m.put("critic/" + names[k] + "/mean", any ? sum[k + 1] / n : Double.NaN);
            m.put("critic/" + names[k] + "/max", any ? ext[2 * k] : Double.NaN);
            m.put("critic/" + names[k] + "/min", any ? -ext[2 * k + 1] : Double.NaN);
        }
        return m;
    }

    private static void extremes(double[] ext, int at, double x) {
        ext[at] = Math.max(ext[at], x);
        ext[at + 1] = Math.max(ext[at + 1], -x);
    }
}
