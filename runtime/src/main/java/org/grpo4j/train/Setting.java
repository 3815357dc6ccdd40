package org.grpo4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoublePredicate;
import java.util.function.Predicate;

/**
 * One setting under its TRL name: the kind of value, the default, a one-line meaning and the rules a value must
 * keep. Declared once, next to the record component that holds it ({@link SettingsGroup} binds the two), so the
 * typed record, the name-keyed front ends (YAML, {@code set("name", v)}, the REPL) and the error messages all
 * read the same declaration.
 *
 * <pre>{@code
 * Setting.number("epsilon", 0.2, "lower clip range ε_low").check(v -> v > 0, "must be > 0")
 * }</pre>
 *
 * @param choices for a choice setting the accepted spellings (an enum's constants in lower case), else empty
 */
public record Setting(String name, Kind kind, Object fallback, String doc, List<Rule> rules, List<String> choices) {
    /** The kind of value a setting takes. */
    public enum Kind { INT, NUMBER, BOOL, TEXT, NUMBERS, TEXT_OR_BOOL }

    /** A rule on a set (non-null) value; {@code text} completes "name = value …", e.g. "must be > 0". */
    public record Rule(Predicate<Object> ok, String text) {}

    public Setting {
        rules = List.copyOf(rules);
        choices = List.copyOf(choices);
    }

    public static Setting integer(String name, Integer fallback, String doc) {
        return new Setting(name, Kind.INT, fallback, doc, List.of(), List.of());
    }

    public static Setting number(String name, Double fallback, String doc) {
        return new Setting(name, Kind.NUMBER, fallback, doc, List.of(), List.of());
    }

    public static Setting flag(String name, boolean fallback, String doc) {
        return new Setting(name, Kind.BOOL, fallback, doc, List.of(), List.of());
    }

    public static Setting text(String name, String fallback, String doc) {
        return new Setting(name, Kind.TEXT, fallback, doc, List.of(), List.of());
    }

    public static Setting numbers(String name, String doc) {
        return new Setting(name, Kind.NUMBERS, null, doc, List.of(), List.of());
    }

    public static Setting textOrFlag(String name, String doc) {
        return new Setting(name, Kind.TEXT_OR_BOOL, null, doc, List.of(), List.of());
    }

    /** One of an enum's constants, spelt in lower case as TRL does ({@code dr_grpo}); the component holds the enum. */
    public static <E extends Enum<E>> Setting choice(String name, E fallback, String doc) {
        List<String> spellings = new ArrayList<>();
        for (E e : fallback.getDeclaringClass().getEnumConstants()) spellings.add(spelling(e));
        return choice(name, spelling(fallback), doc, spellings.toArray(String[]::new));
    }

    /** One of a fixed list of spellings; the component holds the text. */
    public static Setting choice(String name, String fallback, String doc, String... choices) {
        Setting s = new Setting(name, Kind.TEXT, fallback, doc, List.of(), List.of(choices));
        return s.rule(v -> s.choices.contains(v), "is not one of " + String.join(", ", choices));
    }

    static String spelling(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** This setting with one more rule on its number value (INT or NUMBER). */
    public Setting check(DoublePredicate ok, String text) {
        return rule(v -> ok.test(((Number) v).doubleValue()), text);
    }

    Setting rule(Predicate<Object> ok, String text) {
        List<Rule> r = new ArrayList<>(rules);
        r.add(new Rule(ok, text));
        return new Setting(name, kind, fallback, doc, r, choices);
    }

    /** Adds "name = value rule" to {@code problems} for every rule the (coerced) value breaks; null values pass. */
    public void check(Object value, List<String> problems) {
        if (value == null) return;
        for (Rule r : rules)
            if (!r.ok().test(value)) problems.add(name + " = " + (value instanceof String ? "'" + value + "'" : value) + " " + r.text());
    }

    /** Converts a value to this setting's kind (numbers from strings too, as YAML gives them; an enum to its spelling). */
    public Object coerce(Object value) {
        if (value == null) return null;
        return switch (kind) {
            case INT -> {
                if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) yield n.intValue();
                if (value instanceof String str && str.trim().matches("[-+]?\\d+")) yield Integer.parseInt(str.trim());
                throw new IllegalArgumentException(name + " must be an integer, got " + value);
            }
            case NUMBER -> {
                if (value instanceof Number n) yield n.doubleValue();
                if (value instanceof String str) {
                    try {
                        yield Double.parseDouble(str.trim());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(name + " must be a number, got '" + value + "'");
                    }
                }
                throw new IllegalArgumentException(name + " must be a number, got " + value);
            }
            case BOOL -> {
                if (value instanceof Boolean b) yield b;
                if (value instanceof String str && (str.equalsIgnoreCase("true") || str.equalsIgnoreCase("false"))) yield Boolean.parseBoolean(str);
                throw new IllegalArgumentException(name + " must be true or false, got " + value);
            }
            case TEXT -> value instanceof Enum<?> e && !choices.isEmpty() ? spelling(e) : value.toString();
            case TEXT_OR_BOOL -> value instanceof Boolean ? value : value.toString();
            case NUMBERS -> {
                List<Double> out = new ArrayList<>();
                if (value instanceof double[] d) for (double x : d) out.add(x);
                else if (value instanceof List<?> l) {
                    for (Object o : l) {
                        if (!(o instanceof Number n)) throw new IllegalArgumentException(name + " must be a list of numbers, got " + o);
                        out.add(n.doubleValue());
                    }
                } else throw new IllegalArgumentException(name + " must be a list of numbers, got " + value);
                yield List.copyOf(out);
            }
        };
    }
}
