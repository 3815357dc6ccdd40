package org.grpo4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The schedules against transformers' closed forms (get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup, …). */
class LearningRateScheduleTest {
    @Test
    void linearWithWarmupRatio() {
        var s = LearningRateSchedule.of("linear", 1.0, 10, 0.2, 0, 0);
        assertEquals(2, s.warmupSteps());
        double[] expected = {0.0, 0.5, 1.0, 7 / 8.0, 6 / 8.0, 5 / 8.0, 4 / 8.0, 3 / 8.0, 2 / 8.0, 1 / 8.0};
        for (int i = 0; i < 10; i++) assertEquals(expected[i], s.at(i), 1e-12, "step " + i);
    }

    @Test
    void cosineAndCosineWithMinLr() {
        var s = LearningRateSchedule.of("cosine", 2.0, 11, 0, 1, 0);
        assertEquals(0.0, s.at(0), 1e-12);
        assertEquals(2.0, s.at(1), 1e-12);
        assertEquals(1.0, s.at(6), 1e-12); // halfway through the decay
        assertEquals(0.0, s.at(11), 1e-12);
        var m = LearningRateSchedule.of("cosine_with_min_lr", 1.0, 10, 0, 0, 0.1);
        assertEquals(1.0, m.at(0), 1e-12);
        assertEquals(0.1 + 0.9 * 0.5, m.at(5), 1e-12);
        assertEquals(0.1, m.at(10), 1e-12);
        assertEquals(0.1, m.at(50), 1e-12);
    }

    @Test
    void constantIgnoresWarmupAndConstantWithWarmupUsesIt() {
        assertEquals(3.0, LearningRateSchedule.of("constant", 3.0, 10, 0.5, 0, 0).at(0), 0);
        var w = LearningRateSchedule.of("constant_with_warmup", 3.0, 10, 0, 4, 0);
        assertEquals(1.5, w.at(2), 1e-12);
        assertEquals(3.0, w.at(9), 1e-12);
    }

    @Test
    void unknownTypesAreRejectedWithTheList() {
        var e = assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.of("cosine_restarts", 1, 10, 0, 0, 0));
        assertTrue(e.getMessage().contains("cosine_with_min_lr"), e.getMessage());
    }
}
