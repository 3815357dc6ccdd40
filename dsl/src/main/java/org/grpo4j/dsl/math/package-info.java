/**
 * A maths answer verifier in plain Java, standing in for open-r1's math_verify: {@link
 * org.grpo4j.dsl.math.AnswerExtractor} finds the final answer, {@link org.grpo4j.dsl.math.LatexParser}
 * normalises LaTeX into an {@link org.grpo4j.dsl.math.Expr}, and {@link org.grpo4j.dsl.math.MathVerifier}
 * compares two answers exactly ({@link org.grpo4j.dsl.math.Rational}), numerically or symbolically.
 *
 * <pre>{@code
 * MathVerifier.DEFAULT.verify("The answer is \\boxed{\\dfrac{6}{8}}", "0.75"); // 1.0
 * MathVerifier.DEFAULT.verify("x = 10", "10");                               // 0.0: no anchor
 * MathVerifier.DEFAULT.verify("\\boxed{3}", "see the figure");               // NaN: gold unreadable
 * }</pre>
 */
package org.grpo4j.dsl.math;
