package org.grpo4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Collects a trainer's settings by TRL name (YAML, recipes, the REPL); {@link #build()} binds them to the typed
 * settings groups and reports every broken rule together.
 *
 * <pre>{@code
 * GrpoConfig c = GrpoConfig.builder().set("num_generations", 8).set("beta", "0.04").build();
 * }</pre>
 */
public final class SettingsBuilder<C> {
    /** Makes the config from values by TRL name, adding every broken rule to {@code problems}. */
    public interface Binder<C> {
        C bind(Map<String, Object> values, List<String> problems);
    }

    private final SettingsSchema schema;
    private final Binder<C> binder;
    private final Map<String, Object> values;

    public SettingsBuilder(SettingsSchema schema, Binder<C> binder) {
        this.schema = schema;
        this.binder = binder;
        this.values = schema.defaults();
    }

    /** Sets a setting by its TRL name; an unknown name is an error that suggests the closest known one. */
    public SettingsBuilder<C> set(String name, Object value) {
        values.put(name, schema.coerce(name, value));
        return this;
    }

    public C build() {
        List<String> problems = new ArrayList<>();
        C c = binder.bind(values, problems);
        if (!problems.isEmpty()) throw new IllegalArgumentException("invalid " + schema.what() + " settings:\n  - " + String.join("\n  - ", problems));
        return c;
    }
}
