package org.grpo4j.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.grpo4j.tokenizer.ChatMessage;
import org.grpo4j.tokenizer.Tokenizer;

/**
 * {@code grpo tokenize --tokenizer DIR [--ids-only] [--chat [--system TEXT]] TEXT...}: shows how a model folder's
 * tokenizer encodes text. {@code --chat} first renders the text as a user message with the chat template (and the
 * assistant's generation prompt); {@code --decode 1,2,3} goes the other way.
 */
public final class TokenizeCommand implements Command {
    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String summary() {
        return "encode text with a model folder's tokenizer: --tokenizer DIR [--ids-only] [--chat] TEXT";
    }

    @Override
    public Set<String> flags() {
        return Set.of("ids-only", "chat", "no-special-tokens");
    }

    @Override
    public int run(Args args) throws Exception {
        Path dir = Path.of(args.require("tokenizer"));
        boolean idsOnly = args.flag("ids-only");
        boolean chat = args.flag("chat");
        boolean noSpecial = args.flag("no-special-tokens");
        String system = args.get("system", null);
        String decode = args.get("decode", null);
        args.rejectUnknown();
        Tokenizer tok = Tokenizer.load(dir);
        if (decode != null) {
            if (!args.positional().isEmpty()) throw new UsageException("--decode takes ids, not text");
            System.out.println(tok.decode(args.ids("decode")));
            return 0;
        }
        if (args.positional().isEmpty()) throw new UsageException("what text? e.g. grpo tokenize --tokenizer DIR \"Hello\"");
        if (system != null && !chat) throw new UsageException("--system only applies with --chat");
        String text = String.join(" ", args.positional());
        if (chat) {
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) messages.add(ChatMessage.system(system));
            messages.add(ChatMessage.user(text));
            text = tok.chatTemplate().apply(messages, true);
        }
        int[] ids = tok.encode(text, !noSpecial);
        if (idsOnly) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < ids.length; i++) b.append(i == 0 ? "" : ",").append(ids[i]);
            System.out.println(b);
            return 0;
        }
        if (chat) System.out.println("rendered: " + quote(text));
        System.out.println(ids.length + " tokens, " + text.getBytes(StandardCharsets.UTF_8).length + " bytes, "
                + tok.source());
        for (int id : ids)
            System.out.printf("%8d  %-24s %s%n", id, tok.token(id), quote(tok.decode(new int[] {id})));
        return 0;
    }


    /** The text as a Java-style literal, so spaces, newlines and replacement characters are visible. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (cp < 0x20 || cp == 0x7F) b.append(String.format("\\u%04x", cp));
                    else b.appendCodePoint(cp);
                }
            }
        });
        return b.append('"').toString();
    }
}
