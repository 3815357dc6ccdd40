package org.grpo4j.backend;

import org.grpo4j.quant.WeightFormat;

/**
 * A frozen {@code rows × cols} weight matrix in a compact {@link WeightFormat} (bf16, int8, NF4), made by
 * {@link Backend#pack}. It stands in for an fp32 weight in {@link Backend#matmul}, {@link Backend#matmulBackwardInput}
 * and {@link Backend#embedding}, which widen it tile by tile; it has no gradient and cannot be sliced.
 */
public abstract class PackedTensor extends Tensor {
    private final WeightFormat format;
    private final int rows, cols;

    protected PackedTensor(WeightFormat format, int rows, int cols) {
        super((long) rows * cols);
        this.format = format;
        this.rows = rows;
        this.cols = cols;
    }

    public WeightFormat format() {
        return format;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Bytes this matrix occupies, scales included. */
    public long bytes() {
        return format.bytes(rows, cols);
    }

    @Override
    public Tensor slice(long offset, long length) {
        if (offset == 0 && length == size()) return this;
        throw new UnsupportedOperationException("a packed " + format.settingName() + " weight cannot be sliced (" + rows + "×" + cols + ")");
    }
}
