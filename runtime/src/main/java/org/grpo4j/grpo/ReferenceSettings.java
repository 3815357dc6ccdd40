package org.grpo4j.grpo;

import static org.grpo4j.train.Setting.flag;
import static org.grpo4j.train.Setting.integer;
import static org.grpo4j.train.Setting.number;

import org.grpo4j.train.SettingsGroup;

/** TRL's reference-model sync ({@code SyncRefModelCallback}): every few steps ref = α·policy + (1 − α)·ref. */
public record ReferenceSettings(boolean syncRefModel, int refModelSyncSteps, double refModelMixupAlpha) {

    public static final SettingsGroup<ReferenceSettings> SETTINGS = SettingsGroup.of(ReferenceSettings.class,
            flag("sync_ref_model", false, "periodically move the reference model towards the policy"),
            integer("ref_model_sync_steps", 512, "steps between reference syncs").check(v -> v >= 1, "must be >= 1"),
            number("ref_model_mixup_alpha", 0.6, "ref = α·policy + (1−α)·ref at each sync").check(v -> v >= 0 && v <= 1, "must be in [0, 1]"));

    /** Whether the reference moves after optimiser step {@code step} (1-based). */
    public boolean syncAfter(int step) {
        return syncRefModel && step % refModelSyncSteps == 0;
    }
}
