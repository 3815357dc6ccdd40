package org.grpo4j.dsl.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Hugging Face dataset folder as {@code huggingface-cli download --repo-type dataset} leaves it, resolved into
 * splits the way {@code datasets.load_dataset(folder)} does:
 * <ol>
 *   <li>the {@code configs:} block of the {@code README.md} YAML front matter, when there is one ({@code data_files}
 *       as a pattern, a list of patterns, or a list of {@code {split, path}}; {@code data_dir}); the config is the one
 *       named, else the only one, else the one called {@code default} or marked {@code default: true};</li>
 *   <li>else the splits a {@code save_to_disk} folder's {@code dataset_dict.json} lists, each a folder of {@code .arrow}
 *       files;</li>
 *   <li>else sharded files {@code data/<split>-00000-of-00003.<ext>}, any split name;</li>
 *   <li>else a folder named after a split ({@code train}, {@code training}; {@code validation}, {@code valid},
 *       {@code dev}, {@code val}; {@code test}, {@code testing}, {@code eval}, {@code evaluation}), alone or delimited
 *       by {@code - . _ space digits}, e.g. {@code data/train/…};</li>
 *   <li>else a file name holding such a word so delimited ({@code train.jsonl}, {@code my_test-1.csv});</li>
 *   <li>else every file is the {@code train} split.</li>
 * </ol>
 * Hidden files and folders, {@code __…} folders and {@code README.md}/{@code dataset_info.json}… are ignored; the
 * data format is the most common data-file extension, files of other types are left out. A Hub name such as
 * {@code AI-MO/NuminaMath-TIR} is looked up in the local Hugging Face cache ({@code $HF_HUB_CACHE},
 * {@code $HF_HOME/hub}, {@code ~/.cache/huggingface/hub}); nothing is downloaded.
 *
 * <pre>{@code
 * HfFolder f = HfFolder.open(Path.of("NuminaMath-TIR"), null);
 * System.out.println(f.splits().keySet() + " as " + f.format());   // [train, test] as parquet
 * Dataset train = Dataset.hf("NuminaMath-TIR", "train");
 * }</pre>
 *
 * @param config  the config used ({@code null} when the README declares none)
 * @param configs every config the README declares
 * @param splits  split name → its files, in the order {@code datasets} lists them
 */
public record HfFolder(Path root, String config, List<String> configs, Map<String, List<Path>> splits, String format) {
    /** The data file types read, by extension. */
    public static final List<String> FORMATS = List.of("parquet", "arrow", "jsonl", "json", "csv", "tsv");

    private static final List<String> IGNORED = List.of("README.md", "config.json", "dataset_info.json", "dataset_infos.json", "dummy_data.zip",
            "dataset_dict.json", "state.json");
    private static final Map<String, List<String>> KEYWORDS = keywords();
    private static final String SEP = "[-._ 0-9]";
    private static final Pattern SHARDED = Pattern.compile("data/(?<split>[^/]+?)-[0-9]{5}-of-[0-9]{5}[^/]*\\.[^/]*");
    private static final Pattern SPLIT_NAME = Pattern.compile("\\w+(\\.\\w+)*");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    public HfFolder {
        configs = List.copyOf(configs);
        Map<String, List<Path>> copy = new LinkedHashMap<>();
        splits.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        splits = Collections.unmodifiableMap(copy);
    }

    private static Map<String, List<String>> keywords() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("train", List.of("train", "training"));
        m.put("validation", List.of("validation", "valid", "dev", "val"));
        m.put("test", List.of("test", "testing", "eval", "evaluation"));
        return Collections.unmodifiableMap(m);
    }

    /** The files of one split; an unknown split is an error listing the splits there are. */
    public List<Path> files(String split) {
        List<Path> f = splits.get(split);
        if (f == null)
            throw new IllegalArgumentException(root + ": no split '" + split + "'" + (config != null ? " in config '" + config + "'" : "")
                    + "; splits are: " + String.join(", ", splits.keySet()));
        return f;
    }

    /**
     * Resolves a folder (or a Hub name found in the local cache) into splits. {@code config} picks one of the README's
     * configs; null takes the default one.
     */
    public static HfFolder open(Path folder, String config) {
        Path root = locate(folder);
        List<Path> all = dataFiles(root);
        Map<String, Object> front = frontMatter(root.resolve("README.md"));
        Object configsBlock = front.get("configs");
        if (configsBlock != null) return fromConfigs(root, configsBlock, config, all);
        if (Files.isRegularFile(root.resolve("dataset_dict.json"))) return fromDatasetDict(root, config, all);
        if (config != null && !config.equals("default"))
            throw new IllegalArgumentException(root + ": no config '" + config + "' (the folder's README.md declares no configs:, so it has only 'default')");
        if (all.isEmpty()) throw new IllegalArgumentException(root + ": no data files (" + String.join(", ", FORMATS) + ") in the folder");
        return withFormat(root, null, List.of(), inferSplits(root, all));
    }

    /** The folder itself, or a Hub name's snapshot in the local Hugging Face cache. */
    static Path locate(Path given) {
        if (Files.isDirectory(given)) return given;
        if (Files.isRegularFile(given)) throw new IllegalArgumentException(given + ": a file, not a dataset folder (Dataset.of reads either)");
        String name = given.toString();
        if (!given.isAbsolute() && name.matches("[\\w.-]+/[\\w.-]+")) {
            for (Path hub : hubCaches()) {
                Path repo = hub.resolve("datasets--" + name.replace("/", "--"));
                Path snap = snapshot(repo);
                if (snap != null) return snap;
            }
            throw new IllegalArgumentException(name + ": not a local file or folder, and not in the Hugging Face cache ("
                    + String.join(", ", hubCaches().stream().map(Path::toString).toList())
                    + "); grpo4j does not download: run `huggingface-cli download --repo-type dataset " + name + " --local-dir DIR` and give DIR");
        }
        throw new IllegalArgumentException(given + ": folder not found");
    }

    private static List<Path> hubCaches() {
        List<Path> out = new ArrayList<>();
        String hub = System.getenv("HF_HUB_CACHE"), home = System.getenv("HF_HOME");
        if (hub != null) out.add(Path.of(hub));
        if (home != null) out.add(Path.of(home, "hub"));
        out.add(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"));
        return out;
    }

    private static Path snapshot(Path repo) {
        try {
            Path ref = repo.resolve("refs/main");
            if (Files.isRegularFile(ref)) {
                Path s = repo.resolve("snapshots").resolve(Files.readString(ref).trim());
                if (Files.isDirectory(s)) return s;
            }
            if (!Files.isDirectory(repo.resolve("snapshots"))) return null;
            try (Stream<Path> s = Files.list(repo.resolve("snapshots"))) {
                return s.filter(Files::isDirectory).findFirst().orElse(null);
            }
        } catch (IOException e) {
            return null;
        }
    }

    /** Every non-hidden, non-ignored file under the root, relative, with forward slashes, sorted. */
    private static List<Path> dataFiles(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(root::relativize).filter(HfFolder::visible).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(root + ": cannot list the folder: " + e.getMessage(), e);
        }
    }

    private static boolean visible(Path rel) {
        for (int i = 0; i < rel.getNameCount(); i++) {
            String part = rel.getName(i).toString();
            if (part.startsWith(".") || (i < rel.getNameCount() - 1 && part.startsWith("__"))) return false;
        }
        return !IGNORED.contains(rel.getFileName().toString());
    }

    private static String unix(Path rel) {
        return rel.toString().replace('\\', '/');
    }

    /** The data type a file's name gives: its extension, the one before {@code .gz} for a gzipped file ({@code jsonl} for {@code train.jsonl.gz}). */
    static String extension(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".gz")) n = n.substring(0, n.length() - 3);
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1);
    }

    // ------------------------------------------------------------------------------------------ splits from names

    private static Map<String, List<Path>> inferSplits(Path root, List<Path> all) {
        Map<String, List<Path>> sharded = new LinkedHashMap<>();
        for (Path p : all) {
            Matcher m = SHARDED.matcher(unix(p));
            if (m.matches()) sharded.computeIfAbsent(m.group("split"), k -> new ArrayList<>()).add(p);
        }
        if (!sharded.isEmpty()) {
            for (String s : sharded.keySet())
                if (!SPLIT_NAME.matcher(s).matches()) throw new IllegalArgumentException(root + ": split name '" + s + "' (from data/" + s + "-…) must be letters, digits and _ (dots between)");
            Map<String, List<Path>> ordered = new LinkedHashMap<>();
            for (String s : KEYWORDS.keySet()) if (sharded.containsKey(s)) ordered.put(s, sharded.get(s));
            for (String s : new TreeSet<>(sharded.keySet())) ordered.putIfAbsent(s, sharded.get(s));
            return ordered;
        }
        Map<String, List<Path>> byDir = byKeyword(all, true);
        if (!byDir.isEmpty()) return byDir;
        Map<String, List<Path>> byName = byKeyword(all, false);
        if (!byName.isEmpty()) return byName;
        return Map.of("train", all);
    }

    private static Map<String, List<Path>> byKeyword(List<Path> all, boolean inDirName) {
        Map<String, List<Path>> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : KEYWORDS.entrySet()) {
            List<Path> files = new ArrayList<>();
            for (Path p : all) if (mentions(p, e.getValue(), inDirName)) files.add(p);
            if (!files.isEmpty()) out.put(e.getKey(), files);
        }
        return out;
    }

    private static boolean mentions(Path rel, List<String> words, boolean inDirName) {
        for (String w : words) {
            // a folder: the word alone or delimited; a file name: the word followed by a delimiter (train.csv, dev-1.jsonl)
            Pattern dir = Pattern.compile("(.*" + SEP + ")?" + w + "(" + SEP + ".*)?");
            Pattern file = Pattern.compile("(.*" + SEP + ")?" + w + SEP + ".*");
            if (inDirName) {
                for (int i = 0; i < rel.getNameCount() - 1; i++) if (dir.matcher(rel.getName(i).toString()).matches()) return true;
            } else if (file.matcher(rel.getFileName().toString()).matches()) return true;
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------ save_to_disk folders

    /**
     * A {@code DatasetDict.save_to_disk} folder: {@code dataset_dict.json} lists the splits, each a folder of
     * {@code .arrow} files in the order its {@code state.json} gives ({@code load_from_disk}'s reading).
     */
    private static HfFolder fromDatasetDict(Path root, String config, List<Path> all) {
        Path dict = root.resolve("dataset_dict.json");
        if (config != null && !config.equals("default"))
            throw new IllegalArgumentException(root + ": no config '" + config + "' (a save_to_disk folder has only 'default')");
        Map<String, List<Path>> splits = new LinkedHashMap<>();
        try {
            for (com.fasterxml.jackson.databind.JsonNode s : JSON.readTree(dict.toFile()).path("splits")) {
                String split = s.asText();
                List<Path> files = new ArrayList<>();
                Path state = root.resolve(split).resolve("state.json");
                if (Files.isRegularFile(state))
                    for (com.fasterxml.jackson.databind.JsonNode f : JSON.readTree(state.toFile()).path("_data_files")) files.add(Path.of(split, f.path("filename").asText()));
                if (files.isEmpty()) for (Path p : all) if (p.getNameCount() == 2 && p.getName(0).toString().equals(split)) files.add(p);
                for (Path f : files)
                    if (!Files.isRegularFile(root.resolve(f))) throw new IllegalArgumentException(root.resolve(f) + ": listed by " + state + " but not there");
                splits.put(split, files);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(dict + ": not readable JSON (" + e.getMessage() + ")", e);
        }
        if (splits.isEmpty()) throw new IllegalArgumentException(dict + ": lists no splits (\"splits\": [\"train\", …])");
        return withFormat(root, null, List.of(), splits);
    }

    // ------------------------------------------------------------------------------------------ README configs

    private static Map<String, Object> frontMatter(Path readme) {
        if (!Files.isRegularFile(readme)) return Map.of();
        List<String> lines;
        try {
            lines = Files.readAllLines(readme);
        } catch (IOException e) {
            throw new UncheckedIOException(readme + ": cannot read: " + e.getMessage(), e);
        }
        if (lines.isEmpty() || !lines.getFirst().strip().equals("---")) return Map.of();
        int end = -1;
        for (int i = 1; i < lines.size(); i++)
            if (lines.get(i).strip().equals("---")) {
                end = i;
                break;
            }
        if (end < 0) return Map.of();
        try {
            Object y = YAML.readValue(String.join("\n", lines.subList(1, end)), Object.class);
            if (y instanceof Map<?, ?> m) {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, v) -> out.put(String.valueOf(k), v));
                return out;
            }
            return Map.of();
        } catch (IOException e) {
            throw new IllegalArgumentException(readme + ": the YAML front matter (between the --- lines) is malformed: " + e.getMessage(), e);
        }
    }

    private static HfFolder fromConfigs(Path root, Object block, String wanted, List<Path> all) {
        String where = root.resolve("README.md") + ": configs";
        if (!(block instanceof List<?> list)) throw new IllegalArgumentException(where + " must be a list of {config_name, data_files}");
        Map<String, Map<?, ?>> byName = new LinkedHashMap<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> c)) throw new IllegalArgumentException(where + ": entry " + o + " is not a mapping");
            Object name = c.get("config_name");
            byName.put(name == null ? "default" : name.toString(), c);
        }
        List<String> names = List.copyOf(byName.keySet());
        String chosen = wanted;
        if (chosen == null) {
            for (Map.Entry<String, Map<?, ?>> e : byName.entrySet())
                if (names.size() == 1 || e.getKey().equals("default") || Boolean.TRUE.equals(e.getValue().get("default"))) {
                    if (chosen != null) throw new IllegalArgumentException(where + ": several default configs ('" + chosen + "' and '" + e.getKey() + "')");
                    chosen = e.getKey();
                }
            if (chosen == null)
                throw new IllegalArgumentException(root + ": the dataset has several configs and none is the default; pick one with dataset_config (configs are: "
                        + String.join(", ", names) + ")");
        } else if (!byName.containsKey(chosen))
            throw new IllegalArgumentException(root + ": no config '" + chosen + "'; configs are: " + String.join(", ", names));
        Map<?, ?> c = byName.get(chosen);
        String dataDir = c.get("data_dir") == null ? "" : c.get("data_dir").toString().replaceAll("/+$", "") + "/";
        Map<String, List<String>> patterns = patterns(c.get("data_files"), dataDir, where + "[" + chosen + "]");
        Map<String, List<Path>> splits = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : patterns.entrySet()) {
            List<Path> files = new ArrayList<>();
            for (String pat : e.getValue()) {
                List<Path> hit = glob(all, pat);
                if (hit.isEmpty()) throw new IllegalArgumentException(where + "[" + chosen + "]: split '" + e.getKey() + "': no file matches '" + pat + "' in " + root);
                for (Path h : hit) if (!files.contains(h)) files.add(h);
            }
            splits.put(e.getKey(), files);
        }
        return withFormat(root, chosen, names, splits);
    }

    /** data_files as split → patterns: a string or list of strings is the train split; a list of {split, path}; a mapping. */
    private static Map<String, List<String>> patterns(Object dataFiles, String dataDir, String where) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (dataFiles == null) out.put("train", List.of(dataDir + "**"));
        else if (dataFiles instanceof String s) out.put("train", List.of(dataDir + s));
        else if (dataFiles instanceof Map<?, ?> m) m.forEach((k, v) -> out.put(k.toString(), strings(v, dataDir, where)));
        else if (dataFiles instanceof List<?> l && l.stream().anyMatch(x -> x instanceof Map<?, ?>)) {
            for (Object o : l) {
                if (!(o instanceof Map<?, ?> m) || m.get("split") == null || m.get("path") == null)
                    throw new IllegalArgumentException(where + ": data_files entry " + o + " must be {split: NAME, path: PATTERN or [PATTERNS]}");
                if (out.put(m.get("split").toString(), strings(m.get("path"), dataDir, where)) != null)
                    throw new IllegalArgumentException(where + ": split '" + m.get("split") + "' appears twice in data_files");
            }
        } else out.put("train", strings(dataFiles, dataDir, where));
        return out;
    }

    private static List<String> strings(Object v, String dataDir, String where) {
        if (v instanceof String s) return List.of(dataDir + s);
        if (v instanceof List<?> l) {
            List<String> out = new ArrayList<>();
            for (Object o : l) out.add(dataDir + o);
            return out;
        }
        throw new IllegalArgumentException(where + ": data_files path " + v + " must be a pattern or a list of patterns");
    }

    /** Python-style glob over the relative paths: {@code *} stays in one folder, {@code **} crosses folders (also none). */
    private static List<Path> glob(List<Path> all, String pattern) {
        String p = pattern.startsWith("./") ? pattern.substring(2) : pattern;
        List<PathMatcher> ms = new ArrayList<>();
        ms.add(FileSystems.getDefault().getPathMatcher("glob:" + p));
        if (p.startsWith("**/")) ms.add(FileSystems.getDefault().getPathMatcher("glob:" + p.substring(3)));
        if (p.contains("/**/")) ms.add(FileSystems.getDefault().getPathMatcher("glob:" + p.replace("/**/", "/")));
        List<Path> out = new ArrayList<>();
        for (Path f : all) for (PathMatcher m : ms) if (m.matches(f)) {
            out.add(f);
            break;
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ format

    /** Keeps the most common data-file type (as {@code datasets} infers the builder), resolving paths against the root. */
    private static HfFolder withFormat(Path root, String config, List<String> configs, Map<String, List<Path>> splits) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (List<Path> files : splits.values()) for (Path f : files) if (FORMATS.contains(extension(f))) counts.merge(extension(f), 1, Integer::sum);
        if (counts.isEmpty())
            throw new IllegalArgumentException(root + (config != null ? " (config '" + config + "')" : "") + ": no data files of a known type ("
                    + String.join(", ", FORMATS) + ") among " + splits.values().stream().flatMap(List::stream).limit(5).map(HfFolder::unix).toList());
        String format = Collections.max(counts.entrySet(), Map.Entry.comparingByValue()).getKey();
        // .json and .jsonl are one builder in datasets: keep both
        List<String> keep = format.equals("json") || format.equals("jsonl") ? List.of("json", "jsonl") : List.of(format);
        Map<String, List<Path>> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<Path>> e : splits.entrySet()) {
            List<Path> files = new ArrayList<>();
            for (Path f : e.getValue()) if (keep.contains(extension(f))) files.add(root.resolve(f));
            if (!files.isEmpty()) out.put(e.getKey(), files);
        }
        return new HfFolder(root, config, configs, out, format);
    }
}
