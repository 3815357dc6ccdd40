package org.grpo4j.model;

import java.io.IOException;
import org.grpo4j.safetensors.SafetensorsFile;
import org.grpo4j.safetensors.SafetensorsModel;
import org.grpo4j.safetensors.TensorInfo;

/**
 * A linear head on the decoder's final-norm hidden states, Hugging Face's {@code *ForSequenceClassification}
 * {@code score} layer ({@code num_labels × hidden}, no bias): a reward model's reward, or a PPO critic's value,
 * is this head applied at one position of a sequence. For a reward model that position is the last token that
 * is not padding ({@link #lastNonPad}), as HF's classifier picks it.
 *
 * <pre>{@code
 * ScoreHead head = ScoreHead.load(weights, config.hiddenSize());
 * float reward = head.apply(model.finalNormOutput(), lastRow)[0];
 * }</pre>
 */
public final class ScoreHead {
    /** The tensor's name in HF checkpoints. */
    public static final String TENSOR = "score.weight";

    private final float[] weight;
    private final int labels, hidden;

    public ScoreHead(float[] weight, int labels, int hidden) {
        if (weight.length != (long) labels * hidden)
            throw new IllegalArgumentException("score head: " + weight.length + " weights for " + labels + " × " + hidden);
        this.weight = weight.clone();
        this.labels = labels;
        this.hidden = hidden;
    }

    /** Reads {@code score.weight}, which must be {@code [labels, hidden]}. */
    public static ScoreHead load(SafetensorsModel weights, int hidden) throws IOException {
        SafetensorsFile f = weights.fileOf(TENSOR);
        if (f == null) throw new IOException("the weights lack tensor '" + TENSOR + "' (a sequence-classification model's head)");
        TensorInfo info = f.info(TENSOR);
        long[] s = info.shape();
        if (s.length != 2 || s[1] != hidden || s[0] < 1)
            throw new IOException(f.path() + ": tensor '" + TENSOR + "' has shape " + info.shapeString() + ", expected [num_labels, " + hidden + "]");
        float[] w = new float[Math.toIntExact(s[0] * s[1])];
        f.readFloats(TENSOR, w, 0);
        return new ScoreHead(w, (int) s[0], hidden);
    }

    public int labels() {
        return labels;
    }

    /** The head's outputs for row {@code row} of a {@code rows × hidden} block of hidden states. */
    public float[] apply(float[] hiddenStates, int row) {
        float[] out = new float[labels];
        applyInto(hiddenStates, row, out, 0);
        return out;
    }

    /** The same into {@code out[at .. at + labels)}, allocating nothing (a critic applies it to every completion token). */
    public void applyInto(float[] hiddenStates, int row, float[] out, int at) {
        int base = row * hidden;
        for (int k = 0; k < labels; k++) {
            double acc = 0;
            for (int i = 0; i < hidden; i++) acc += (double) weight[k * hidden + i] * hiddenStates[base + i];
            out[at + k] = (float) acc;
        }
    }

    /**
     * The head's backward for row {@code row}, given {@code dOut[at .. at + labels)} = d loss / d output: adds
     * {@code dOut ⊗ h} to {@code dWeight} ({@code labels × hidden}) and {@code dOut · W} to row {@code row} of
     * {@code dHidden}.
     */
    public void backward(float[] hiddenStates, int row, float[] dOut, int at, float[] dWeight, float[] dHidden) {
        int base = row * hidden;
        for (int k = 0; k < labels; k++) {
            float g = dOut[at + k];
            if (g == 0f) continue;
            for (int i = 0; i < hidden; i++) {
                dWeight[k * hidden + i] += g * hiddenStates[base + i];
                dHidden[base + i] += g * weight[k * hidden + i];
            }
        }
    }

    /** HF's choice of position: the rightmost token that is not {@code padId} (0 if all are; any token if padId < 0). */
    public static int lastNonPad(int[] ids, int padId) {
        for (int i = ids.length - 1; i >= 0; i--) if (ids[i] != padId) return i;
        return 0;
    }
}
