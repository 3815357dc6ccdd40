package org.grpo4j.dsl.recipe;

import org.grpo4j.dsl.data.Dataset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.grpo4j.tokenizer.ChatMessage;
import org.grpo4j.tokenizer.Tokenizer;

/**
 * How a data set row becomes prompt text, shared by the GRPO and SFT recipes: a {@code {column}} template or one
 * column (text, or a list of chat messages), optionally through the tokenizer's chat template with a system
 * prompt. The chat template is used when asked for, when a system prompt is set, or when the prompt is a list
 * of messages (as TRL does for conversational data sets).
 */
record Prompting(String promptColumn, String systemPrompt, String template, Boolean chat) {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{|\\}\\}|\\{([A-Za-z_][A-Za-z0-9_]*)\\}");

    /** The column names a template refers to, in order of first use. */
    static List<String> placeholders(String template) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) if (m.group(1) != null) out.add(m.group(1));
        return new ArrayList<>(out);
    }

    /** Fills {@code {column}} with the row's values; {@code {{} and {@code }}} write literal braces. */
    static String fill(String template, Map<String, Object> row) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String rep = m.group(1) == null ? m.group().substring(1) : text(row.get(m.group(1)));
            m.appendReplacement(sb, Matcher.quoteReplacement(rep));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    static String text(Object v) {
        if (v == null) return "";
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) return Long.toString(d.longValue());
        return v.toString();
    }

    /** A column value that is a list of {@code {role, content}} maps. */
    static boolean isConversation(Object v) {
        if (!(v instanceof List<?> l) || l.isEmpty()) return false;
        for (Object o : l) if (!(o instanceof Map<?, ?> m) || !m.containsKey("role") || !m.containsKey("content")) return false;
        return true;
    }

    static List<ChatMessage> messages(Object v) {
        List<ChatMessage> out = new ArrayList<>();
        for (Object o : (List<?>) v) {
            Map<?, ?> m = (Map<?, ?>) o;
            out.add(new ChatMessage(String.valueOf(m.get("role")), text(m.get("content"))));
        }
        return out;
    }

    /** The column the prompt is read from: promptColumn, or {@code messages} when the default "prompt" column is absent. */
    String column(Dataset d) {
        if (promptColumn.equals("prompt") && !d.hasColumn("prompt") && d.hasColumn("messages")) return "messages";
        return promptColumn;
    }

    /** Adds what is wrong with using these settings on this data set and tokenizer (tokenizer may be null). */
    void check(List<String> problems, Dataset d, Tokenizer tok, String what) {
        if (template != null) {
            List<String> cols = placeholders(template);
            if (cols.isEmpty()) problems.add("promptTemplate = \"" + template + "\" has no {column} placeholder; name a column of " + d.source()
                    + " (columns are: " + String.join(", ", d.columns()) + ")");
            for (String c : cols) if (!d.hasColumn(c)) problems.add("promptTemplate: {" + c + "}: " + d.missingColumn(c) + (what.isEmpty() ? "" : " (" + what + ")"));
        } else if (!d.hasColumn(column(d))) {
            problems.add("promptColumn: " + d.missingColumn(column(d)) + (what.isEmpty() ? "" : " (" + what + ")"));
            return;
        }
        missingPrompts(problems, d, template != null ? placeholders(template) : List.of(column(d)), what);
        boolean conversational = template == null && !d.rows().isEmpty() && isConversation(d.rows().getFirst().get(column(d)));
        if (Boolean.FALSE.equals(chat) && conversational)
            problems.add("chatTemplate = false, but column '" + column(d) + "' of " + d.source() + " holds chat messages, which need the chat template");
        if (Boolean.FALSE.equals(chat) && systemPrompt != null)
            problems.add("systemPrompt is set but chatTemplate = false: a system prompt is a chat message; write it into promptTemplate instead");
        if (tok != null && usesChat(conversational) && !tok.hasChatTemplate())
            problems.add("chatTemplate: the tokenizer " + tok.source() + " has no chat template (chat_template in tokenizer_config.json)"
                    + (systemPrompt != null ? ", which systemPrompt needs" : "") + "; use promptTemplate(\"…{" + column(d) + "}…\") instead");
    }

    /**
     * Rows whose prompt column is absent or null would train on an empty prompt: each is named by its file and line
     * (the first few, then a count), whether or not a template wraps the column.
     */
    private static void missingPrompts(List<String> problems, Dataset d, List<String> columns, String what) {
        int bad = 0;
        for (int i = 0; i < d.size(); i++) {
            Map<String, Object> row = d.row(i);
            for (String c : columns) {
                if (row.get(c) != null) continue;
                if (bad++ < 5) problems.add(d.origin(i) + ": the prompt column '" + c + "' is " + (row.containsKey(c) ? "null" : "missing")
                        + (what.isEmpty() ? "" : " (" + what + ")") + "; fix the row, or drop such rows with .filter(r -> r.get(\"" + c + "\") != null)");
                break;
            }
        }
        if (bad > 5) problems.add("… and " + (bad - 5) + " more rows of " + d.source() + " without a prompt");
    }

    boolean usesChat(boolean conversational) {
        return Boolean.TRUE.equals(chat) || (chat == null && (systemPrompt != null || conversational));
    }

    /** The chat messages of a row's prompt (with the system prompt first), or null when no chat template is used. */
    List<ChatMessage> chatMessages(Dataset d, Map<String, Object> row) {
        Object v = template == null ? row.get(column(d)) : null;
        boolean conv = isConversation(v);
        if (!usesChat(conv)) return null;
        List<ChatMessage> msgs = new ArrayList<>();
        List<ChatMessage> user = conv ? messages(v) : List.of(ChatMessage.user(template != null ? fill(template, row) : text(v)));
        // a chat data set's messages column ends with the answer (NuminaMath-TIR's does): the prompt is what comes before it
        if (conv && !column(d).equals(promptColumn))
            while (user.size() > 1 && user.getLast().role().equals("assistant")) user = user.subList(0, user.size() - 1);
        if (systemPrompt != null && (user.isEmpty() || !user.getFirst().role().equals("system"))) msgs.add(ChatMessage.system(systemPrompt));
        msgs.addAll(user);
        return msgs;
    }

    /** A prompt column holds text (or a number) or chat messages; anything else would be rendered as garbage. */
    private static void requireText(String column, Object v) {
        if (v == null) throw new IllegalArgumentException("column '" + column + "' is null");
        if ((v instanceof List<?> || v instanceof Map<?, ?>) && !isConversation(v))
            throw new IllegalArgumentException("column '" + column + "' holds " + org.grpo4j.dsl.data.Dataset.typeName(v)
                    + ", but a prompt is text or a list of {role, content} messages");
    }

    /** The prompt text the model sees for a row. */
    String render(Dataset d, Map<String, Object> row, Tokenizer tok) {
        if (template == null) requireText(column(d), row.get(column(d)));
        List<ChatMessage> msgs = chatMessages(d, row);
        if (msgs != null) return tok.chatTemplate().apply(msgs, true);
        return template != null ? fill(template, row) : text(row.get(column(d)));
    }
}
