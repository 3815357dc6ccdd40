package org.grpo4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Qwen3 and Llama 3 chat templates rendered by Jinjava equal transformers.js's rendering (fixture written by
 * render_chat.mjs, checked against Python's jinja2 by render_chat_jinja2.py), for system+user, multi-turn, thinking,
 * reasoning_content, tool calls, with and without the generation prompt.
 */
class ChatTemplateTest {
    @SuppressWarnings("unchecked")
    @Test
    void templatesRenderExactlyAsTransformers() throws Exception {
        List<Map<String, Object>> cases;
        try (InputStream in = getClass().getResourceAsStream("/tokenizer/chat_fixtures.json")) {
            cases = new ObjectMapper().readValue(in, new TypeReference<>() {});
        }
        Tokenizer qwen = Tokenizer.load(TestFiles.npmModel("qwen3"));
        Tokenizer llama = Tokenizer.load(TestFiles.npmModel("llama3"));
        assertTrue(cases.size() >= 40, "fixture cases: " + cases.size());
        List<String> failures = new ArrayList<>();
        for (Map<String, Object> c : cases) {
            Tokenizer tok = c.get("template").equals("qwen3") ? qwen : llama;
            var messages = (List<Map<String, Object>>) c.get("messages");
            boolean agp = (Boolean) c.get("add_generation_prompt");
            var extra = (Map<String, Object>) c.get("extra");
            String got = tok.chatTemplate().render(messages, agp, extra);
            if (!got.equals(c.get("expected")))
                failures.add(c.get("template") + " " + c.get("name") + " agp=" + agp + " " + extra
                        + "\n   ours " + HfOracleTest.show(got) + "\n   want " + HfOracleTest.show((String) c.get("expected")));
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " differ:\n" + String.join("\n", failures));
    }

    @Test
    void chatMessageApiEqualsMapRendering() {
        Tokenizer qwen = Tokenizer.load(TestFiles.npmModel("qwen3"));
        String prompt = qwen.chatTemplate().apply(List.of(ChatMessage.system("Be brief."), ChatMessage.user("2+2?")), true);
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", prompt);
        // the rendered prompt encodes its special tokens as single ids
        int[] ids = qwen.encode(prompt);
        assertEquals(qwen.id("<|im_start|>").getAsInt(), ids[0]);
        assertEquals(prompt, qwen.decode(ids));
    }

    @Test
    void raiseExceptionBecomesTokenizerException() {
        ChatTemplate t = ChatTemplate.of("{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversations must start with a user turn') }}{% endif %}ok", "", "");
        assertEquals("ok", t.apply(List.of(ChatMessage.user("hi")), false));
        TokenizerException e = assertThrows(TokenizerException.class, () -> t.apply(List.of(ChatMessage.assistant("x")), false));
        assertTrue(e.getMessage().contains("Conversations must start with a user turn"), e.getMessage());
    }

    @Test
    void strftimeNowReadsTheGivenClock() {
        Clock fixed = Clock.fixed(Instant.parse("2024-07-26T10:00:00Z"), ZoneOffset.UTC);
        ChatTemplate t = ChatTemplate.of("Today Date: {{ strftime_now('%d %b %Y') }} ({{ strftime_now('%A %B %-d') if false else strftime_now('%A, %B %d') }})", "", "")
                .withClock(fixed);
        assertEquals("Today Date: 26 Jul 2024 (Friday, July 26)", t.apply(List.of(), false));
    }

    @Test
    void pythonStringMethodsAndFilters() {
        ChatTemplate t = ChatTemplate.of("{{ '  a b  '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'a,b,,c'.split(',') | length }}|"
                + "{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x', 'c')) }}|{{ ' \u3000hi\u3000'|trim }}|"
                + "{{ {'k': [1, 'é', none, true]}|tojson }}|{{ 'a b'.split() }}|{{ 'AbC'.upper() }}{{ 'AbC'.lower() }}"
                + "{% set ns = namespace(n=messages|length - 1, hit=false) %}|{{ ns.n }}"
                + "{% for m in messages[::-1] %}{{ m.content }}{% endfor %}", "", "");
        assertEquals("a b|axx|4|true|true|hi|{\"k\": [1, \"é\", null, true]}|[a, b]|ABCabc|1ba",
                t.apply(List.of(ChatMessage.user("a"), ChatMessage.user("b")), false));
    }

    @Test
    void missingTemplateIsAClearError() {
        Tokenizer t = CharTokenizer.build(List.of("ab"), List.of()).tokenizer();
        assertTrue(t.hasChatTemplate()); // the char tokenizer always writes one
        Tokenizer bare = Tokenizer.fromJson(CharTokenizer.build(List.of("ab"), List.of()).tokenizerJson(),
                TokenizerConfig.EMPTY, "bare/tokenizer.json");
        TokenizerException e = assertThrows(TokenizerException.class, bare::chatTemplate);
        assertTrue(e.getMessage().contains("bare/tokenizer.json") && e.getMessage().contains("no chat template"), e.getMessage());
    }
}
