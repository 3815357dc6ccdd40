package org.grpo4j.dsl.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Line charts of metrics over steps, written as PNG with JFreeChart (headless: no display needed). One chart is
 * one {@link Spec}: a title, a y-axis label and the metrics it draws, each a line; points are marked when a run
 * has few of them, so a three-step run still shows something.
 *
 * <pre>{@code
 * Charts.write(metrics, new Charts.Spec("reward", "Reward", "mean", List.of("reward")), Path.of("runs/x/report/reward.png"));
 * }</pre>
 */
public final class Charts {
    /** One chart: file name stem, title, y-axis label, metric names; {@code labels} (same size, or null) name the lines. */
    public record Spec(String file, String title, String yLabel, List<String> metrics, List<String> labels) {
        public Spec(String file, String title, String yLabel, List<String> metrics) {
            this(file, title, yLabel, metrics, null);
        }
    }

    static final int WIDTH = 600, HEIGHT = 330;
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    private Charts() {}

    /** Draws the spec's metrics that the run has; returns false (and writes nothing) when it has none of them. */
    public static boolean write(RunMetrics m, Spec spec, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeriesCollection data = new XYSeriesCollection();
        int most = 0;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY, big = 0;
        for (int i = 0; i < spec.metrics().size(); i++) {
            String name = spec.metrics().get(i);
            List<double[]> pts = m.points(name);
            if (pts.isEmpty()) continue;
            XYSeries s = new XYSeries(spec.labels() == null ? name : spec.labels().get(i), true, true);
            for (double[] p : pts) {
                s.addOrUpdate(p[0], p[1]);
                lo = Math.min(lo, p[0]);
                hi = Math.max(hi, p[0]);
                big = Math.max(big, Math.abs(p[1]));
            }
            data.addSeries(s);
            most = Math.max(most, pts.size());
        }
        if (data.getSeriesCount() == 0) return false;
        JFreeChart chart = ChartFactory.createXYLineChart(spec.title(), "step", spec.yLabel(), data, PlotOrientation.VERTICAL, true, false, false);
        style(chart, data.getSeriesCount(), most <= 40);
        axes(chart.getXYPlot(), lo, hi, big);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
        return true;
    }

    private static void style(JFreeChart chart, int series, boolean shapes) {
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, shapes);
        for (int i = 0; i < series; i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(r);
    }

    /** Whole-number steps; one logged step still gets a readable axis, and a flat line a sensible scale. */
    private static void axes(XYPlot plot, double lo, double hi, double big) {
        NumberAxis x = (NumberAxis) plot.getDomainAxis();
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        if (hi - lo < 1) x.setRange(lo - 1, hi + 1);
        NumberAxis y = (NumberAxis) plot.getRangeAxis();
        y.setAutoRangeIncludesZero(false);
        y.setAutoRangeMinimumSize(big == 0 ? 0.1 : 0.1 * big); // all zeros: a ±0.05 band, not ±5e-10
    }
}
