package org.grpo4j.generate;

import java.util.List;

/**
 * How completions are sampled, under the names of TRL's {@code GRPOConfig} and Hugging Face's
 * {@code GenerationConfig}. The logits of each step are processed in Hugging Face's order: repetition penalty →
 * temperature → top-k → top-p → min-p, then one token is drawn from the softmax of what is left.
 *
 * <pre>{@code
 * SamplingParams p = SamplingParams.defaults().withNumGenerations(8).withTemperature(0.7).withTopP(0.95).withSeed(1);
 * }</pre>
 *
 * @param numGenerations      {@code num_generations}: completions per prompt (G)
 * @param temperature         {@code temperature}; 0 means greedy decoding
 * @param doSample            {@code do_sample}; false means greedy decoding whatever the temperature
 * @param topK                {@code top_k}; 0 disables it (keeps every token tied with the k-th largest logit, as HF)
 * @param topP                {@code top_p} in [0, 1]; 1 disables it
 * @param minP                {@code min_p} in [0, 1]; 0 disables it
 * @param repetitionPenalty   {@code repetition_penalty} (&gt; 0); 1 disables it
 * @param maxCompletionLength {@code max_completion_length}: new tokens at most
 * @param stopTokenIds        ids that end a completion ({@code eos_token_id}); null means the model config's EOS ids
 * @param stopStrings         {@code stop_strings}: a completion also ends once its decoded text contains one (needs a decoder)
 * @param ignoreEos           never stop at a stop token (benchmarks generate exactly {@code maxCompletionLength} tokens)
 * @param seed                {@code seed}: each sequence draws from its own stream derived from (seed, prompt, sample)
 */
public record SamplingParams(int numGenerations, double temperature, boolean doSample, int topK, double topP, double minP,
                             double repetitionPenalty, int maxCompletionLength, int[] stopTokenIds, List<String> stopStrings,
                             boolean ignoreEos, long seed) {

    public SamplingParams {
        check(numGenerations >= 1, "num_generations", numGenerations, "must be at least 1");
        check(temperature >= 0 && Double.isFinite(temperature), "temperature", temperature, "must be a finite number ≥ 0 (0 = greedy)");
        check(topK >= 0, "top_k", topK, "must be ≥ 0 (0 = disabled)");
        check(topP >= 0 && topP <= 1, "top_p", topP, "must be in [0, 1] (1 = disabled)");
        check(minP >= 0 && minP <= 1, "min_p", minP, "must be in [0, 1] (0 = disabled)");
        check(repetitionPenalty > 0 && Double.isFinite(repetitionPenalty), "repetition_penalty", repetitionPenalty, "must be a positive number (1 = disabled)");
        check(maxCompletionLength >= 1, "max_completion_length", maxCompletionLength, "must be at least 1");
        stopTokenIds = stopTokenIds == null ? null : stopTokenIds.clone();
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) check(!s.isEmpty(), "stop_strings", "\"\"", "must not contain an empty string");
    }

    private static void check(boolean ok, String name, Object value, String rule) {
        if (!ok) throw new IllegalArgumentException(name + " = " + value + " " + rule);
    }

    /** TRL's GRPOConfig defaults: G = 8, temperature 1, top_p 1, no top_k/min_p/penalty, 256 new tokens, seed 42. */
    public static SamplingParams defaults() {
        return new SamplingParams(8, 1.0, true, 0, 1.0, 0.0, 1.0, 256, null, List.of(), false, 42);
    }

    /** True when the next token is the argmax (temperature 0 or {@code do_sample = false}). */
    public boolean greedy() {
        return !doSample || temperature == 0;
    }

    public SamplingParams withNumGenerations(int v) {
        return new SamplingParams(v, temperature, doSample, topK, topP, minP, repetitionPenalty, maxCompletionLength, stopTokenIds, stopStrings, ignoreEos, seed);
    }

    public SamplingParams withTemperature(double v) {
        return new SamplingParams(numGenerations, v, doSample, topK, topP, minP, repetitionPenalty, maxCompletionLength, stopTokenIds, stopStrings, ignoreEos, seed);
    }

    public SamplingParams withDoSample(boolean v) {
        return new SamplingParams(numGenerations, temperature, v, topK, topP, minP, repetitionPenalty, maxCompletionLength, stopTokenIds, stopStrings, ignoreEos, seed);
    }

    public SamplingParams withTopK(int v) {
        return new SamplingParams(numGenerations, temperature, doSample, v, topP, minP, repetitionPenalty, maxCompletionLength, stopTokenIds, stopStrings, ignoreEos, seed);
    }

    public SamplingParams withTopP(double v) {
        return new SamplingParams(numGenerations, temperature, doSample, topK, v, minP, repetitionPenalty, maxCompletionLength, stopTokenIds, stopStrings, ignoreEos, seed);
    }

    public SamplingParams withMinP(double v) {
        return new SamplingParams(numGenerations, temperature, doSample, topK, topP, v, repetitionPenalty, maxCompletionLength, stopTokenIds, stopStrings, ignoreEos, seed);
    }

    public SamplingParams withRepetitionPenalty(double v) {
        return new SamplingParams(numGenerations, temperature, doSample, topK, topP, minP, v, maxCompletionLength, stopTokenIds, stopStrings, ignoreEos, seed);
    }

    public SamplingParams withMaxCompletionLength(int v) {
        return new SamplingParams(numGenerations, temperature, doSample, topK, topP, minP, repetitionPenalty, v, stopTokenIds, stopStrings, ignoreEos, seed);
    }

    public SamplingParams withStopTokenIds(int... v) {
        return new SamplingParams(numGenerations, temperature, doSample, topK, topP, minP, repetitionPenalty, maxCompletionLength, v, stopStrings, ignoreEos, seed);
    }

    public SamplingParams withStopStrings(List<String> v) {
        return new SamplingParams(numGenerations, temperature, doSample, topK, topP, minP, repetitionPenalty, maxCompletionLength, stopTokenIds, v, ignoreEos, seed);
    }

    public SamplingParams withIgnoreEos(boolean v) {
        return new SamplingParams(numGenerations, temperature, doSample, topK, topP, minP, repetitionPenalty, maxCompletionLength, stopTokenIds, stopStrings, v, seed);
    }

    public SamplingParams withSeed(long v) {
        return new SamplingParams(numGenerations, temperature, doSample, topK, topP, minP, repetitionPenalty, maxCompletionLength, stopTokenIds, stopStrings, ignoreEos, v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SamplingParams p && numGenerations == p.numGenerations && temperature == p.temperature && doSample == p.doSample
                && topK == p.topK && topP == p.topP && minP == p.minP && repetitionPenalty == p.repetitionPenalty
                && maxCompletionLength == p.maxCompletionLength && java.util.Arrays.equals(stopTokenIds, p.stopTokenIds)
                && stopStrings.equals(p.stopStrings) && ignoreEos == p.ignoreEos && seed == p.seed;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(numGenerations, temperature, doSample, topK, topP, minP, repetitionPenalty, maxCompletionLength,
                java.util.Arrays.hashCode(stopTokenIds), stopStrings, ignoreEos, seed);
    }

    @Override
    public String toString() {
        return "SamplingParams[num_generations=" + numGenerations + ", temperature=" + temperature + ", do_sample=" + doSample
                + ", top_k=" + topK + ", top_p=" + topP + ", min_p=" + minP + ", repetition_penalty=" + repetitionPenalty
                + ", max_completion_length=" + maxCompletionLength + ", stop_token_ids=" + (stopTokenIds == null ? "model EOS" : java.util.Arrays.toString(stopTokenIds))
                + ", stop_strings=" + stopStrings + ", ignore_eos=" + ignoreEos + ", seed=" + seed + "]";
    }
}
