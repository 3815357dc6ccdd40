package org.grpo4j.grpo;

import java.util.LinkedHashMap;
import java.util.Map;
import org.grpo4j.distributed.Communicator;

/** Metrics of a data-parallel step: every rank logs the same numbers, the means over ranks. */
final class Metrics {
    private Metrics() {}

    /**
     * The mean of each metric over the ranks (NaN-aware: a rank without a value does not count). Every rank runs the
     * same loss with the same settings, so the names agree; that is checked, since a mismatch would pair unrelated
     * numbers.
     */
    static Map<String, Double> meanOverRanks(Map<String, Double> metrics, Communicator comm) {
        if (comm.size() == 1) return metrics;
        String[] names = metrics.keySet().toArray(String[]::new);
        double[] check = {names.length, String.join(",", names).hashCode(), -names.length, -String.join(",", names).hashCode()};
        comm.maxInPlace(check);
        if (check[0] != -check[2] || check[1] != -check[3])
            throw new IllegalStateException("the ranks report different loss metrics (" + String.join(", ", names) + " on rank " + comm.rank() + ")");
        double[] sums = new double[2 * names.length];
        for (int i = 0; i < names.length; i++) {
            double v = metrics.get(names[i]);
            if (!Double.isNaN(v)) {
                sums[2 * i] = v;
                sums[2 * i + 1] = 1;
            }
        }
        comm.sumInPlace(sums);
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) out.put(names[i], sums[2 * i + 1] == 0 ? Double.NaN : sums[2 * i] / sums[2 * i + 1]);
        return out;
    }
}
