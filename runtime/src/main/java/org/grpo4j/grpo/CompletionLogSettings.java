package org.grpo4j.grpo;

import static org.grpo4j.train.Setting.flag;
import static org.grpo4j.train.Setting.integer;

import org.grpo4j.train.SettingsGroup;

/** TRL's completion logging: a few sample completions per logging step go to {@code completions.jsonl}. */
public record CompletionLogSettings(boolean logCompletions, int numCompletionsToPrint) {

    public static final SettingsGroup<CompletionLogSettings> SETTINGS = SettingsGroup.of(CompletionLogSettings.class,
            flag("log_completions", true, "write sample completions to completions.jsonl"),
            integer("num_completions_to_print", 4, "sample completions kept per logging step").check(v -> v >= 0, "must be >= 0"));
}
