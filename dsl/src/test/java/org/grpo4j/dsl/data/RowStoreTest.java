package org.grpo4j.dsl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rows come back from the off-heap store as they went in: every value kind, nesting, order, and rows of any size. */
class RowStoreTest {
    @Test
    void everyValueKindComesBackWithItsTypeAndOrder() {
        LocalDate day = LocalDate.of(2026, 12, 6);
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("z", null);
        nested.put("a", List.of(1L, "two", List.of()));
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("s", "héllo ∑ 😀");
        row.put("l", Long.MIN_VALUE);
        row.put("i", -7);
        row.put("d", -0.0);
        row.put("f", 1.5f);
        row.put("b", true);
        row.put("n", null);
        row.put("big", new BigInteger("123456789012345678901234567890"));
        row.put("bytes", new byte[] {0, -1, 2});
        row.put("list", Arrays.asList(null, false, 3.25));
        row.put("map", nested);
        row.put("day", day);
        RowStore.Writer w = RowStore.writer();
        w.add(row);
        w.add(Map.of("s", "x".repeat(200_000))); // longer than the writer's buffer
        w.add(row);
        RowStore s = w.finish();
        assertEquals(3, s.size());
        Map<String, Object> back = s.get(2);
        assertEquals(List.copyOf(row.keySet()), List.copyOf(back.keySet()));
        for (String k : row.keySet())
            if (!k.equals("bytes")) assertEquals(row.get(k), back.get(k), k);
        assertEquals(Integer.class, back.get("i").getClass());
        assertEquals(Float.class, back.get("f").getClass());
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) back.get("d")));
        assertArrayEquals((byte[]) row.get("bytes"), (byte[]) back.get("bytes"));
        assertSame(day, back.get("day")); // not a row value kind: kept by reference
        assertEquals(List.of("z", "a"), List.copyOf(((Map<?, ?>) back.get("map")).keySet()));
        assertEquals(200_000, ((String) s.get(1).get("s")).length());
        assertEquals(List.of("s", "l", "i", "d", "f", "b", "n", "big", "bytes", "list", "map", "day"), s.columns());
        assertThrows(UnsupportedOperationException.class, () -> back.put("s", "changed"));
        assertThrows(UnsupportedOperationException.class, () -> ((List<Object>) back.get("list")).set(0, 1));
    }

    @Test
    void rowsSharingAKeyArrayAndRowsOfOtherShapesMix() {
        String[] keys = {"a", "b"};
        RowStore.Writer w = RowStore.writer();
        List<Map<String, Object>> want = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            if (i % 3 == 0) {
                w.add(keys, new Object[] {(long) i, "b" + i});
                want.add(Map.of("a", (long) i, "b", "b" + i));
            } else {
                w.add(Map.of("c", (long) i));
                want.add(Map.of("c", (long) i));
            }
        }
        RowStore s = w.finish();
        assertEquals(want, s);
        assertEquals(List.of("a", "b", "c"), s.columns());
    }
}
