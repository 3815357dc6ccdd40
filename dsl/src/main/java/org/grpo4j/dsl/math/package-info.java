/**
 * A maths answer verifier in plain Java with the semantics of Hugging Face's Math-Verify, which open-r1's
 * {@code accuracy_reward} calls. {@link org.grpo4j.dsl.math.AnswerExtractor} finds the answer with Math-Verify's
 * prioritised patterns, {@link org.grpo4j.dsl.math.LatexNormaliser} cleans it with the same switches,
 * {@link org.grpo4j.dsl.math.LatexParser} builds an {@link org.grpo4j.dsl.math.Expr} (numbers held exactly as
 * {@link org.grpo4j.dsl.math.Rational}s, relations, sets, intervals, matrices), and
 * {@link org.grpo4j.dsl.math.MathVerifier} compares gold and answer as Math-Verify's {@code verify} does; every
 * call runs under a {@link org.grpo4j.dsl.math.Budget} and gives 0 ("could not verify") when it runs out.
 *
 * <pre>{@code
 * MathVerifier.DEFAULT.verify("The answer is \\boxed{\\dfrac{6}{8}}", "0.75"); // 1.0
 * MathVerifier.DEFAULT.verify("x = 10", "10");                               // 0.0: no box, no anchor
 * MathVerifier.DEFAULT.verify("\\boxed{3}", "see the figure");               // NaN: gold unreadable, sample skipped
 * MathVerifier.OPEN_R1.verify("<answer>4</answer>", "4");                    // 0.0: open-r1 reads LaTeX only
 * }</pre>
 *
 * <p>Deliberate differences of {@link org.grpo4j.dsl.math.MathVerifier#DEFAULT} from open-r1
 * ({@link org.grpo4j.dsl.math.MathVerifier#OPEN_R1} has none of the first three):
 * <ul>
 *   <li>a plain number after the word "answer" or after GSM8K's {@code ####} is an answer; open-r1 reads only LaTeX
 *       and scores {@code <answer>42</answer>} 0, which would teach a model to avoid a correct format;</li>
 *   <li>a gold column with no math delimiters ({@code x^2-1}, {@code \sqrt{8}}) is first read whole as LaTeX;
 *       open-r1 finds only the number 2 in {@code 2x+2} and nothing in {@code \sqrt{8}};</li>
 *   <li>the length and cosine rewards read the gold as accuracy does (open-r1 reads it LaTeX-only there, so a
 *       plain {@code 10} gold makes every answer "correct");</li>
 *   <li>symbolic equality is decided by exact rational arithmetic and, with variables, by evaluation at seeded
 *       random points instead of sympy's {@code simplify} ({@code i} is the imaginary unit there, as in
 *       Math-Verify, but functions other than roots and powers of complex arguments are not evaluated); {@code \sum},
 *       {@code \int} and limits are not parsed;
 *       {@code numeric_precision} is capped at 12 digits (doubles); relations that sympy would solve are compared
 *       up to a constant factor or, against a set, at the set's ends and fixed probes;</li>
 *   <li>the time limit is a budget per call (default 1 s) checked as the work goes, not {@code signal.alarm}, so
 *       it works on any thread.</li>
 * </ul>
 */
package org.grpo4j.dsl.math;
