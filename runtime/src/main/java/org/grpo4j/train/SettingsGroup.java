package org.grpo4j.train;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Binds a settings record to its TRL-named {@link Setting}s: the i-th declaration names the i-th record component
 * ({@code numGenerations} ↔ {@code num_generations}, checked when the group is made), so a setting is one record
 * component plus one declaration, and the name-keyed view (YAML, {@code set("name", v)}, the REPL) is derived
 * from the record instead of being a second copy of it.
 *
 * <pre>{@code
 * record Clip(double epsilon) {
 *     static final SettingsGroup<Clip> SETTINGS = SettingsGroup.of(Clip.class,
 *             Setting.number("epsilon", 0.2, "lower clip range").check(v -> v > 0, "must be > 0"));
 * }
 * Clip c = Clip.SETTINGS.with(Clip.SETTINGS.defaults(), "epsilon", "0.3");
 * }</pre>
 */
public final class SettingsGroup<R extends Record> {
    private final Class<R> type;
    private final List<Setting> settings;
    private final RecordComponent[] components;
    private final Constructor<R> constructor;
    private final BiConsumer<R, List<String>> rules;
    private R defaults;

    private SettingsGroup(Class<R> type, List<Setting> settings, BiConsumer<R, List<String>> rules) {
        this.type = type;
        this.settings = List.copyOf(settings);
        this.components = type.getRecordComponents();
        this.rules = rules;
        if (components.length != settings.size())
            throw new IllegalStateException(type.getSimpleName() + " has " + components.length + " components but " + settings.size() + " settings");
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            String expected = snakeCase(components[i].getName());
            if (!expected.equals(settings.get(i).name()))
                throw new IllegalStateException(type.getSimpleName() + ": setting " + i + " is '" + settings.get(i).name() + "' but component "
                        + components[i].getName() + " reads as '" + expected + "'");
            types[i] = components[i].getType();
        }
        try {
            this.constructor = type.getDeclaredConstructor(types);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type + " has no canonical constructor", e);
        }
    }

    /** The group of {@code type}, whose components these settings name, in order. */
    public static <R extends Record> SettingsGroup<R> of(Class<R> type, Setting... settings) {
        return new SettingsGroup<>(type, List.of(settings), null);
    }

    /** This group with rules that relate several of its settings (each adds its problems to the list). */
    public SettingsGroup<R> rules(BiConsumer<R, List<String>> rules) {
        return new SettingsGroup<>(type, settings, rules);
    }

    public List<Setting> settings() {
        return settings;
    }

    /** Every setting at its default. */
    public synchronized R defaults() {
        if (defaults == null) defaults = bind(Map.of(), null);
        return defaults;
    }

    /**
     * The record from settings by TRL name ({@code values} hold coerced values; a missing name takes its default).
     * Every broken rule goes to {@code problems}, and the result is then null; with {@code problems} null, the
     * first problems are thrown together.
     */
    public R bind(Map<String, ?> values, List<String> problems) {
        List<String> p = problems == null ? new ArrayList<>() : problems;
        int before = p.size();
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            Setting s = settings.get(i);
            Object v = values.containsKey(s.name()) ? values.get(s.name()) : s.fallback();
            int known = p.size();
            s.check(v, p);
            Class<?> t = components[i].getType();
            if (v == null && t.isPrimitive()) p.add(s.name() + " must be set");
            else if (p.size() == known) args[i] = toComponent(t, v);
        }
        R r = p.size() == before ? construct(args) : null;
        if (r != null && rules != null) {
            rules.accept(r, p);
            if (p.size() != before) r = null;
        }
        if (problems == null && r == null) throw new IllegalArgumentException("invalid settings:\n  - " + String.join("\n  - ", p));
        return r;
    }

    /** The record's settings by TRL name, in declaration order (an enum as its TRL spelling). */
    public Map<String, Object> values(R r) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < components.length; i++) {
            Object v;
            try {
                v = components[i].getAccessor().invoke(r);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException(e);
            }
            m.put(settings.get(i).name(), v instanceof Enum<?> e ? Setting.spelling(e) : v);
        }
        return m;
    }

    /** A copy of {@code r} with one setting changed by TRL name, checked again. */
    public R with(R r, String name, Object value) {
        Setting s = setting(name);
        if (s == null) throw new IllegalArgumentException("unknown setting '" + name + "' of " + type.getSimpleName());
        Map<String, Object> m = values(r);
        m.put(name, s.coerce(value));
        return bind(m, null);
    }

    Setting setting(String name) {
        for (Setting s : settings) if (s.name().equals(name)) return s;
        return null;
    }

    private R construct(Object[] args) {
        try {
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object toComponent(Class<?> t, Object v) {
        if (v == null) return null;
        if (t.isEnum()) {
            for (Object c : t.getEnumConstants()) if (Setting.spelling((Enum<?>) c).equals(v)) return c;
            return Enum.valueOf((Class) t, v.toString());
        }
        if (t == int.class || t == Integer.class) return ((Number) v).intValue();
        if (t == double.class || t == Double.class) return ((Number) v).doubleValue();
        return v;
    }

    /** {@code numGenerations} → {@code num_generations}. */
    static String snakeCase(String camel) {
        StringBuilder sb = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) sb.append('_').append(Character.toLowerCase(c));
            else sb.append(c);
        }
        return sb.toString();
    }
}
