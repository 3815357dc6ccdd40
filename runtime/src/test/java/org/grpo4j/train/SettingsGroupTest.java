package org.grpo4j.train;

import static org.grpo4j.train.Setting.choice;
import static org.grpo4j.train.Setting.integer;
import static org.grpo4j.train.Setting.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SettingsGroupTest {
    record Clip(double epsilon, Double epsilonHigh, TimeUnit unit, int maxSteps) {}

    static final SettingsGroup<Clip> CLIP = SettingsGroup.of(Clip.class,
            number("epsilon", 0.2, "lower clip").check(v -> v > 0, "must be > 0"),
            number("epsilon_high", null, "upper clip"),
            choice("unit", TimeUnit.SECONDS, "a time unit"),
            integer("max_steps", -1, "steps")).rules((c, p) -> {
                if (c.epsilonHigh() != null && c.epsilonHigh() < c.epsilon()) p.add("epsilon_high must be >= epsilon");
            });

    @Test
    void defaultsBindAndReadBackByName() {
        assertEquals(new Clip(0.2, null, TimeUnit.SECONDS, -1), CLIP.defaults());
        Clip c = CLIP.bind(Map.of("epsilon", 0.3, "unit", "minutes"), null);
        assertEquals(new Clip(0.3, null, TimeUnit.MINUTES, -1), c);
        assertEquals("minutes", CLIP.values(c).get("unit"));
        assertEquals(List.of("epsilon", "epsilon_high", "unit", "max_steps"), List.copyOf(CLIP.values(c).keySet()));
        assertEquals(0.35, CLIP.with(c, "epsilon_high", "0.35").epsilonHigh());
        assertEquals(TimeUnit.HOURS, CLIP.with(c, "unit", TimeUnit.HOURS).unit());
    }

    @Test
    void everyBrokenRuleIsCollected() {
        List<String> problems = new ArrayList<>();
        assertNull(CLIP.bind(Map.of("epsilon", -1.0, "unit", "weeks"), problems));
        assertEquals(List.of("epsilon = -1.0 must be > 0", "unit = 'weeks' is not one of nanoseconds, microseconds, milliseconds, seconds, minutes, hours, days"),
                problems);
        var e = assertThrows(IllegalArgumentException.class, () -> CLIP.with(CLIP.defaults(), "epsilon_high", 0.1));
        assertTrue(e.getMessage().contains("epsilon_high must be >= epsilon"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CLIP.bind(java.util.Collections.singletonMap("max_steps", null), null));
        assertTrue(e.getMessage().contains("max_steps must be set"), e.getMessage());
    }

    record Misnamed(int numGenerations) {}

    @Test
    void aDeclarationMustNameItsComponent() {
        var e = assertThrows(IllegalStateException.class, () -> SettingsGroup.of(Misnamed.class, integer("num_generation", 8, "G")));
        assertTrue(e.getMessage().contains("num_generations"), e.getMessage());
    }
}
