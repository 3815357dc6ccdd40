package org.grpo4j.dsl.report;

import java.util.List;
import java.util.Locale;

/** A small HTML page writer: escaped text, tables, images; inline style, no scripts, nothing fetched from outside. */
final class Html {
    private static final String STYLE = """
            body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1320px;color:#222;padding:0 16px}
            h1{font-size:22px;margin-bottom:4px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
            table{border-collapse:collapse;margin:8px 0;font-size:13px} td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
            th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
            pre{margin:0;white-space:pre-wrap;max-width:520px;font-size:12px}
            .charts{display:flex;flex-wrap:wrap;gap:12px} .charts img{border:1px solid #eee}
            .note{color:#666;font-size:13px}
            """;
    private final StringBuilder sb = new StringBuilder();

    Html(String title) {
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(esc(title)).append("</title>\n<style>\n")
                .append(STYLE).append("</style>\n</head>\n<body>\n<h1>").append(esc(title)).append("</h1>\n")
                .append("<p class=\"note\">written by grpo4j (grpo report) from the files of the run folder</p>\n");
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder o = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> o.append("&lt;");
                case '>' -> o.append("&gt;");
                case '&' -> o.append("&amp;");
                case '"' -> o.append("&quot;");
                default -> o.append(c);
            }
        }
        return o.toString();
    }

    static String num(double v) {
        if (Double.isNaN(v)) return "n/a";
        double a = Math.abs(v);
        if (v == Math.rint(v) && a < 1e9) return Long.toString((long) v);
        return a != 0 && (a < 1e-3 || a >= 1e5) ? String.format(Locale.ROOT, "%.3e", v) : String.format(Locale.ROOT, "%.4f", v);
    }

    static String percent(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    void h2(String text) {
        sb.append("<h2>").append(esc(text)).append("</h2>\n");
    }

    void p(String text) {
        sb.append("<p>").append(esc(text)).append("</p>\n");
    }

    void open(String tag) {
        sb.append('<').append(tag).append(">\n");
    }

    void close(String tag) {
        sb.append("</").append(tag).append(">\n");
    }

    void img(String src, String alt, int width, int height) {
        sb.append("<img src=\"").append(esc(src)).append("\" alt=\"").append(esc(alt)).append("\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\">\n");
    }

    void list(List<String> items) {
        sb.append("<ul>\n");
        for (String i : items) sb.append("<li>").append(esc(i)).append("</li>\n");
        sb.append("</ul>\n");
    }

    /** A table; with {@code pre}, cells keep their line breaks (completions). Numbers are right-aligned. */
    void table(List<String> header, List<String[]> rows, boolean pre) {
        sb.append("<table>\n");
        if (header.stream().anyMatch(h -> !h.isEmpty())) {
            sb.append("<tr>");
            for (String h : header) sb.append("<th>").append(esc(h)).append("</th>");
            sb.append("</tr>\n");
        }
        for (String[] r : rows) {
            sb.append("<tr>");
            for (String c : r) {
                boolean number = c != null && c.matches("-?[0-9.]+([eE][+-]?[0-9]+)?%?|n/a");
                sb.append(number ? "<td class=\"num\">" : "<td>");
                sb.append(pre && !number ? "<pre>" + esc(c) + "</pre>" : esc(c)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    @Override
    public String toString() {
        return sb + "</body>\n</html>\n";
    }
}
