package org.grpo4j.tokenizer;

import java.util.Map;

/** Python's {@code json.dumps(x, ensure_ascii=False, indent=...)} output, for the chat templates' {@code tojson}. */
final class PyJson {
    private PyJson() {}

    /** {@code indent < 0} is Python's {@code indent=None}: one line with {@code ", "} and {@code ": "}. */
    static void write(Object v, int indent, int depth, StringBuilder b) {
        if (v == null) b.append("null");
        else if (v instanceof Boolean x) b.append(x ? "true" : "false");
        else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            b.append(d == Math.rint(d) && !Double.isInfinite(d) ? String.format("%.1f", d) : Double.toString(d));
        } else if (v instanceof Number n) b.append(n);
        else if (v instanceof CharSequence s) string(s.toString(), b);
        else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                b.append("{}");
                return;
            }
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) b.append(indent < 0 ? ", " : ",");
                newline(indent, depth + 1, b);
                string(String.valueOf(e.getKey()), b);
                b.append(": ");
                write(e.getValue(), indent, depth + 1, b);
                first = false;
            }
            newline(indent, depth, b);
            b.append('}');
        } else if (v instanceof Iterable<?> it) {
            if (!it.iterator().hasNext()) {
                b.append("[]");
                return;
            }
            b.append('[');
            boolean first = true;
            for (Object o : it) {
                if (!first) b.append(indent < 0 ? ", " : ",");
                newline(indent, depth + 1, b);
                write(o, indent, depth + 1, b);
                first = false;
            }
            newline(indent, depth, b);
            b.append(']');
        } else if (v instanceof Object[] arr) {
            write(java.util.Arrays.asList(arr), indent, depth, b);
        } else {
            string(v.toString(), b);
        }
    }

    private static void newline(int indent, int depth, StringBuilder b) {
        if (indent < 0) return;
        b.append('\n');
        b.append(" ".repeat(indent * depth));
    }

    private static void string(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
