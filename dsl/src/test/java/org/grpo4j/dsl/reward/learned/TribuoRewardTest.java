package org.grpo4j.dsl.reward.learned;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.grpo4j.dsl.reward.learned.ArithmeticJudgements.Flaw;
import org.grpo4j.dsl.reward.learned.TribuoReward.Labelled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Learned rewards with Tribuo: training from labelled completions, saving and loading, held-out accuracy. */
class TribuoRewardTest {
    @Test
    void aClassifierLearnsTheArithmeticJudgementsAndSurvivesSaveAndLoad(@TempDir Path dir) {
        List<Labelled> train = ArithmeticJudgements.make(2000, 1, Flaw.CUT_OFF), heldOut = ArithmeticJudgements.make(400, 2, Flaw.CUT_OFF);
        TribuoReward rm = TribuoReward.trainLabels(train);
        assertTrue(rm.classifies());
        double acc = rm.accuracy(heldOut);
        TribuoReward arithmetic = TribuoReward.trainLabels(ArithmeticJudgements.make(2000, 1, Flaw.WRONG_RESULT));
        double accWrong = arithmetic.accuracy(ArithmeticJudgements.make(400, 2, Flaw.WRONG_RESULT));
        System.out.printf("held-out accuracy: cut-off vs whole %.3f, wrong vs right result %.3f (chance 0.5; word n-grams cannot add)%n", acc, accWrong);
        assertTrue(acc > 0.9, "cut-off completions are recognised: " + acc);
        assertTrue(accWrong < 0.7, "a word n-gram model does not learn arithmetic; if it did, the set leaks the answer: " + accWrong);
        Path file = dir.resolve("judge.tribuo");
        rm.save(file);
        TribuoReward back = TribuoReward.load(file);
        for (Labelled e : heldOut.subList(0, 20)) assertEquals(rm.score(e.completion()), back.score(e.completion()), 1e-12);
        double p = rm.score(heldOut.getFirst().completion());
        assertTrue(p >= 0 && p <= 1, "a probability: " + p);
    }

    @Test
    void aCompletionOfWordsNoLabelledOneHadIsScoredNotRefused() {
        TribuoReward judge = TribuoReward.trainLabels(List.of(new Labelled("answer 42", 1), new Labelled("no idea", 0)));
        double p = judge.score("zebra");
        assertTrue(p >= 0 && p <= 1, "a probability from the constant feature alone: " + p);
        TribuoReward graded = TribuoReward.trainScores(List.of(new Labelled("answer 42", 0.9), new Labelled("no idea", 0.1), new Labelled("maybe", 0.5)));
        assertTrue(Double.isFinite(graded.score("zebra")));
    }

    @Test
    void crossValidationEstimatesTheAccuracyOnUnseenCompletions() {
        List<Labelled> ex = ArithmeticJudgements.make(200, 3, Flaw.CUT_OFF);
        double cv = TribuoReward.crossValidatedAccuracy(ex, 5, 1);
        assertTrue(cv > 0.85 && cv <= 1, "cut-off vs whole is learnable: " + cv);
        assertTrue(Double.isNaN(TribuoReward.crossValidatedAccuracy(List.of(new Labelled("a", 1), new Labelled("b", 0)), 2, 1)),
                "a fold without a bad (or good) example cannot be trained");
    }

    @Test
    void jsonlWithLabelsOrScores(@TempDir Path dir) throws Exception {
        Path labels = dir.resolve("labels.jsonl");
        Files.writeString(labels, """
                {"completion": "the answer is 42, checked twice", "label": true}
                {"completion": "no idea, maybe 7", "label": "bad"}
                {"completion": "checked: 42", "label": 1}
                {"completion": "maybe 5?", "label": 0}
                """);
        TribuoReward c = TribuoReward.train(labels);
        assertTrue(c.classifies());
        assertTrue(c.score("checked the answer 42") > c.score("maybe no idea"));
        Path scores = dir.resolve("scores.jsonl");
        Files.writeString(scores, """
                {"completion": "great answer", "score": 2.0}
                {"completion": "poor answer", "score": -1.0}
                {"completion": "great work", "score": 1.5}
                {"completion": "poor work", "score": -0.5}
                """);
        TribuoReward r = TribuoReward.train(scores);
        assertFalse(r.classifies());
        assertTrue(r.score("great") > r.score("poor"));
        Files.writeString(labels, "{\"completion\": \"x\"}\n");
        var e = assertThrows(IllegalArgumentException.class, () -> TribuoReward.train(labels));
        assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("label"), e.getMessage());
    }
}
