package org.grpo4j.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's byte-to-unicode table: every byte gets a printable character so that a byte-level BPE vocabulary can be
 * stored as text. Printable Latin-1 bytes map to themselves; the 68 others map to U+0100 and up, in byte order.
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by char; -1 where the char is not in the byte-level alphabet. */
    private static final int[] CHAR_TO_BYTE = new int[0x200];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a byte-level character stands for, or -1. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Maps the UTF-8 bytes of {@code s} to byte-level characters. ASCII-only text takes the fast path. */
    static String encode(String s) {
        int n = s.length();
        char[] out = null;
        int i = 0;
        for (; i < n; i++) if (s.charAt(i) >= 0x80) break;
        if (i == n) {
            out = new char[n];
            for (int k = 0; k < n; k++) out[k] = BYTE_TO_CHAR[s.charAt(k)];
            return new String(out);
        }
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out = new char[bytes.length];
        for (int k = 0; k < bytes.length; k++) out[k] = BYTE_TO_CHAR[bytes[k] & 0xFF];
        return new String(out);
    }

    /**
     * Appends the bytes a token stands for. As in Hugging Face's decoder, a token with any character outside the
     * byte-level alphabet (an added token such as {@code <|im_start|>} written in plain text) contributes its UTF-8.
     */
    static void appendBytes(String token, java.io.ByteArrayOutputStream out) {
        int n = token.length();
        for (int i = 0; i < n; i++) {
            if (byteOf(token.charAt(i)) < 0) {
                out.writeBytes(token.getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        for (int i = 0; i < n; i++) out.write(byteOf(token.charAt(i)));
    }
}
