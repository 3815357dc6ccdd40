package org.grpo4j.dsl.reward.polyglot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.grpo4j.reward.Sample;

/**
 * The arguments TRL's {@code GRPOTrainer} passes to a reward function, as one JSON object that the guest turns
 * into its own lists and dicts: {@code completions} (strings, or for conversational data one
 * {@code [{"role": "assistant", "content": ...}]} list per sample), {@code prompts} (the prompt text, or the
 * prompt's messages), {@code completion_ids}, and every other data set column as a list with one entry per
 * sample ({@code None} where a row lacks it). Like TRL, the {@code prompt} and {@code completion} columns are not
 * passed again under their own names.
 */
final class TrlBatch {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NOT_COLUMNS = Set.of("prompt", "completion", "completions", "prompts", "completion_ids");

    private TrlBatch() {}

    static String json(List<Sample> samples) {
        int n = samples.size();
        List<Object> completions = new ArrayList<>(n), prompts = new ArrayList<>(n), ids = new ArrayList<>(n);
        Set<String> columns = new LinkedHashSet<>();
        for (Sample s : samples) {
            Object promptColumn = s.row().containsKey("prompt") ? s.row().get("prompt") : s.row().get("messages");
            boolean conversational = isConversation(promptColumn);
            completions.add(conversational ? List.of(Map.of("role", "assistant", "content", s.completion())) : s.completion());
            prompts.add(conversational ? promptColumn : !s.prompt().isEmpty() || promptColumn == null ? s.prompt() : promptColumn);
            ids.add(s.completionIds());
            for (String c : s.row().keySet()) if (!NOT_COLUMNS.contains(c)) columns.add(c);
        }
        Map<String, Object> kwargs = new LinkedHashMap<>();
        kwargs.put("completions", completions);
        kwargs.put("prompts", prompts);
        kwargs.put("completion_ids", ids);
        for (String c : columns) {
            List<Object> values = new ArrayList<>(n);
            for (Sample s : samples) values.add(s.row().get(c));
            kwargs.put(c, values);
        }
        try {
            return JSON.writeValueAsString(kwargs);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot pass the batch's columns to a Python/JS reward as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** A list of {@code {role, content}} maps, TRL's conversational format. */
    static boolean isConversation(Object v) {
        if (!(v instanceof List<?> l) || l.isEmpty()) return false;
        for (Object o : l) if (!(o instanceof Map<?, ?> m) || !m.containsKey("role") || !m.containsKey("content")) return false;
        return true;
    }
}
