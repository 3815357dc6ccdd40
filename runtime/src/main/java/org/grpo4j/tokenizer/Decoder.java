package org.grpo4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code decoder} of {@code tokenizer.json}: turns the token strings of ids back into text. Like Hugging Face's
 * {@code decode_chain}, each step maps a list of strings to a list of strings; the results are concatenated.
 */
sealed interface Decoder {
    List<String> decodeChain(List<String> tokens);

    /** Joins byte-level tokens, maps them to bytes and decodes UTF-8, invalid sequences becoming U+FFFD. */
    record ByteLevelDec() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String t : tokens) ByteLevel.appendBytes(t, bytes);
            return List.of(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
        }
    }

    /** {@code ▁} becomes a space; the first token loses its leading one unless the prepend scheme is "never". */
    record MetaspaceDec(char replacement, boolean stripFirst) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i).replace(replacement, ' ');
                if (i == 0 && stripFirst && t.startsWith(" ")) t = t.substring(1);
                out.add(t);
            }
            return out;
        }
    }

    /** Runs of {@code <0xAB>} tokens become the text their bytes encode; invalid UTF-8 gives one U+FFFD per byte. */
    record ByteFallback() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream pending = new ByteArrayOutputStream();
            for (String t : tokens) {
                int b = byteToken(t);
                if (b >= 0) {
                    pending.write(b);
                    continue;
                }
                flush(pending, out);
                out.add(t);
            }
            flush(pending, out);
            return out;
        }

        static int byteToken(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
            int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }

        private static void flush(ByteArrayOutputStream pending, List<String> out) {
            if (pending.size() == 0) return;
            byte[] b = pending.toByteArray();
            pending.reset();
            var dec = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
            try {
                out.add(dec.decode(java.nio.ByteBuffer.wrap(b)).toString());
            } catch (java.nio.charset.CharacterCodingException e) {
                for (int i = 0; i < b.length; i++) out.add("\uFFFD");
            }
        }
    }

    record Fuse() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} characters from each token. */
    record Strip(int content, int start, int stop) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int[] cps = t.codePoints().toArray();
                int a = 0;
                while (a < start && a < cps.length && cps[a] == content) a++;
                int b = cps.length;
                for (int i = 0; i < stop && b > a && cps[b - 1] == content; i++) b--;
                out.add(new String(cps, a, b - a));
            }
            return out;
        }
    }

    record Replace(String literal, java.util.regex.Pattern regex, String content) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            Normalizer.Replace r = new Normalizer.Replace(literal, regex, content);
            for (String t : tokens) out.add(r.normalize(t));
            return out;
        }
    }

    record Sequence(List<Decoder> decoders) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            for (Decoder d : decoders) tokens = d.decodeChain(tokens);
            return tokens;
        }
    }

    /** No decoder in the file: Hugging Face joins the tokens with spaces. */
    record None() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join(" ", tokens));
        }
    }
}
