package org.grpo4j.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The settings a trainer knows, under their TRL names, with defaults and value kinds. Both {@code GrpoConfig}
 * and {@code SftConfig} are a validated map over one of these, so recipes (Java, YAML) set them by the names
 * TRL users already know, and a misspelt name is an error that suggests the right one.
 */
public final class SettingsSchema {
    /** The kind of value a setting takes. */
    public enum Kind { INT, NUMBER, BOOL, TEXT, NUMBERS, TEXT_OR_BOOL }

    /** One setting: TRL name, kind, default (may be null) and a one-line description. */
    public record Setting(String name, Kind kind, Object fallback, String doc) {}

    private final String what;
    private final Map<String, Setting> settings = new LinkedHashMap<>();

    public SettingsSchema(String what) {
        this.what = what;
    }

    public SettingsSchema add(String name, Kind kind, Object fallback, String doc) {
        settings.put(name, new Setting(name, kind, fallback, doc));
        return this;
    }

    public Map<String, Setting> settings() {
        return Collections.unmodifiableMap(settings);
    }

    public boolean knows(String name) {
        return settings.containsKey(name);
    }

    /** The defaults, in declaration order. */
    public Map<String, Object> defaults() {
        Map<String, Object> m = new LinkedHashMap<>();
        settings.forEach((k, s) -> m.put(k, s.fallback()));
        return m;
    }

    /** Checks the name and converts the value to the setting's kind (numbers from strings too, as YAML gives them). */
    public Object coerce(String name, Object value) {
        Setting s = settings.get(name);
        if (s == null) throw new IllegalArgumentException("unknown " + what + " setting '" + name + "'" + suggestion(name));
        if (value == null) return null;
        return switch (s.kind()) {
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
            case TEXT -> value.toString();
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

    /** " (did you mean 'x'?)" for the closest known name, or "". */
    public String suggestion(String name) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String k : settings.keySet()) {
            int d = editDistance(name.toLowerCase(Locale.ROOT), k);
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best != null && bestD <= Math.max(2, name.length() / 3) ? " (did you mean '" + best + "'?)" : "";
    }

    public static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++)
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Adds a problem when {@code name}'s text value is not one of {@code allowed}. */
    public static void oneOf(List<String> problems, Settings s, String name, String... allowed) {
        String v = s.text(name);
        for (String a : allowed) if (a.equals(v)) return;
        problems.add(name + " = '" + v + "' is not one of " + String.join(", ", allowed));
    }
}
