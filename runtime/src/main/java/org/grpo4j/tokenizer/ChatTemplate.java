package org.grpo4j.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's Jinja chat template (from {@code tokenizer_config.json}) rendered with Jinjava the way transformers'
 * {@code apply_chat_template} renders it: {@code trim_blocks} and {@code lstrip_blocks} on, the variables
 * {@code messages}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}, {@code pad_token},
 * {@code unk_token}, and the functions {@code raise_exception} and {@code strftime_now}.
 *
 * <p>Jinjava differs from Python's Jinja in a few places the published templates rely on; they are bridged here:
 * Python string methods ({@link PyStrings}), {@code tojson} with Python's separators, {@code trim} with Python's
 * whitespace, {@code messages[::-1]} (rewritten to {@code messages|reverse}) and keyword arguments of
 * {@code namespace(...)} whose values hold operators (parenthesised before parsing).
 *
 * <pre>{@code
 * String prompt = tokenizer.chatTemplate().apply(
 *         List.of(ChatMessage.system("Be brief."), ChatMessage.user("What is 2+2?")), true);
 * }</pre>
 */
public final class ChatTemplate {
    private final String source;
    private final String prepared;
    private final Map<String, Object> specialTokens;
    private final String origin;
    private final Clock clock;
    private final Jinjava jinjava;

    ChatTemplate(String source, String bos, String eos, String pad, String unk, String origin) {
        this(source, specialTokens(bos, eos, pad, unk), origin, Clock.systemDefaultZone());
    }

    private ChatTemplate(String source, Map<String, Object> specialTokens, String origin, Clock clock) {
        this.source = source;
        this.prepared = prepare(source);
        this.specialTokens = specialTokens;
        this.origin = origin;
        this.clock = clock;
        this.jinjava = newJinjava(clock);
    }

    /** A template from its Jinja source, for tests and for tokenizers built in code. */
    public static ChatTemplate of(String source, String bosToken, String eosToken) {
        return new ChatTemplate(source, bosToken, eosToken, "", "", "chat template");
    }

    private static Map<String, Object> specialTokens(String bos, String eos, String pad, String unk) {
        Map<String, Object> m = new HashMap<>();
        m.put("bos_token", bos);
        m.put("eos_token", eos);
        m.put("pad_token", pad);
        m.put("unk_token", unk);
        return m;
    }

    /** The same template with {@code strftime_now} reading the given clock (for reproducible prompts). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, specialTokens, origin, clock);
    }

    /** The Jinja source as written in the model folder. */
    public String source() {
        return source;
    }

    /** Renders a conversation; {@code addGenerationPrompt} appends the header of the assistant's next turn. */
    public String apply(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return apply(messages, addGenerationPrompt, Map.of());
    }

    /**
     * As {@link #apply(List, boolean)}, with extra template variables, e.g. {@code enable_thinking=false} for
     * Qwen3 or {@code tools}.
     */
    public String apply(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> extra) {
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            maps.add(map);
        }
        return render(maps, addGenerationPrompt, extra);
    }

    /**
     * Renders messages given as maps, for fields beyond role and content ({@code reasoning_content},
     * {@code tool_calls}), as transformers passes dictionaries to the template.
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> extra) {
        Map<String, Object> ctx = new HashMap<>(specialTokens);
        ctx.putAll(extra);
        ctx.put("messages", messages);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        RenderResult r;
        try {
            r = jinjava.renderForResult(prepared, ctx);
        } catch (RuntimeException e) {
            throw new TokenizerException(origin + ": chat template failed: " + rootMessage(e), e);
        }
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() != TemplateError.ErrorType.FATAL) continue;
            String raised = raisedMessage(e.getException());
            throw new TokenizerException(origin + ": chat template " + (raised != null
                    ? "raised an exception: " + raised
                    : "failed at line " + e.getLineno() + ": " + e.getMessage()), e.getException());
        }
        return r.getOutput();
    }

    private static String raisedMessage(Throwable t) {
        for (; t != null; t = t.getCause()) if (t instanceof TemplateRaised r) return r.getMessage();
        return null;
    }

    private static String rootMessage(Throwable t) {
        String raised = raisedMessage(t);
        if (raised != null) return raised;
        while (t.getCause() != null) t = t.getCause();
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** Thrown by the template's {@code raise_exception(message)}. */
    static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message);
        }
    }

    // ---------------------------------------------------------------- the Jinjava environment

    private static Jinjava newJinjava(Clock clock) {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyStrings());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                .withFailOnUnknownTokens(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(config);
        var g = j.getGlobalContext();
        try {
            g.registerFunction(new ELFunctionDefinition("", "raise_exception",
                    ChatTemplate.class.getDeclaredMethod("raiseException", Object.class)));
            g.registerFunction(new ELFunctionDefinition("", "strftime_now",
                    ChatTemplate.class.getDeclaredMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        g.registerFilter(new ToJson());
        g.registerFilter(new Trim());
        g.put("__clock__", clock);
        return j;
    }

    /** The template's {@code raise_exception(message)}. */
    public static Object raiseException(Object message) {
        throw new TemplateRaised(String.valueOf(message));
    }

    /** The template's {@code strftime_now(format)}, on the clock of the template being rendered. */
    public static String strftimeNow(String format) {
        JinjavaInterpreter in = JinjavaInterpreter.getCurrent();
        Object c = in == null ? null : in.getContext().get("__clock__");
        Clock clock = c instanceof Clock k ? k : Clock.systemDefaultZone();
        return Strftime.format(format, ZonedDateTime.now(clock));
    }

    /** {@code tojson} as Python's {@code json.dumps(x, ensure_ascii=False)}: {@code ", "} and {@code ": "}. */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indentArg = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            int indent = indentArg == null ? -1 : Integer.parseInt(indentArg.toString());
            StringBuilder b = new StringBuilder();
            PyJson.write(var, indent, 0, b);
            return b.toString();
        }
    }

    /** {@code trim} as Python's {@code str.strip()} (Unicode whitespace, not only ASCII). */
    static final class Trim implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) return "";
            return PyStrings.strip(var.toString(), args.length > 0 ? args[0] : null, true, true);
        }
    }

    // ---------------------------------------------------------------- source rewriting

    /** Bridges the two constructs of Python's Jinja that Jinjava's parser rejects; see the class comment. */
    static String prepare(String src) {
        String s = src.replace("[::-1]", "|reverse");
        StringBuilder out = new StringBuilder(s.length() + 16);
        int i = 0;
        while (true) {
            int at = s.indexOf("namespace(", i);
            if (at < 0 || (at > 0 && Character.isJavaIdentifierPart(s.charAt(at - 1)))) {
                if (at < 0) {
                    out.append(s, i, s.length());
                    return out.toString();
                }
                out.append(s, i, at + 10);
                i = at + 10;
                continue;
            }
            int open = at + "namespace(".length();
            out.append(s, i, open);
            int close = matchingParen(s, open - 1);
            if (close < 0) {
                out.append(s, open, s.length());
                return out.toString();
            }
            List<String> args = splitTopLevel(s.substring(open, close));
            for (int k = 0; k < args.size(); k++) {
                String a = args.get(k);
                int eq = topLevelAssign(a);
                if (k > 0) out.append(',');
                if (eq > 0) out.append(a, 0, eq + 1).append('(').append(a.substring(eq + 1)).append(')');
                else out.append(a);
            }
            out.append(')');
            i = close + 1;
        }
    }

    private static int matchingParen(String s, int open) {
        int depth = 0;
        char quote = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') quote = c;
            else if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') {
                if (--depth == 0) return i;
            }
        }
        return -1;
    }

    private static List<String> splitTopLevel(String args) {
        List<String> out = new ArrayList<>();
        int depth = 0, start = 0;
        char quote = 0;
        for (int i = 0; i < args.length(); i++) {
            char c = args.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') quote = c;
            else if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            else if (c == ',' && depth == 0) {
                out.add(args.substring(start, i));
                start = i + 1;
            }
        }
        if (!args.isBlank()) out.add(args.substring(start));
        return out;
    }

    /** The index of a keyword argument's {@code =} (not {@code ==}), or -1. */
    private static int topLevelAssign(String arg) {
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c == '=' ) {
                boolean cmp = (i + 1 < arg.length() && arg.charAt(i + 1) == '=')
                        || (i > 0 && "=!<>".indexOf(arg.charAt(i - 1)) >= 0);
                return cmp ? -1 : i;
            }
            if (!Character.isJavaIdentifierPart(c) && !Character.isWhitespace(c)) return -1;
        }
        return -1;
    }
}
