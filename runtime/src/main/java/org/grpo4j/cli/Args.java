package org.grpo4j.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line arguments: {@code --name value} options, {@code --flag} switches and positional words.
 * Which options take a value is declared by the command, so {@code --ids-only} never swallows the next word.
 */
public final class Args {
    private final Map<String, String> options = new HashMap<>();
    private final Map<String, List<String>> repeated = new HashMap<>(); // every value of an option given more than once
    private final Set<String> flagsSeen = new java.util.HashSet<>();
    private final List<String> positional = new ArrayList<>();
    private final Set<String> used = new java.util.HashSet<>();

    private Args() {}

    /** Parses {@code argv}; names in {@code flags} are switches, every other {@code --name} takes a value. */
    public static Args parse(String[] argv, Set<String> flags) {
        Args a = new Args();
        for (int i = 0; i < argv.length; i++) {
            String s = argv[i];
            if (s.startsWith("--") && s.length() > 2) {
                String name = s.substring(2);
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    a.put(name.substring(0, eq), name.substring(eq + 1));
                } else if (flags.contains(name)) {
                    a.flagsSeen.add(name);
                } else {
                    if (i + 1 >= argv.length) throw new Command.UsageException("option --" + name + " needs a value");
                    a.put(name, argv[++i]);
                }
            } else if (s.equals("-n") && i + 1 < argv.length) {
                a.options.put("n", argv[++i]);
            } else {
                a.positional.add(s);
            }
        }
        return a;
    }

    private void put(String name, String value) {
        options.put(name, value);
        repeated.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }

    /** Every value of an option that may be repeated ({@code --model A --model B}), in order; empty when absent. */
    public List<String> all(String name) {
        used.add(name);
        return List.copyOf(repeated.getOrDefault(name, List.of()));
    }

    public boolean flag(String name) {
        used.add(name);
        return flagsSeen.contains(name);
    }

    public String get(String name, String fallback) {
        used.add(name);
        return options.getOrDefault(name, fallback);
    }

    public String require(String name) {
        used.add(name);
        String v = options.get(name);
        if (v == null) throw new Command.UsageException("missing option --" + name);
        return v;
    }

    public int getInt(String name, int fallback) {
        String v = get(name, null);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new Command.UsageException("--" + name + " expects an integer, got '" + v + "'");
        }
    }

    public double getDouble(String name, double fallback) {
        String v = get(name, null);
        if (v == null) return fallback;
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new Command.UsageException("--" + name + " expects a number, got '" + v + "'");
        }
    }

    /**
     * A list of token ids such as {@code 12,7,99} (commas and/or spaces) from a required option; the messages name
     * the option, so {@code --ids} and {@code --decode} read the same way.
     */
    public int[] ids(String name) {
        String[] parts = require(name).trim().split("[,\\s]+");
        int[] ids = new int[parts.length];
        int n = 0;
        for (String p : parts) {
            if (p.isEmpty()) continue;
            try {
                ids[n++] = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new Command.UsageException("--" + name + " expects comma-separated token ids, got '" + p + "'");
            }
        }
        if (n == 0) throw new Command.UsageException("--" + name + " is empty");
        return java.util.Arrays.copyOf(ids, n);
    }

    /** Every {@code --name value} option and switch (as {@code "true"}) the command has not read yet, in no order. */
    public Map<String, String> unread() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        options.forEach((k, v) -> { if (!used.contains(k)) m.put(k, v); });
        for (String f : flagsSeen) if (!used.contains(f)) m.put(f, "true");
        return m;
    }

    public List<String> positional() {
        return positional;
    }

    /** Fails on options the command never asked for, so a typo such as {@code --temprature} is not ignored. */
    public void rejectUnknown() {
        for (String k : options.keySet())
            if (!used.contains(k)) throw new Command.UsageException("unknown option --" + k);
        for (String k : flagsSeen)
            if (!used.contains(k)) throw new Command.UsageException("unknown option --" + k);
    }
}
