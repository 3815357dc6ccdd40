package org.grpo4j.tokenizer;

/**
 * One entry of {@code added_tokens} in {@code tokenizer.json}: text matched as a whole before pre-tokenization.
 *
 * @param lstrip     also swallows the whitespace on its left
 * @param rstrip     also swallows the whitespace on its right
 * @param singleWord only matches when not inside a word
 * @param normalized matched against the normalised text (else the raw text)
 * @param special    dropped by {@code decode(ids, true)}
 */
public record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                         boolean normalized, boolean special) {}
