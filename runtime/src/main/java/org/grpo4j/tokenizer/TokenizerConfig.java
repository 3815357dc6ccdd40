package org.grpo4j.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code tokenizer_config.json} adds to {@code tokenizer.json}: the names of the BOS/EOS/PAD/UNK tokens and the
 * Jinja chat template. Token names may be plain strings or {@code {"content": ...}} objects, and the template a
 * string or a list of named templates (the one named {@code default} is used), as transformers accepts them.
 */
record TokenizerConfig(Optional<String> bosToken, Optional<String> eosToken, Optional<String> padToken,
                       Optional<String> unkToken, Optional<String> chatTemplate) {
    static final TokenizerConfig EMPTY = new TokenizerConfig(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty());

    static TokenizerConfig read(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new TokenizerException(path + ": cannot read: " + e.getMessage(), e);
        }
        return parse(text, path.toString());
    }

    static TokenizerConfig parse(String text, String path) {
        JsonNode root;
        try {
            root = TokenizerJson.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new TokenizerException(path + ": malformed JSON" + (loc == null ? "" :
                    " at line " + loc.getLineNr() + ", column " + loc.getColumnNr()) + ": " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new TokenizerException(path + ": not a JSON object");
        return new TokenizerConfig(token(root, "bos_token", path), token(root, "eos_token", path),
                token(root, "pad_token", path), token(root, "unk_token", path), template(root, path));
    }

    private static Optional<String> token(JsonNode root, String field, String path) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) return Optional.empty();
        if (v.isTextual()) return Optional.of(v.asText());
        if (v.isObject() && v.hasNonNull("content")) return Optional.of(v.get("content").asText());
        throw new TokenizerException(path + ": " + field + ": expected a string or {\"content\": ...}, got " + v);
    }

    private static Optional<String> template(JsonNode root, String path) {
        JsonNode v = root.get("chat_template");
        if (v == null || v.isNull()) return Optional.empty();
        if (v.isTextual()) return Optional.of(v.asText());
        if (v.isArray()) {
            for (JsonNode t : v)
                if ("default".equals(t.path("name").asText()) && t.hasNonNull("template"))
                    return Optional.of(t.get("template").asText());
            throw new TokenizerException(path + ": chat_template: a list of templates without one named \"default\"");
        }
        throw new TokenizerException(path + ": chat_template: expected a string or a list of {name, template}, got "
                + v.getNodeType());
    }
}
