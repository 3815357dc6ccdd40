package org.grpo4j.dsl.reward.learned;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.grpo4j.dsl.data.BadRows;
import org.grpo4j.dsl.data.JsonlReader;
import org.grpo4j.dsl.data.Table;
import org.grpo4j.dsl.reward.Reward;
import org.grpo4j.reward.Sample;
import org.tribuo.Example;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LogisticRegressionTrainer;
import org.tribuo.data.text.TextFeatureExtractor;
import org.tribuo.data.text.impl.BasicPipeline;
import org.tribuo.data.text.impl.TextFeatureExtractorImpl;
import org.tribuo.datasource.ListDataSource;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;
import org.tribuo.regression.sgd.linear.LinearSGDTrainer;
import org.tribuo.regression.sgd.objectives.SquaredLoss;
import org.tribuo.util.tokens.impl.BreakIteratorTokenizer;

/**
 * A reward learned from labelled completions with Tribuo: word uni- and bigram features of the completion, and a
 * logistic regression (reward = P(good)) when the examples carry a {@code label}, or a linear regression
 * (reward = predicted score) when they carry a {@code score}. Saved and loaded in Tribuo's own model format.
 *
 * <pre>{@code
 * TribuoReward rm = TribuoReward.train(Path.of("labelled.jsonl"));   // {"completion": "...", "label": true}
 * rm.save(Path.of("judge.tribuo"));
 * TribuoReward.load(Path.of("judge.tribuo")).score("12 + 30 = 42");
 * }</pre>
 */
public final class TribuoReward implements Reward {
    /** The label of good completions in a classification model. */
    public static final String GOOD = "good", BAD = "bad";

    /** Tribuo logs every 1000 SGD steps at INFO; a reward trained in the REPL or a script should not. Kept referenced. */
    private static final java.util.logging.Logger TRIBUO_LOG = java.util.logging.Logger.getLogger("org.tribuo");

    static {
        TRIBUO_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    /** One labelled completion: {@code value} is 1/0 for a label, or the score. */
    public record Labelled(String completion, double value) {}

    private final Model<?> model;
    private final String name;
    private final TextFeatureExtractor<Label> labels = new TextFeatureExtractorImpl<>(pipeline());
    private final TextFeatureExtractor<Regressor> scores = new TextFeatureExtractorImpl<>(pipeline());

    private TribuoReward(Model<?> model, String name) {
        this.model = model;
        this.name = name;
    }

    private static BasicPipeline pipeline() {
        return new BasicPipeline(new BreakIteratorTokenizer(Locale.ROOT), 2);
    }

    /** Trains from a JSONL file of {@code completion} plus {@code label} (true/false, 1/0, good/bad) or {@code score}. */
    public static TribuoReward train(Path jsonl) {
        List<Labelled> examples = examples(jsonl);
        return isScored(jsonl) ? trainScores(examples) : trainLabels(examples);
    }

    /** The labelled completions of a JSONL file; the first row decides whether the file holds labels or scores. */
    public static List<Labelled> examples(Path jsonl) {
        Table t = JsonlReader.read(jsonl, BadRows.STOP);
        List<Labelled> examples = new ArrayList<>();
        boolean regression = scored(t);
        int line = 0;
        for (Map<String, Object> row : t.rows()) {
            line++;
            Object c = row.get("completion"), v = regression ? row.get("score") : row.get("label");
            if (c == null || v == null)
                throw new IllegalArgumentException(jsonl + ": row " + line + " needs \"completion\" and \"" + (regression ? "score" : "label") + "\"; it has " + row.keySet());
            examples.add(new Labelled(c.toString(), regression ? number(v, jsonl, line) : isGood(v) ? 1 : 0));
        }
        return examples;
    }

    /** Whether a labels file holds scores (a regression) rather than good/bad labels. */
    public static boolean isScored(Path jsonl) {
        return scored(JsonlReader.read(jsonl, BadRows.STOP));
    }

    private static boolean scored(Table t) {
        return !t.rows().isEmpty() && t.rows().getFirst().containsKey("score");
    }

    /**
     * The accuracy of a good/bad classifier on completions it was not trained on: {@code folds}-fold cross-validation
     * over {@code examples} (shuffled with {@code seed}); NaN when a training fold would lack good or bad examples.
     */
    public static double crossValidatedAccuracy(List<Labelled> examples, int folds, long seed) {
        List<Labelled> shuffled = new ArrayList<>(examples);
        java.util.Collections.shuffle(shuffled, new java.util.Random(seed));
        int right = 0;
        for (int f = 0; f < folds; f++) {
            List<Labelled> train = new ArrayList<>(), test = new ArrayList<>();
            for (int i = 0; i < shuffled.size(); i++) (i % folds == f ? test : train).add(shuffled.get(i));
            if (train.stream().noneMatch(e -> e.value() == 1) || train.stream().noneMatch(e -> e.value() == 0)) return Double.NaN;
            right += (int) Math.round(trainLabels(train).accuracy(test) * test.size());
        }
        return (double) right / shuffled.size();
    }

    /** A classifier of good (value 1) vs bad (value 0) completions; the reward is P(good). */
    public static TribuoReward trainLabels(List<Labelled> examples) {
        if (examples.stream().noneMatch(e -> e.value() == 1) || examples.stream().noneMatch(e -> e.value() == 0))
            throw new IllegalArgumentException("learned reward: the examples need both good and bad completions");
        LabelFactory f = new LabelFactory();
        TextFeatureExtractor<Label> x = new TextFeatureExtractorImpl<>(pipeline());
        List<Example<Label>> data = new ArrayList<>();
        for (Labelled e : examples) data.add(features(x, new Label(e.value() == 1 ? GOOD : BAD), e.completion()));
        MutableDataset<Label> ds = new MutableDataset<>(new ListDataSource<>(data, f, new SimpleDataSourceProvenance("labelled completions", f)));
        return new TribuoReward(new LogisticRegressionTrainer().train(ds), "learned");
    }

    /** A regression on the examples' scores; the reward is the predicted score. */
    public static TribuoReward trainScores(List<Labelled> examples) {
        RegressionFactory f = new RegressionFactory();
        TextFeatureExtractor<Regressor> x = new TextFeatureExtractorImpl<>(pipeline());
        List<Example<Regressor>> data = new ArrayList<>();
        for (Labelled e : examples) data.add(features(x, new Regressor("score", e.value()), e.completion()));
        MutableDataset<Regressor> ds = new MutableDataset<>(new ListDataSource<>(data, f, new SimpleDataSourceProvenance("scored completions", f)));
        return new TribuoReward(new LinearSGDTrainer(new SquaredLoss(), new AdaGrad(0.1, 0.1), 10, 1L).train(ds), "learned");
    }

    /**
     * The completion's n-grams plus a constant feature: Tribuo refuses to predict for an example none of whose
     * features it has seen (a completion of words that no labelled one had), and the constant one it always has.
     */
    private static <T extends org.tribuo.Output<T>> Example<T> features(TextFeatureExtractor<T> x, T output, String completion) {
        Example<T> e = x.extract(output, completion);
        e.add(new org.tribuo.Feature(CONSTANT, 1.0));
        return e;
    }

    /** The name of the constant feature; no word n-gram is spelled so. */
    private static final String CONSTANT = "grpo4j:constant";

    /** Loads a model saved by {@link #save} (Tribuo's protobuf format). */
    public static TribuoReward load(Path file) {
        try {
            return new TribuoReward(Model.deserializeFromFile(file), "learned");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read the Tribuo model: " + e.getMessage(), e);
        }
    }

    public void save(Path file) {
        try {
            model.serializeToFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the Tribuo model: " + e.getMessage(), e);
        }
    }

    /** Whether this model classifies (P(good)) rather than regresses a score. */
    public boolean classifies() {
        return model.validate(Label.class);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double weight() {
        return 1.0;
    }

    /** The same model under another metrics name. */
    @Override
    public TribuoReward named(String newName) {
        return new TribuoReward(model, newName);
    }

    @Override
    public double[] score(List<Sample> samples) {
        double[] out = new double[samples.size()];
        for (int i = 0; i < out.length; i++) out[i] = score1(samples.get(i).completion());
        return out;
    }

    @SuppressWarnings("unchecked")
    private double score1(String completion) {
        if (classifies()) {
            Prediction<Label> p = ((Model<Label>) model).predict(features(labels, LabelFactory.UNKNOWN_LABEL, completion));
            Label good = p.getOutputScores().get(GOOD);
            return good == null ? 0.0 : good.getScore();
        }
        Prediction<Regressor> p = ((Model<Regressor>) model).predict(features(scores, RegressionFactory.UNKNOWN_REGRESSOR, completion));
        return p.getOutput().getValues()[0];
    }

    /** The share of {@code heldOut} classified right at P(good) ≥ 0.5 (or, for a score model, sign agreement around 0.5). */
    public double accuracy(List<Labelled> heldOut) {
        int right = 0;
        for (Labelled e : heldOut) if ((score1(e.completion()) >= 0.5) == (e.value() >= 0.5)) right++;
        return heldOut.isEmpty() ? Double.NaN : (double) right / heldOut.size();
    }

    private static boolean isGood(Object v) {
        if (v instanceof Boolean b) return b;
        if (v instanceof Number n) return n.doubleValue() > 0;
        String s = v.toString().strip().toLowerCase(Locale.ROOT);
        return s.equals("good") || s.equals("true") || s.equals("1") || s.equals("correct") || s.equals("yes");
    }

    private static double number(Object v, Path file, int line) {
        if (v instanceof Number n) return n.doubleValue();
        try {
            return Double.parseDouble(v.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": row " + line + ": score '" + v + "' is not a number");
        }
    }

    @Override
    public String toString() {
        return "learned reward '" + name + "' (Tribuo " + (classifies() ? "logistic regression, P(good)" : "linear regression") + ")";
    }

}
