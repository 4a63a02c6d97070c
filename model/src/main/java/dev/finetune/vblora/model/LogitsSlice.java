package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where one kernel's logits lie in a packed logits variable: {@code length} blocks from {@code offset} along
 * {@code axis}, every other axis whole. See {@link PackedLogitsLayout}.
 *
 * @param kernel the kernel they adapt
 * @param variable the packed variable, e.g. {@code vblora/logits_A}
 * @param axis 1 in logits_A {@code [r, M, h]}, 0 in logits_B {@code [O, r, h]}
 * @param offset the kernel's first block along {@code axis}
 * @param length the kernel's blocks: in/b for logits_A, out/b for logits_B
 */
public record LogitsSlice(String kernel, String variable, int axis, long offset, long length) {

  public LogitsSlice {
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(variable, "variable");
    if (kernel.isBlank() || variable.isBlank()) {
      throw new VbLoraException("a logits slice needs a kernel and a variable, got '" + kernel + "' in '"
          + variable + "'");
    }
    if (axis < 0 || offset < 0 || length < 1) {
      throw new VbLoraException("logits slice of " + kernel + " in " + variable + " has axis " + axis
          + ", offset " + offset + ", length " + length + "; axis and offset must be >= 0, length >= 1");
    }
  }

  /** The slice's shape: {@code packedShape} with {@code length} on {@code axis}. */
  public long[] shape(long[] packedShape) {
    checkWithin(packedShape);
    long[] shape = packedShape.clone();
    shape[axis] = length;
    return shape;
  }

  /** The slice's values in row-major order, cut from the packed variable's row-major {@code packed}. */
  public float[] cut(float[] packed, long[] packedShape) {
    checkWithin(packedShape);
    if (packed.length != Arrays.stream(packedShape).reduce(1L, Math::multiplyExact)) {
      throw new VbLoraException(variable + " holds " + packed.length + " values, not a "
          + Arrays.toString(packedShape) + " tensor");
    }
    long outer = Arrays.stream(packedShape, 0, axis).reduce(1L, Math::multiplyExact);
    long inner = Arrays.stream(packedShape, axis + 1, packedShape.length).reduce(1L, Math::multiplyExact);
    int run = Math.toIntExact(length * inner);
    float[] slice = new float[Math.toIntExact(outer * run)];
    for (int o = 0; o < outer; o++) {
      System.arraycopy(packed, Math.toIntExact((o * packedShape[axis] + offset) * inner), slice, o * run, run);
    }
    return slice;
  }

  private void checkWithin(long[] packedShape) {
    if (axis >= packedShape.length || offset + length > packedShape[axis]) {
      throw new VbLoraException("the logits of " + kernel + " (axis " + axis + ", blocks " + offset + " to "
          + (offset + length) + ") lie outside " + variable + " of shape " + Arrays.toString(packedShape)
          + "; the values do not belong to this adapter");
    }
  }
}
