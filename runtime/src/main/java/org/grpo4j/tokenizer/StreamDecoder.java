package org.grpo4j.tokenizer;

import java.util.Arrays;

/**
 * Decodes generated ids one at a time, returning only text that is complete: a character whose UTF-8 bytes are
 * spread over several byte-level tokens is held back until its last byte arrives. The pieces returned, joined, equal
 * {@link Tokenizer#decode} of all ids (plus {@link #flush()} at the end), so generation can match stop strings on
 * them.
 *
 * <p>Follows Hugging Face's {@code DecodeStream}: it decodes a short window (the ids since the last complete
 * output plus those before it, as context for decoders that strip a leading space) and emits what extends the
 * window's previous text. Not thread-safe: one per generated sequence.
 */
public final class StreamDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] ids = new int[16];
    private int size;
    private int prefixIndex;
    private String prefix = "";

    StreamDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds one id; returns the text it completes (often one word piece, empty while a character is unfinished). */
    public String step(int id) {
        if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
        ids[size++] = id;
        String text = tokenizer.decode(ids, 0, size, skipSpecialTokens);
        if (text.length() > prefix.length() && !text.endsWith("\uFFFD") && text.startsWith(prefix)) {
            String fresh = text.substring(prefix.length());
            // keep the ids after the previous prefix as the context of the next window
            int newPrefixIndex = size - prefixIndex;
            System.arraycopy(ids, prefixIndex, ids, 0, size - prefixIndex);
            size -= prefixIndex;
            prefix = tokenizer.decode(ids, 0, size, skipSpecialTokens);
            prefixIndex = newPrefixIndex;
            return fresh;
        }
        return "";
    }

    /** The text still held back at the end of generation (an unfinished character decodes to U+FFFD). */
    public String flush() {
        String text = tokenizer.decode(ids, 0, size, skipSpecialTokens);
        String rest = text.length() > prefix.length() && text.startsWith(prefix) ? text.substring(prefix.length()) : "";
        size = 0;
        prefixIndex = 0;
        prefix = "";
        return rest;
    }
}
