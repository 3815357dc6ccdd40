package org.grpo4j.repl;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import jdk.jshell.SourceCodeAnalysis;
import org.jline.builtins.Completers;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/**
 * Tab completion: Java and DSL names from JShell's {@code completionSuggestions} (which knows the session's
 * variables and the imported DSL), command names after {@code :}, and file names after {@code :load}/{@code :save}.
 */
final class ShellCompleter implements Completer {
    private final Supplier<Shell> shell;
    private final Completer files = new Completers.FileNameCompleter();

    ShellCompleter(Supplier<Shell> shell) {
        this.shell = shell;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        String buf = line.line();
        if (buf.stripLeading().startsWith(":")) {
            if (line.wordIndex() == 0) {
                for (String c : Repl.COMMANDS.keySet()) candidates.add(new Candidate(c, c, null, null, null, null, true));
            } else {
                String cmd = line.words().getFirst();
                if (cmd.equals(":load") || cmd.equals(":save") || cmd.equals(":try")) files.complete(reader, line, candidates);
            }
            return;
        }
        int cursor = line.cursor();
        int wordStart = cursor - line.wordCursor();
        int[] anchor = new int[1];
        List<SourceCodeAnalysis.Suggestion> suggestions = shell.get().completions(buf, cursor, anchor);
        boolean typeMatches = suggestions.stream().anyMatch(SourceCodeAnalysis.Suggestion::matchesType);
        Set<String> seen = new LinkedHashSet<>();
        for (SourceCodeAnalysis.Suggestion s : suggestions) {
            if (typeMatches && !s.matchesType()) continue;
            String value = anchor[0] >= wordStart ? buf.substring(wordStart, Math.min(anchor[0], cursor)) + s.continuation()
                    : s.continuation();
            if (!seen.add(value)) continue;
            candidates.add(new Candidate(value, s.continuation(), null, null, null, null, false));
        }
    }
}
