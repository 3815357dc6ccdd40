package org.grpo4j.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

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
}
