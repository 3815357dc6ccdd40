package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.grpo4j.train.SettingsBuilder;

class GrpoConfigTest {
    @Test
    void defaultsAreTrls() {
        GrpoConfig c = GrpoConfig.builder().build();
        assertEquals(8, c.numGenerations());
        assertEquals(0.0, c.number("beta"));
        assertEquals("dapo", c.text("loss_type"));
        assertEquals(0.2, c.epsilonHigh()); // epsilon_high defaults to epsilon
        assertEquals(1, c.stepsPerGeneration());
        assertEquals(8, c.generationBatchSize());
        assertEquals(1, c.promptsPerGeneration());
        assertEquals(1e-6, c.number("learning_rate"));
    }

    @Test
    void trlNamesAndYamlStringsAreAccepted() {
        GrpoConfig c = GrpoConfig.builder().set("num_generations", "4").set("beta", "0.04").set("per_device_train_batch_size", 8)
                .set("gradient_accumulation_steps", 2).set("reward_weights", List.of(1, 0.5)).set("mask_truncated_completions", "true").build();
        assertEquals(4, c.numGenerations());
        assertEquals(16, c.generationBatchSize());
        assertEquals(4, c.promptsPerGeneration());
        assertEquals(List.of(1.0, 0.5), c.get("reward_weights"));
        assertTrue(c.flag("mask_truncated_completions"));
    }

    @Test
    void misspeltNamesSuggestTheRightOne() {
        var e = assertThrows(IllegalArgumentException.class, () -> GrpoConfig.builder().set("num_generation", 4));
        assertTrue(e.getMessage().contains("did you mean 'num_generations'"), e.getMessage());
    }

    @Test
    void invalidCombinationsNameTheSettingsAndTheRule() {
        var e = assertThrows(IllegalArgumentException.class, () -> GrpoConfig.builder().set("num_generations", 3).set("per_device_train_batch_size", 8).build());
        assertTrue(e.getMessage().contains("must be divisible by num_generations = 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GrpoConfig.builder().set("sync_ref_model", true).build());
        assertTrue(e.getMessage().contains("sync_ref_model") && e.getMessage().contains("beta = 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GrpoConfig.builder().set("loss_type", "ppo").build());
        assertTrue(e.getMessage().contains("loss_type = 'ppo' is not one of grpo, bnpo, dr_grpo, dapo, cispo, sapo"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GrpoConfig.builder().set("num_generations", 1).set("temperature", 0).build());
        assertTrue(e.getMessage().contains("num_generations = 1") && e.getMessage().contains("temperature = 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GrpoConfig.builder().set("beta", "a lot"));
        assertTrue(e.getMessage().contains("beta must be a number"), e.getMessage());
    }

    @Test
    void everyProblemIsReportedTogether() {
        var e = assertThrows(IllegalArgumentException.class, () -> GrpoConfig.builder().set("epsilon", 0).set("top_p", 2).set("logging_steps", 0)
                .set("scale_rewards", "sometimes").build());
        for (String problem : List.of("epsilon = 0.0 must be > 0", "top_p = 2.0 must be in (0, 1]", "logging_steps = 0 must be >= 1",
                "scale_rewards = 'sometimes' is not one of group, batch, none"))
            assertTrue(e.getMessage().contains(problem), problem + " missing from: " + e.getMessage());
    }

    /** The name-keyed schema is derived from the typed groups: a record component is a setting YAML and set() know. */
    @Test
    void namesAndTypedGroupsAreOneDeclaration() {
        GrpoConfig c = GrpoConfig.builder().set("use_bias_correction_kl", "true").set("beta", 0.04).set("loss_type", "grpo")
                .set("scale_rewards", "none").set("max_completion_length", 32).build();
        assertTrue(c.loss().useBiasCorrectionKl());
        assertEquals(LossType.GRPO, c.loss().lossType());
        assertEquals(ScaleRewards.NONE, c.rollouts().scaleRewards());
        assertEquals(32, c.sampling().maxCompletionLength());
        assertEquals(true, c.get("use_bias_correction_kl"));
        assertEquals("grpo", c.text("loss_type"));
        SettingsBuilder<GrpoConfig> again = GrpoConfig.builder();
        c.values().forEach(again::set);
        assertEquals(c, again.build());
        assertEquals(c.values().keySet(), GrpoConfig.SCHEMA.settings().keySet());
        assertEquals(0.3, c.with("epsilon", 0.3).loss().epsilon());
        assertEquals(0.3, c.loss().with("epsilon_high", 0.3).clipHigh());
    }
}
