package org.grpo4j.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A decoder's hyperparameters, read from (and written as) a Hugging Face {@code config.json}.
 *
 * @param ropeScaling  null, or Llama 3's {@code rope_type: llama3} frequency scaling
 * @param eosTokenIds  every id that ends a completion ({@code eos_token_id} may be a list)
 */
public record ModelConfig(Architecture architecture, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
                          int numHeads, int numKvHeads, int headDim, float rmsNormEps, double ropeTheta,
                          RopeScaling ropeScaling, boolean tieWordEmbeddings, int maxPositionEmbeddings, boolean attentionBias,
                          int bosTokenId, int[] eosTokenIds, String torchDtype) {

    /** Llama 3's RoPE frequency scaling ({@code rope_scaling} with {@code rope_type: llama3}). */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {}

    public ModelConfig {
        require(vocabSize > 0, "vocab_size", vocabSize, "must be positive");
        require(hiddenSize > 0, "hidden_size", hiddenSize, "must be positive");
        require(intermediateSize > 0, "intermediate_size", intermediateSize, "must be positive");
        require(numLayers > 0, "num_hidden_layers", numLayers, "must be positive");
        require(numHeads > 0, "num_attention_heads", numHeads, "must be positive");
        require(numKvHeads > 0 && numHeads % numKvHeads == 0, "num_key_value_heads", numKvHeads, "must divide num_attention_heads (" + numHeads + ")");
        require(headDim > 0 && headDim % 2 == 0, "head_dim", headDim, "must be a positive even number (RoPE rotates pairs)");
        require(rmsNormEps > 0, "rms_norm_eps", rmsNormEps, "must be positive");
        require(ropeTheta > 0, "rope_theta", ropeTheta, "must be positive");
        require(maxPositionEmbeddings > 0, "max_position_embeddings", maxPositionEmbeddings, "must be positive");
        eosTokenIds = eosTokenIds == null ? new int[0] : eosTokenIds.clone();
        if (torchDtype == null) torchDtype = "float32";
    }

    private static void require(boolean ok, String field, Object value, String rule) {
        if (!ok) throw new IllegalArgumentException("config.json: " + field + " = " + value + " " + rule);
    }

    /** Width of a fused QKV row: {@code (heads + 2·kvHeads) · headDim}. */
    public int qkvDim() {
        return (numHeads + 2 * numKvHeads) * headDim;
    }

    public boolean qkNorm() {
        return architecture.qkNorm;
    }

    /** The first EOS id, or -1. */
    public int eosTokenId() {
        return eosTokenIds.length == 0 ? -1 : eosTokenIds[0];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig c && toJson().equals(c.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return architecture.hfName + "(vocab " + vocabSize + ", d " + hiddenSize + ", layers " + numLayers + ", heads " + numHeads
                + "/" + numKvHeads + " × " + headDim + ", ffn " + intermediateSize + (tieWordEmbeddings ? ", tied" : ", untied") + ")";
    }

    /** Reads {@code dir/config.json} (or the file itself). */
    public static ModelConfig load(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.exists(file)) throw new IOException("no config.json in " + path);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": malformed JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage(), e);
        }
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage().replaceFirst("^config\\.json: ", ""), e);
        }
    }

    /** Parses a config.json tree; unsupported architectures or settings are errors that say what is supported. */
    public static ModelConfig parse(JsonNode root) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("config.json: expected a JSON object");
        JsonNode archs = root.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty())
            throw new IllegalArgumentException("config.json: 'architectures' is missing; supported: " + Architecture.supported());
        String archName = archs.get(0).asText();
        Architecture arch = Architecture.of(archName);
        if (arch == null)
            throw new IllegalArgumentException("config.json: architecture '" + archName + "' is not supported; supported: " + Architecture.supported());
        String act = text(root, "hidden_act", "silu");
        if (!act.equals("silu")) throw new IllegalArgumentException("config.json: hidden_act '" + act + "' is not supported; supported: silu");
        if (root.path("use_sliding_window").asBoolean(false))
            throw new IllegalArgumentException("config.json: use_sliding_window = true is not supported (only full causal attention)");
        if (root.path("mlp_bias").asBoolean(false))
            throw new IllegalArgumentException("config.json: mlp_bias = true is not supported (the Llama/Qwen MLP has no biases)");
        int hidden = integer(root, "hidden_size");
        int heads = integer(root, "num_attention_heads");
        int headDim = root.hasNonNull("head_dim") ? integer(root, "head_dim") : hidden / heads;
        RopeScaling scaling = ropeScaling(root.get("rope_scaling"));
        return new ModelConfig(arch, integer(root, "vocab_size"), hidden, integer(root, "intermediate_size"),
                integer(root, "num_hidden_layers"), heads,
                root.hasNonNull("num_key_value_heads") ? integer(root, "num_key_value_heads") : heads, headDim,
                (float) root.path("rms_norm_eps").asDouble(1e-6), root.path("rope_theta").asDouble(10000.0), scaling,
                root.path("tie_word_embeddings").asBoolean(false),
                root.hasNonNull("max_position_embeddings") ? integer(root, "max_position_embeddings") : 2048,
                root.path("attention_bias").asBoolean(arch.defaultQkvBias),
                root.path("bos_token_id").asInt(-1), ids(root.get("eos_token_id")), text(root, "torch_dtype", "float32"));
    }

    private static RopeScaling ropeScaling(JsonNode n) {
        if (n == null || n.isNull()) return null;
        String type = n.hasNonNull("rope_type") ? n.get("rope_type").asText() : n.path("type").asText("");
        if (type.equals("default")) return null;
        if (!type.equals("llama3"))
            throw new IllegalArgumentException("config.json: rope_scaling type '" + type + "' is not supported; supported: none, default, llama3");
        return new RopeScaling(n.path("factor").asDouble(8.0), n.path("low_freq_factor").asDouble(1.0),
                n.path("high_freq_factor").asDouble(4.0), n.path("original_max_position_embeddings").asInt(8192));
    }

    private static int integer(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) throw new IllegalArgumentException("config.json: '" + field + "' is missing");
        if (!n.canConvertToInt() || !n.isIntegralNumber()) throw new IllegalArgumentException("config.json: '" + field + "' must be an integer, got " + n);
        return n.asInt();
    }

    private static String text(JsonNode root, String field, String fallback) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? fallback : n.asText();
    }

    private static int[] ids(JsonNode n) {
        if (n == null || n.isNull()) return new int[0];
        if (n.isArray()) {
            int[] out = new int[n.size()];
            for (int i = 0; i < out.length; i++) out[i] = n.get(i).asInt();
            return out;
        }
        return new int[] {n.asInt()};
    }

    /** The config as Hugging Face writes it, so checkpoints load in transformers too. */
    public ObjectNode toJson() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode o = m.createObjectNode();
        o.putArray("architectures").add(architecture.hfName);
        o.put("model_type", switch (architecture) {
            case LLAMA -> "llama";
            case QWEN2 -> "qwen2";
            case QWEN3 -> "qwen3";
        });
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numLayers);
        o.put("num_attention_heads", numHeads);
        o.put("num_key_value_heads", numKvHeads);
        o.put("head_dim", headDim);
        o.put("hidden_act", "silu");
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("rms_norm_eps", rmsNormEps);
        o.put("rope_theta", ropeTheta);
        if (ropeScaling != null) {
            ObjectNode r = o.putObject("rope_scaling");
            r.put("rope_type", "llama3");
            r.put("factor", ropeScaling.factor());
            r.put("low_freq_factor", ropeScaling.lowFreqFactor());
            r.put("high_freq_factor", ropeScaling.highFreqFactor());
            r.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
        }
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("attention_bias", attentionBias);
        if (bosTokenId >= 0) o.put("bos_token_id", bosTokenId);
        if (eosTokenIds.length == 1) o.put("eos_token_id", eosTokenIds[0]);
        else if (eosTokenIds.length > 1) {
            ArrayNode a = o.putArray("eos_token_id");
            for (int id : eosTokenIds) a.add(id);
        }
        o.put("torch_dtype", torchDtype);
        return o;
    }

    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n");
    }

    /** A copy with other EOS ids (tokenizers often know more stop tokens than the config). */
    public ModelConfig withEosTokenIds(int... ids) {
        return new ModelConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                rmsNormEps, ropeTheta, ropeScaling, tieWordEmbeddings, maxPositionEmbeddings, attentionBias, bosTokenId, ids, torchDtype);
    }
}
