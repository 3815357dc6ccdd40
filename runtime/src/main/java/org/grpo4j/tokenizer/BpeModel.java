package org.grpo4j.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code "model": {"type": "BPE"}} of {@code tokenizer.json}: encodes one pre-tokenized word.
 *
 * <p>Merging follows Hugging Face's {@code Word::merge_all}: a min-heap of candidate pairs ordered by (merge rank,
 * position), entries checked for staleness when popped, so a word of n symbols costs O(n log n), not the O(n²) of
 * rescanning for the best pair. Words shorter than {@value #CACHE_MAX_WORD} characters are cached (up to
 * {@value #CACHE_CAPACITY} of them), because natural text repeats its words.
 */
final class BpeModel {
    static final int CACHE_MAX_WORD = 256;
    static final int CACHE_CAPACITY = 10_000;

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final PairMap merges;
    /** Id of each single BMP character token (prefix/suffix-free vocabularies only); -1 where absent. */
    private final int[] charIds;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    /** {@code <0xAB>} token ids by byte, when byte fallback is on; -1 where absent. */
    private final int[] byteIds;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    BpeModel(Map<String, Integer> vocab, String[] idToToken, PairMap merges, int unkId, boolean fuseUnk,
             boolean byteFallback, boolean ignoreMerges, String continuingSubwordPrefix, String endOfWordSuffix) {
        this.vocab = vocab;
        this.idToToken = idToToken;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.continuingSubwordPrefix = continuingSubwordPrefix;
        this.endOfWordSuffix = endOfWordSuffix;
        if (continuingSubwordPrefix.isEmpty() && endOfWordSuffix.isEmpty()) {
            charIds = new int[0x10000];
            Arrays.fill(charIds, -1);
            for (Map.Entry<String, Integer> e : vocab.entrySet())
                if (e.getKey().length() == 1) charIds[e.getKey().charAt(0)] = e.getValue();
        } else {
            charIds = null;
        }
        byteIds = new int[256];
        Arrays.fill(byteIds, -1);
        if (byteFallback)
            for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
    }

    int vocabSize() {
        return idToToken.length;
    }

    /** The token of an id, or null when the id is not in this model's vocabulary. */
    String token(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /** The id of a token, or -1. */
    int id(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    /** Appends the ids of one word. */
    void encodeWord(String word, IntList out) {
        if (word.isEmpty()) return;
        if (ignoreMerges) {
            Integer id = vocab.get(word);
            if (id != null) {
                out.add(id);
                return;
            }
        }
        int[] hit = cache.get(word);
        if (hit != null) {
            out.addAll(hit);
            return;
        }
        int[] ids = merge(word);
        if (word.length() < CACHE_MAX_WORD && cache.size() < CACHE_CAPACITY) cache.put(word, ids);
        out.addAll(ids);
    }

    private int[] merge(String word) {
        int n = word.length();
        int[] sym = new int[n + 8];
        int count = 0;
        boolean lastWasUnk = false;
        for (int i = 0; i < n; ) {
            int cp = word.codePointAt(i);
            int len = Character.charCount(cp);
            if (count + 4 > sym.length) sym = Arrays.copyOf(sym, sym.length * 2); // 4: the most UTF-8 bytes of one char
            int id = -1;
            String piece = null;
            if (charIds != null && len == 1) {
                id = charIds[word.charAt(i)];
            } else {
                piece = word.substring(i, i + len);
                if (i > 0) piece = continuingSubwordPrefix + piece;
                if (i + len == n) piece = piece + endOfWordSuffix;
                id = id(piece);
            }
            if (id < 0 && byteFallback) {
                byte[] bytes = word.substring(i, i + len).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                boolean all = true;
                for (byte b : bytes) all &= byteIds[b & 0xFF] >= 0;
                if (all) {
                    for (byte b : bytes) sym[count++] = byteIds[b & 0xFF];
                    lastWasUnk = false;
                    i += len;
                    continue;
                }
            }
            if (id < 0) {
                // as Hugging Face: an unknown character without an unk token is dropped
                if (unkId >= 0 && !(fuseUnk && lastWasUnk)) sym[count++] = unkId;
                lastWasUnk = unkId >= 0;
            } else {
                sym[count++] = id;
                lastWasUnk = false;
            }
            i += len;
        }
        if (count < 2) return Arrays.copyOf(sym, count);
        return mergeSymbols(sym, count);
    }

    /** Applies merges in rank order; ties go to the leftmost pair, as in Hugging Face's heap ordering. */
    private int[] mergeSymbols(int[] ids, int count) {
        int[] prev = new int[count], next = new int[count];
        boolean[] dead = new boolean[count];
        for (int i = 0; i < count; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }
        long[] heap = new long[count];
        int size = 0;
        for (int i = 0; i + 1 < count; i++) {
            long m = merges.get(ids[i], ids[i + 1]);
            if (m != PairMap.MISSING) size = push(heap, size, (m & 0xFFFFFFFF00000000L) | i);
        }
        while (size > 0) {
            long top = heap[0];
            size = pop(heap, size);
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            if (dead[pos]) continue;
            int nx = next[pos];
            if (nx < 0) continue;
            long m = merges.get(ids[pos], ids[nx]);
            if (m == PairMap.MISSING || (int) (m >>> 32) != rank) continue; // stale: a neighbour changed since
            ids[pos] = (int) m;
            dead[nx] = true;
            next[pos] = next[nx];
            if (next[nx] >= 0) prev[next[nx]] = pos;
            int pv = prev[pos];
            if (pv >= 0) {
                long mp = merges.get(ids[pv], ids[pos]);
                if (mp != PairMap.MISSING) {
                    if (size == heap.length) heap = Arrays.copyOf(heap, heap.length * 2);
                    size = push(heap, size, (mp & 0xFFFFFFFF00000000L) | pv);
                }
            }
            if (next[pos] >= 0) {
                long mn = merges.get(ids[pos], ids[next[pos]]);
                if (mn != PairMap.MISSING) {
                    if (size == heap.length) heap = Arrays.copyOf(heap, heap.length * 2);
                    size = push(heap, size, (mn & 0xFFFFFFFF00000000L) | pos);
                }
            }
        }
        int alive = 0;
        for (int i = 0; i >= 0; i = next[i]) ids[alive++] = ids[i];
        return Arrays.copyOf(ids, alive);
    }

    /** Min-heap on (rank << 32 | position): the best merge, leftmost on ties. */
    private static int push(long[] heap, int size, long v) {
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
        return size;
    }

    private static int pop(long[] heap, int size) {
        long last = heap[--size];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && heap[c + 1] < heap[c]) c++;
            if (heap[c] >= last) break;
            heap[i] = heap[c];
            i = c;
        }
        heap[i] = last;
        return size;
    }
}
