package org.grpo4j.dsl.data;

import java.lang.ref.SoftReference;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A row of a data set that is read from its {@link RowStore} when it is used, and kept only while the heap has room
 * (a soft reference): what a training prompt holds, so that a plan of a million prompts does not hold a million
 * rows, while the rewards scoring a group read the row once.
 *
 * <pre>{@code
 * Map<String, Object> row = dataset.lazyRow(17);   // nothing read yet
 * row.get("solution");                              // reads row 17
 * }</pre>
 */
final class LazyRow extends AbstractMap<String, Object> {
    private final List<Map<String, Object>> rows;
    private final int index;
    private SoftReference<Map<String, Object>> cached = new SoftReference<>(null);

    LazyRow(List<Map<String, Object>> rows, int index) {
        this.rows = rows;
        this.index = index;
    }

    private Map<String, Object> row() {
        Map<String, Object> r = cached.get();
        if (r == null) cached = new SoftReference<>(r = rows.get(index));
        return r;
    }

    @Override
    public Object get(Object key) {
        return row().get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return row().containsKey(key);
    }

    @Override
    public int size() {
        return row().size();
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return row().entrySet();
    }
}
