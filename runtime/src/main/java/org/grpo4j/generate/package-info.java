/**
 * Generation for GRPO: {@link org.grpo4j.generate.Generator} samples {@code num_generations} completions of every
 * prompt in one batched loop with a KV cache (each prompt's prefill computed once and shared by its samples,
 * finished sequences leaving the batch), {@link org.grpo4j.generate.SamplingParams} holds TRL's sampling settings,
 * {@link org.grpo4j.generate.Sampler} implements Hugging Face's logits processors, and each
 * {@link org.grpo4j.generate.Completion} carries its ids, text, finish reason and per-token log-probs.
 *
 * <pre>{@code
 * Transformer policy = Transformer.load(Path.of("models/Qwen2.5-0.5B-Instruct"), new CpuBackend());
 * Generator generator = new Generator(policy, tokenizer::decode);
 * SamplingParams params = SamplingParams.defaults().withNumGenerations(8).withTemperature(0.9).withMaxCompletionLength(256);
 * List<Completion> completions = generator.generate(promptIds, params);   // prompt 0's 8 samples, then prompt 1's, …
 * }</pre>
 *
 * The generator reads the model's weights in place, so after an optimiser step the next call samples from the
 * updated policy. A generator is not thread-safe: use one per thread.
 */
package org.grpo4j.generate;
