package org.grpo4j.repl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jline.reader.EOFError;
import org.jline.reader.Parser;
import org.jline.utils.AttributedString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.grpo4j.reward.WeightedReward;

/** The pieces of the terminal REPL that need no terminal: highlighting, parsing, command text, sparklines. */
class ReplPartsTest {
    static Shell shell;

    @BeforeAll
    static void open() {
        shell = Shell.open(ReplPartsTest.class.getClassLoader());
    }

    @AfterAll
    static void close() {
        shell.close();
    }

    @Test
    void highlighterColoursKeywordsStringsNumbersCommentsAndCommands() {
        AttributedString a = JavaHighlighter.highlight("int x = 42; String s = \"if\"; // while");
        assertEquals(JavaHighlighter.KEYWORD, a.styleAt(0));                         // int
        assertEquals(JavaHighlighter.NUMBER, a.styleAt(8));                          // 42
        assertEquals(JavaHighlighter.STRING, a.styleAt(24));                         // "if": no keyword inside
        assertEquals(JavaHighlighter.STRING, a.styleAt(25));
        assertEquals(JavaHighlighter.COMMENT, a.styleAt(30));                        // the comment
        assertEquals(org.jline.utils.AttributedStyle.DEFAULT, a.styleAt(4));         // x
        AttributedString c = JavaHighlighter.highlight(":try len on \"a\"");
        assertEquals(JavaHighlighter.COMMAND, c.styleAt(0));
        assertEquals(org.jline.utils.AttributedStyle.DEFAULT, c.styleAt(6));
        assertEquals("half \"open", JavaHighlighter.highlight("half \"open").toString(), "never fails on half-typed input");
    }

    @Test
    void parserAsksForMoreLinesOnlyWhenTheSnippetIsIncomplete() {
        SnippetParser p = new SnippetParser(() -> shell);
        assertThrows(EOFError.class, () -> p.parse("void f() {", 10, Parser.ParseContext.ACCEPT_LINE));
        p.parse("void f() {}", 11, Parser.ParseContext.ACCEPT_LINE);
        p.parse(":try x on \"{\"", 12, Parser.ParseContext.ACCEPT_LINE);
        var line = p.parse("System.out.pri", 14, Parser.ParseContext.COMPLETE);
        assertEquals("pri", line.word());
        var cmd = p.parse(":load exa", 9, Parser.ParseContext.COMPLETE);
        assertEquals(1, cmd.wordIndex());
        assertEquals("exa", cmd.word());
    }

    @Test
    void whileLabellingEveryLineIsAnAnswerNotHalfASnippet() {
        boolean[] labelling = {true};
        SnippetParser p = new SnippetParser(() -> shell, () -> labelling[0]);
        p.parse("-", 1, Parser.ParseContext.ACCEPT_LINE); // "bad", though as Java it would wait for an operand
        p.parse("+", 1, Parser.ParseContext.ACCEPT_LINE);
        labelling[0] = false;
        assertThrows(EOFError.class, () -> p.parse("-", 1, Parser.ParseContext.ACCEPT_LINE));
        assertEquals(Labelling.Answer.Label.class, Labelling.parse("-").getClass());
        assertEquals(new Labelling.Answer.Score(0.25), Labelling.parse(" 0.25 "));
        assertEquals(new Labelling.Answer.Skip(), Labelling.parse(""));
        assertEquals(new Labelling.Answer.Quit(), Labelling.parse("Q"));
        assertNull(Labelling.parse("NaN"));
        assertNull(Labelling.parse("perhaps"));
    }

    @Test
    void completerOffersJavaNamesFromTheSession() {
        shell.eval("var rewardTable = 1;", null, 1);
        SnippetParser p = new SnippetParser(() -> shell);
        ShellCompleter c = new ShellCompleter(() -> shell);
        List<org.jline.reader.Candidate> found = new java.util.ArrayList<>();
        c.complete(null, p.parse("rewardTa", 8, Parser.ParseContext.COMPLETE), found);
        assertTrue(found.stream().anyMatch(x -> x.value().equals("rewardTable")), found.toString());
        found.clear();
        c.complete(null, p.parse(":tr", 3, Parser.ParseContext.COMPLETE), found);
        assertTrue(found.stream().anyMatch(x -> x.value().equals(":try")) && found.stream().anyMatch(x -> x.value().equals(":train")));
    }

    @Test
    void commandWordsKeepExpressionsAndQuotedTextTogether() {
        assertEquals(List.of("load(\"m a\")", "\"say \\\"hi\\\" on\"", "4", "with", "a.plus(b, c)"),
                CommandText.words("load(\"m a\")  \"say \\\"hi\\\" on\" 4 with a.plus(b, c)"));
        assertEquals(":try", CommandText.closest(":tyr", List.copyOf(Repl.COMMANDS.keySet())));
        assertEquals(":metrics", CommandText.closest(":metric", List.copyOf(Repl.COMMANDS.keySet())));
        assertNull(CommandText.closest(":frobnicate", List.copyOf(Repl.COMMANDS.keySet())));
    }

    @Test
    void sparklinesAndStatusLine() {
        assertEquals("▁▂▃▄▅▆▇█", Sparkline.of(List.of(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0), 40, true));
        assertEquals("_#", Sparkline.of(List.of(1.0, 1.0, 3.0, 3.0), 2, false));
        assertEquals(8, Sparkline.of(java.util.Collections.nCopies(100, 1.0), 8, true).length());
        TrainingStatus st = new TrainingStatus(12, 200, 0.5123, 0.00312, 48.24, 1234.4, Duration.ofSeconds(185), Map.of());
        assertEquals("step 12/200  reward 0.512  kl 0.0031  len 48.2  1,234 tok/s  ETA 3:05", st.line());
        TrainingStatus ppo = new TrainingStatus(12, 200, 0.5123, 0.0, 48.24, 1234.4, null, Map.of("critic/vf_loss", 0.21134, "critic/vf_explained_var", 0.4119));
        assertEquals("step 12/200  reward 0.512  kl 0.0000  len 48.2  1,234 tok/s  vf_loss 0.2113  vf_ev 0.412", ppo.line());
    }

    @Test
    void rewardTotalsSkipNaNLikeTrl() {
        List<WeightedReward> parts = List.of(new WeightedReward(null, 2.0), new WeightedReward(null, 1.0));
        double[][] scores = {{1.0, Double.NaN, Double.NaN}, {0.5, 0.25, Double.NaN}};
        assertEquals(2.5, RewardTable.total(parts, scores, 0));
        assertEquals(0.25, RewardTable.total(parts, scores, 1));
        assertTrue(Double.isNaN(RewardTable.total(parts, scores, 2)));
    }
}
