package org.grpo4j.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods for Jinjava, whose strings are {@code java.lang.String}: chat templates call
 * {@code content.strip()}, {@code .startswith(...)}, {@code .split('</think>')[-1].lstrip('\n')}, which Jinja gets
 * from Python. Placed before Jinjava's own resolvers, it answers only for these names on strings.
 */
final class PyStrings extends ELResolver {
    /** Python's {@code str.isspace} characters: what {@code strip()} without arguments removes. */
    static boolean isPySpace(char c) {
        return (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int a = 0, b = s.length();
        if (left) while (a < b && strippable(s.charAt(a), chars)) a++;
        if (right) while (b > a && strippable(s.charAt(b - 1), chars)) b--;
        return s.substring(a, b);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? isPySpace(c) : chars.indexOf(c) >= 0;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) return null;
        Object[] p = params == null ? new Object[0] : params;
        Object result = switch (method.toString()) {
            case "strip" -> strip(s, charsArg(p), true, true);
            case "lstrip" -> strip(s, charsArg(p), true, false);
            case "rstrip" -> strip(s, charsArg(p), false, true);
            case "startswith" -> affix(s, p, true);
            case "endswith" -> affix(s, p, false);
            case "split" -> split(s, p);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                    + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "replace" -> p.length >= 2 ? s.replace(String.valueOf(p[0]), String.valueOf(p[1])) : null;
            case "find" -> p.length >= 1 ? (long) s.indexOf(String.valueOf(p[0])) : null;
            case "count" -> p.length >= 1 ? (long) count(s, String.valueOf(p[0])) : null;
            case "join" -> p.length == 1 && p[0] instanceof Iterable<?> it ? join(s, it) : null;
            default -> null;
        };
        if (result != null) context.setPropertyResolved(true);
        return result;
    }

    private static String charsArg(Object[] p) {
        return p.length == 0 || p[0] == null ? null : p[0].toString();
    }

    private static Boolean affix(String s, Object[] p, boolean prefix) {
        if (p.length == 0) return null;
        if (p[0] instanceof Iterable<?> options) { // Python accepts a tuple of alternatives
            for (Object o : options) if (prefix ? s.startsWith(String.valueOf(o)) : s.endsWith(String.valueOf(o))) return true;
            return false;
        }
        String a = String.valueOf(p[0]);
        return prefix ? s.startsWith(a) : s.endsWith(a);
    }

    private static List<String> split(String s, Object[] p) {
        String sep = p.length == 0 || p[0] == null ? null : p[0].toString();
        int max = p.length > 1 && p[1] instanceof Number n ? n.intValue() : -1;
        List<String> out = new ArrayList<>();
        if (sep == null) { // runs of whitespace, no empty strings
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isPySpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (max >= 0 && out.size() == max) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !isPySpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("split(): empty separator");
        int from = 0;
        while (max < 0 || out.size() < max) {
            int at = s.indexOf(sep, from);
            if (at < 0) break;
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return b.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    private static String join(String sep, Iterable<?> items) {
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (Object o : items) {
            if (!first) b.append(sep);
            b.append(o);
            first = false;
        }
        return b.toString();
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
