package org.grpo4j.dsl.data;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Opening a text data file as a stream, gzip-compressed ({@code train.jsonl.gz}, as {@code datasets} reads them) or
 * not, counting the file's bytes read so that a progress line can show how far the reading is.
 *
 * <pre>{@code
 * try (DataFile.Counted in = DataFile.open(Path.of("train.jsonl.gz"))) {
 *     BufferedReader text = in.utf8();   // the decompressed lines
 * }
 * }</pre>
 */
final class DataFile {
    private DataFile() {}

    /** Whether the file is gzip-compressed (by its name: {@code .gz}). */
    static boolean gzipped(Path file) {
        return file.getFileName() != null && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
    }

    /** The file's bytes, decompressed when it is gzipped, with a count of the file bytes read so far. */
    static Counted open(Path file) throws IOException {
        Counted c = new Counted(Files.newInputStream(file));
        if (gzipped(file)) {
            try {
                c.decoded = new GZIPInputStream(c, 1 << 16);
            } catch (java.util.zip.ZipException e) {
                c.close();
                throw new IllegalArgumentException(file + ": not a gzip file (" + e.getMessage() + ")");
            }
        } else c.decoded = new BufferedInputStream(c, 1 << 16);
        return c;
    }

    /** The raw file stream, counting; read the content from {@link #stream} or {@link #utf8}. */
    static final class Counted extends FilterInputStream {
        private long count;
        private InputStream decoded;

        private Counted(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        /** The content (decompressed). */
        InputStream stream() {
            return decoded;
        }

        /** The content as UTF-8 text; bytes that are not UTF-8 throw {@link java.nio.charset.MalformedInputException}. */
        BufferedReader utf8() {
            return new BufferedReader(new InputStreamReader(decoded, StandardCharsets.UTF_8.newDecoder()), 1 << 16);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int k = super.read(b, off, len);
            if (k > 0) count += k;
            return k;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = super.skip(n);
            count += k;
            return k;
        }
    }
}
