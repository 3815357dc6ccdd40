package org.grpo4j.backend.cpu;

/** Log-softmax of logits rows with a target gather and the entropy (forward), and its backward in place. */
final class LogSoftmax {
    private LogSoftmax() {}

    static void gather(float[] logp, int lo, float[] entropy, int eo, float[] logits, int xo, int[] targets, int to,
                       int rows, int vocab, float temperature) {
        float inv = 1f / temperature;
        Parallel.forRange(rows, 4, (from, end) -> {
            for (int r = from; r < end; r++) {
                int x = xo + r * vocab;
                float max = VectorMath.max(logits, x, vocab) * inv;
                double sum = 0, weighted = 0;
                for (int j = 0; j < vocab; j++) {
                    float z = logits[x + j] * inv - max;
                    double e = Math.exp(z);
                    sum += e;
                    weighted += e * z;
                }
                double logZ = Math.log(sum);
                int target = targets[to + r];
                if (target < 0 || target >= vocab)
                    throw new IllegalArgumentException("target token " + target + " outside the vocabulary of " + vocab);
                logp[lo + r] = (float) (logits[x + target] * inv - max - logZ);
                // H = log Z − E[z] (z shifted by max on both sides)
                if (entropy != null) entropy[eo + r] = (float) (logZ - weighted / sum);
            }
        });
    }

    static void backward(float[] logits, int xo, float[] dLogp, int dlo, int[] targets, int to, int rows, int vocab, float temperature) {
        float inv = 1f / temperature;
        Parallel.forRange(rows, 4, (from, end) -> {
            for (int r = from; r < end; r++) {
                int x = xo + r * vocab;
                float max = VectorMath.max(logits, x, vocab) * inv;
                double sum = 0;
                for (int j = 0; j < vocab; j++) sum += Math.exp(logits[x + j] * inv - max);
                float g = dLogp[dlo + r] * inv, norm = (float) (1.0 / sum);
                for (int j = 0; j < vocab; j++)
                    logits[x + j] = -g * (float) Math.exp(logits[x + j] * inv - max) * norm;
                logits[x + targets[to + r]] += g;
            }
        });
    }
}
