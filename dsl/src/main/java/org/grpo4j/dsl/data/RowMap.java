package org.grpo4j.dsl.data;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * One row of a data set: an unmodifiable, ordered map over a column-name array (shared by the rows of a file) and a
 * value array. A data set of a million rows keeps a million of these, so a row costs two small arrays instead of a
 * hash table with an entry object per column. Values may be null; lookups scan the few columns a row has.
 */
final class RowMap extends AbstractMap<String, Object> {
    private final String[] keys;
    private final Object[] values;

    private RowMap(String[] keys, Object[] values) {
        this.keys = keys;
        this.values = values;
    }

    /** A row over these arrays, which the caller hands over (keys may be shared, values must not be changed later). */
    static RowMap of(String[] keys, Object[] values) {
        if (keys.length != values.length) throw new IllegalArgumentException("keys and values differ in length");
        return new RowMap(keys, values);
    }

    /** A row with this map's entries in its order; the values are taken as they are (freeze them first). */
    static RowMap copyOf(Map<String, ?> m) {
        if (m instanceof RowMap r) return r;
        String[] k = new String[m.size()];
        Object[] v = new Object[m.size()];
        int i = 0;
        for (Map.Entry<String, ?> e : m.entrySet()) {
            k[i] = e.getKey();
            v[i++] = e.getValue();
        }
        return new RowMap(k, v);
    }

    /** The column names (shared; do not change). */
    String[] keyArray() {
        return keys;
    }

    /** The values (do not change). */
    Object[] valueArray() {
        return values;
    }

    private int index(Object key) {
        for (int i = 0; i < keys.length; i++) if (keys[i].equals(key)) return i;
        return -1;
    }

    @Override
    public Object get(Object key) {
        int i = index(key);
        return i < 0 ? null : values[i];
    }

    @Override
    public boolean containsKey(Object key) {
        return index(key) >= 0;
    }

    @Override
    public int size() {
        return keys.length;
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<String, Object>> iterator() {
                return new Iterator<>() {
                    int i;

                    @Override
                    public boolean hasNext() {
                        return i < keys.length;
                    }

                    @Override
                    public Map.Entry<String, Object> next() {
                        if (i >= keys.length) throw new NoSuchElementException();
                        int k = i++;
                        return new AbstractMap.SimpleImmutableEntry<>(keys[k], values[k]);
                    }
                };
            }

            @Override
            public int size() {
                return keys.length;
            }
        };
    }
}
