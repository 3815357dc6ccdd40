package org.grpo4j.repl;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jline.reader.CompletingParsedLine;
import org.jline.reader.EOFError;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;

/**
 * Tells JLine when Enter ends the input: a {@code :command} always, Java only when JShell says the snippet is
 * complete; otherwise it throws {@link EOFError} and JLine shows the continuation prompt. For completion, the
 * word under the cursor is the Java identifier (or command/file word) being typed.
 */
final class SnippetParser implements Parser {
    private final Supplier<Shell> shell;
    private final java.util.function.BooleanSupplier answers;

    SnippetParser(Supplier<Shell> shell) {
        this(shell, () -> false);
    }

    /** {@code answers}: whether lines are answers to {@code :label} now, taken as typed (a lone "-" is not half a snippet). */
    SnippetParser(Supplier<Shell> shell, java.util.function.BooleanSupplier answers) {
        this.shell = shell;
        this.answers = answers;
    }

    @Override
    public ParsedLine parse(String line, int cursor, ParseContext context) {
        boolean command = line.stripLeading().startsWith(":");
        if (context == ParseContext.ACCEPT_LINE && !command && !answers.getAsBoolean() && shell.get().isIncomplete(line)) {
            throw new EOFError(-1, cursor, "incomplete snippet", "snippet");
        }
        int start = cursor;
        if (command) {
            while (start > 0 && !Character.isWhitespace(line.charAt(start - 1))) start--;
        } else {
            while (start > 0 && Character.isJavaIdentifierPart(line.charAt(start - 1))) start--;
        }
        List<String> words = new ArrayList<>();
        int wordIndex = 0;
        // words before the current one matter only for :commands (which argument is being completed)
        int i = 0;
        while (i < start) {
            while (i < start && Character.isWhitespace(line.charAt(i))) i++;
            int j = i;
            while (j < start && !Character.isWhitespace(line.charAt(j))) j++;
            if (j > i) words.add(line.substring(i, j));
            i = j;
        }
        wordIndex = words.size();
        String word = line.substring(start, cursor);
        words.add(word);
        return new Line(word, cursor - start, wordIndex, List.copyOf(words), line, cursor);
    }

    /** Java words are never quoted or escaped, so the raw word is the word. */
    record Line(String word, int wordCursor, int wordIndex, List<String> words, String line, int cursor)
            implements CompletingParsedLine {
        @Override
        public CharSequence escape(CharSequence candidate, boolean complete) {
            return candidate;
        }

        @Override
        public int rawWordCursor() {
            return wordCursor;
        }

        @Override
        public int rawWordLength() {
            return word.length();
        }
    }
}
