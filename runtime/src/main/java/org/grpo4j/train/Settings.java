package org.grpo4j.train;

import java.util.Map;

/** Typed reads of a trainer's settings by TRL name (implemented by {@code GrpoConfig} and {@code SftConfig}). */
public interface Settings {
    Map<String, Object> values();

    default Object get(String name) {
        if (!values().containsKey(name)) throw new IllegalArgumentException("unknown setting '" + name + "'");
        return values().get(name);
    }

    default int integer(String name) {
        Object v = get(name);
        return v == null ? 0 : ((Number) v).intValue();
    }

    default double number(String name) {
        Object v = get(name);
        return v == null ? Double.NaN : ((Number) v).doubleValue();
    }

    default String text(String name) {
        Object v = get(name);
        return v == null ? null : v.toString();
    }

    default boolean flag(String name) {
        return Boolean.TRUE.equals(get(name));
    }

    default boolean isSet(String name) {
        return get(name) != null;
    }
}
