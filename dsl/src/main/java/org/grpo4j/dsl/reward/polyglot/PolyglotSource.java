package org.grpo4j.dsl.reward.polyglot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A reward function's code: the source text of a file (or an inline snippet) and the callable to take from it,
 * a function name or an expression that evaluates to a function (open-r1's factories:
 * {@code get_repetition_penalty_reward(ngram_size=3, max_penalty=-1.0)}).
 *
 * <pre>{@code PolyglotSource s = PolyglotSource.file(Path.of("rewards.py"), "format_reward");}</pre>
 */
public record PolyglotSource(GuestLanguage language, String fileName, String code, String callable) {
    public PolyglotSource {
        if (callable == null || callable.isBlank()) throw new IllegalArgumentException(fileName + ": name the reward function to call");
        callable = callable.strip();
    }

    /** The file's text, read now (a later edit of the file needs a new reward). */
    public static PolyglotSource file(Path file, String callable) {
        GuestLanguage lang = GuestLanguage.ofFile(file.getFileName().toString());
        try {
            return new PolyglotSource(lang, file.toString(), Files.readString(file), callable);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read the reward file: " + e.getMessage(), e);
        }
    }

    /** A name for metrics: the callable when it is a plain name, else the text before its first parenthesis. */
    String defaultName() {
        int p = callable.indexOf('(');
        return p < 0 ? callable : callable.substring(0, p).strip();
    }
}
