package org.grpo4j.grpo;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grpo4j.distributed.Communicator;
import org.grpo4j.model.TokenBatch;
import org.grpo4j.model.Transformer;
import org.grpo4j.optim.AdamW;
import org.grpo4j.train.DataParallel;

/**
 * The second phase of a GRPO step (TRL's {@code _compute_loss} and {@code training_step}): one optimiser step
 * over a window of {@code gradient_accumulation_steps} micro-batches — forward, {@link GrpoLoss} and backward per
 * micro-batch, gradients accumulating in the policy — then clipping and AdamW.
 *
 * <p>Data-parallel ranks average the accumulated gradients before the norm is taken; LoRA's trainable subset is the optimiser's business (it
 * steps and clips only the parameters it was given), so this class does not change for it.
 */
final class PolicyUpdate {
    /** What one optimiser step did: the summed loss, the gradient norm before clipping, loss metrics averaged over micro-batches, tokens seen. */
    record Step(double loss, double gradNorm, Map<String, Double> metrics, long tokens) {}

    private final Transformer policy;
    private final AdamW optimizer;
    private final GrpoConfig config;
    private final Communicator comm;
    private final GrpoLoss loss = new GrpoLoss();

    PolicyUpdate(Transformer policy, AdamW optimizer, GrpoConfig config, Communicator comm) {
        this.policy = policy;
        this.optimizer = optimizer;
        this.config = config;
        this.comm = comm;
    }

    /** One optimiser step at learning rate {@code lr} over {@code window}, cut into micro-batches. */
    Step step(List<Rollout> window, LossScale scale, double lr) {
        int bs = config.batch().perDeviceTrainBatchSize();
        policy.zeroGrad();
        Map<String, Double> sums = new LinkedHashMap<>();
        double total = 0;
        long tokens = 0;
        int micro = 0;
        for (int m0 = 0; m0 < window.size(); m0 += bs) {
            List<Rollout> mb = window.subList(m0, Math.min(window.size(), m0 + bs));
            LossResult r = microBatch(mb, scale);
            total += r.loss();
            for (var e : r.metrics().entrySet()) if (e.getValue() != null && !e.getValue().isNaN()) sums.merge(e.getKey(), e.getValue(), Double::sum);
            for (Rollout ro : mb) tokens += ro.prompt().ids().length + ro.completion().length();
            micro++;
        }
        // data parallelism: every rank ends with the mean of all ranks' gradients (DDP's average)
        DataParallel.combineGradients(policy.trainable(), comm, 1f / comm.size());
        double norm = optimizer.clipAndStep(lr, config.training().maxGradNorm());
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (var e : sums.entrySet()) metrics.put(e.getKey(), e.getValue() / micro);
        double[] counts = {total, tokens};
        comm.sumInPlace(counts);
        return new Step(counts[0] / comm.size(), norm, Metrics.meanOverRanks(metrics, comm), (long) counts[1]);
    }

    /** The prompt and completion tokens of {@code window} over all ranks (TRL's {@code num_tokens}), for a step without a policy update. */
    static long tokens(List<Rollout> window, Communicator comm) {
        double[] t = {0};
        for (Rollout ro : window) t[0] += ro.prompt().ids().length + ro.completion().length();
        comm.sumInPlace(t);
        return (long) t[0];
    }

    /** Forward, loss and backward of one micro-batch; gradients accumulate in the policy. */
    private LossResult microBatch(List<Rollout> mb, LossScale scale) {
        TokenBatch batch = Rollout.batchOf(mb);
        Transformer.Scores s = policy.forward(batch, (float) config.sampling().temperature());
        int n = batch.targets();
        float[] mask = new float[n], old = null, ref = null;
        double[] adv = new double[mb.size()], tokenAdv = mb.get(0).values() == null ? null : new double[n];
        boolean hasOld = mb.get(0).oldLogp() != null, hasRef = mb.get(0).refLogp() != null;
        if (hasOld) old = new float[n];
        if (hasRef) ref = new float[n];
        for (int k = 0; k < mb.size(); k++) {
            Rollout r = mb.get(k);
            int a = batch.targetStart()[k], b = batch.targetStart()[k + 1];
            Arrays.fill(mask, a, b, r.mask());
            adv[k] = r.advantage();
            if (hasOld) System.arraycopy(r.oldLogp(), 0, old, a, b - a);
            if (hasRef) System.arraycopy(r.refLogp(), 0, ref, a, b - a);
            if (tokenAdv != null) for (int i = a; i < b; i++) tokenAdv[i] = r.values().advantages()[i - a];
        }
        float[] grad = new float[n];
        // entropies always go in: the loss reports their masked mean (TRL's `entropy`) and filters on them when ρ < 1
        LossResult result = loss.compute(config.loss(), scale, batch.targetStart(), s.logp(), old, ref, mask, adv, tokenAdv, s.entropy(), grad, null);
        policy.backward(grad);
        return result;
    }
}
