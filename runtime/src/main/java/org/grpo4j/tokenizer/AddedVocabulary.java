package org.grpo4j.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds added tokens in text the way Hugging Face's {@code AddedVocabulary} does: leftmost-longest matches of a
 * trie, then {@code single_word}, {@code lstrip} and {@code rstrip} applied to each match.
 */
final class AddedVocabulary {
    /** A piece of text: either an added token ({@code id >= 0}) or a gap to encode with the model. */
    record Segment(int start, int end, int id) {}

    private final Node root = new Node();
    private final boolean empty;

    /** @param patterns the text each token is matched as (its content, or normalised content) */
    AddedVocabulary(List<AddedToken> tokens, List<String> patterns) {
        for (int i = 0; i < tokens.size(); i++) {
            String p = patterns.get(i);
            if (p.isEmpty()) continue;
            Node n = root;
            for (int k = 0; k < p.length(); k++) n = n.child(p.charAt(k), true);
            if (n.token == null) n.token = tokens.get(i); // the first of duplicate contents wins
        }
        empty = root.keys.length == 0;
    }

    boolean isEmpty() {
        return empty;
    }

    /** Splits {@code s} into added tokens and the gaps between them (offsets into s). */
    List<Segment> split(String s) {
        List<Segment> out = new ArrayList<>();
        int n = s.length();
        int startOffset = 0;
        int i = 0;
        while (i < n) {
            // longest match starting at i
            Node node = root;
            AddedToken best = null;
            int bestEnd = -1;
            for (int k = i; k < n; k++) {
                node = node.child(s.charAt(k), false);
                if (node == null) break;
                if (node.token != null) {
                    best = node.token;
                    bestEnd = k + 1;
                }
            }
            if (best == null) {
                i++;
                continue;
            }
            int start = i, stop = bestEnd;
            if (best.singleWord()) {
                boolean startOk = start == 0 || !Text.isAlphanumeric(s.codePointBefore(start));
                boolean stopOk = stop == n || !Text.isAlphanumeric(s.codePointAt(stop));
                if (!startOk || !stopOk) {
                    i = bestEnd; // the matcher moves on past a rejected match, as Aho-Corasick's iterator does
                    continue;
                }
            }
            if (best.lstrip()) {
                int j = start;
                while (j > 0 && Text.isWhiteSpace(s.codePointBefore(j))) j -= Character.charCount(s.codePointBefore(j));
                start = Math.max(j, startOffset);
            }
            if (best.rstrip()) {
                while (stop < n && Text.isWhiteSpace(s.codePointAt(stop))) stop += Character.charCount(s.codePointAt(stop));
            }
            start = Math.max(start, startOffset); // a token that begins with space swallowed by an rstrip
            if (startOffset < start) out.add(new Segment(startOffset, start, -1));
            out.add(new Segment(start, stop, best.id()));
            startOffset = stop;
            i = Math.max(bestEnd, stop);
        }
        if (startOffset < n) out.add(new Segment(startOffset, n, -1));
        return out;
    }

    private static final class Node {
        char[] keys = new char[0];
        Node[] children = new Node[0];
        AddedToken token;

        Node child(char c, boolean create) {
            int i = Arrays.binarySearch(keys, c);
            if (i >= 0) return children[i];
            if (!create) return null;
            int at = -i - 1;
            char[] k = new char[keys.length + 1];
            Node[] ch = new Node[keys.length + 1];
            System.arraycopy(keys, 0, k, 0, at);
            System.arraycopy(children, 0, ch, 0, at);
            k[at] = c;
            ch[at] = new Node();
            System.arraycopy(keys, at, k, at + 1, keys.length - at);
            System.arraycopy(children, at, ch, at + 1, keys.length - at);
            keys = k;
            children = ch;
            return ch[at];
        }
    }
}
