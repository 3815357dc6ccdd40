package org.grpo4j.model;

/**
 * The cos/sin tables of rotary position embedding, {@code [positions, headDim/2]}, from the config's
 * {@code rope_theta} (and Llama 3's frequency scaling when configured) — never constants in kernels, so every
 * backend rotates by the model's own angles. As in Hugging Face's implementation the inverse frequencies and
 * the angles {@code position · inv_freq} are fp32 values, so long positions get the same angles the model was
 * trained with.
 */
public final class RopeTables {
    private RopeTables() {}

    /** {@code inv_freq[i] = theta^(−2i/hd)}, adjusted by {@code rope_scaling} when present. */
    public static double[] inverseFrequencies(ModelConfig c) {
        int half = c.headDim() / 2;
        double[] f = new double[half];
        for (int i = 0; i < half; i++) f[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headDim());
        ModelConfig.RopeScaling s = c.ropeScaling();
        if (s != null) {
            double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
            double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
            for (int i = 0; i < half; i++) {
                double wavelen = 2 * Math.PI / f[i];
                if (wavelen > lowWavelen) f[i] /= s.factor();
                else if (wavelen >= highWavelen) {
                    double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                    f[i] = (1 - smooth) * f[i] / s.factor() + smooth * f[i];
                }
            }
        }
        return f;
    }

    /** Fills {@code cos} and {@code sin} ({@code positions · hd/2} each). */
    public static void build(ModelConfig c, int positions, float[] cos, float[] sin) {
        double[] f = inverseFrequencies(c);
        int half = f.length;
        float[] f32 = new float[half];
        for (int i = 0; i < half; i++) f32[i] = (float) f[i];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < half; i++) {
                float a = (float) p * f32[i];
                cos[p * half + i] = (float) Math.cos(a);
                sin[p * half + i] = (float) Math.sin(a);
            }
    }
}
