package org.grpo4j.optim;

/**
 * Learning-rate schedules under transformers' {@code lr_scheduler_type} names, with the same shape as its
 * LambdaLR schedules: the first optimiser step uses the factor at step 0 (so with warm-up it is 0).
 *
 * <pre>{@code
 * var s = LearningRateSchedule.of("cosine", 1e-5, 100, 0.1, 0, 0);   // 10 warm-up steps, then cosine to 0
 * double lr = s.at(step);
 * }</pre>
 */
public record LearningRateSchedule(Type type, double baseLr, int totalSteps, int warmupSteps, double minLrRate) {

    public enum Type {
        CONSTANT("constant"), CONSTANT_WITH_WARMUP("constant_with_warmup"), LINEAR("linear"), COSINE("cosine"),
        COSINE_WITH_MIN_LR("cosine_with_min_lr");

        public final String hfName;

        Type(String hfName) {
            this.hfName = hfName;
        }

        public static Type of(String name) {
            for (Type t : values()) if (t.hfName.equals(name)) return t;
            StringBuilder sb = new StringBuilder();
            for (Type t : values()) sb.append(sb.isEmpty() ? "" : ", ").append(t.hfName);
            throw new IllegalArgumentException("lr_scheduler_type '" + name + "' is not supported; supported: " + sb);
        }
    }

    /**
     * @param warmupRatio used when {@code warmupSteps} is 0: {@code ceil(warmupRatio · totalSteps)}, as transformers
     * @param minLrRate   {@code cosine_with_min_lr}: the floor as a fraction of the base rate
     */
    public static LearningRateSchedule of(String type, double baseLr, int totalSteps, double warmupRatio, int warmupSteps, double minLrRate) {
        if (totalSteps <= 0) throw new IllegalArgumentException("the schedule needs the total number of steps, got " + totalSteps);
        if (warmupRatio < 0 || warmupRatio > 1) throw new IllegalArgumentException("warmup_ratio must be in [0, 1], got " + warmupRatio);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
        int warm = warmupSteps > 0 ? warmupSteps : (int) Math.ceil(warmupRatio * totalSteps);
        return new LearningRateSchedule(Type.of(type), baseLr, totalSteps, warm, minLrRate);
    }

    /** The learning rate of the optimiser step with 0-based index {@code step}. */
    public double at(int step) {
        return baseLr * factor(step);
    }

    private double factor(int step) {
        if (type == Type.CONSTANT) return 1.0;
        if (step < warmupSteps) return (double) step / Math.max(1, warmupSteps);
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return switch (type) {
            case CONSTANT, CONSTANT_WITH_WARMUP -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case COSINE -> Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
            case COSINE_WITH_MIN_LR -> {
                double f = 0.5 * (1.0 + Math.cos(Math.PI * Math.min(1.0, progress)));
                yield f * (1 - minLrRate) + minLrRate;
            }
        };
    }
}
