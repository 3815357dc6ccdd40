package org.grpo4j.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The settings a trainer knows, under their TRL names: the flat, name-keyed view of its {@link SettingsGroup}s
 * (derived from them, never declared here), so recipes (Java, YAML) and the REPL set them by the names TRL users
 * already know, and a misspelt name is an error that suggests the right one.
 */
public final class SettingsSchema {
    private final String what;
    private final Map<String, Setting> settings = new LinkedHashMap<>();

    public SettingsSchema(String what, List<SettingsGroup<?>> groups) {
        this.what = what;
        for (SettingsGroup<?> g : groups)
            for (Setting s : g.settings())
                if (settings.put(s.name(), s) != null) throw new IllegalStateException(what + ": setting '" + s.name() + "' is declared twice");
    }

    /** What these settings configure ("GRPO", "SFT"), for messages. */
    public String what() {
        return what;
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
        return s.coerce(value);
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
}
