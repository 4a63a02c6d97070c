package dev.finetune.vblora.ops;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;

/** Shape checks made while the graph is built, so that mistakes fail early with the sizes in the message. */
final class StaticShapes {
  private StaticShapes() {}

  /** Formats a shape the way PEFT and numpy print it, with ? for an unknown size. */
  static String format(Shape shape) {
    if (shape.isUnknown()) {
      return "<unknown rank>";
    }
    return format(shape.asArray());
  }

  static String format(long[] dims) {
    return Arrays.stream(dims).mapToObj(d -> d < 0 ? "?" : Long.toString(d))
        .collect(Collectors.joining(", ", "[", "]"));
  }

  /** The operand's shape, which must be fully known and equal to {@code expected}. */
  static void requireExactly(Operand<?> operand, long[] expected, String what) {
    Shape actual = operand.shape();
    if (actual.isUnknown() || actual.hasUnknownDimension() || !Arrays.equals(actual.asArray(), expected)) {
      throw new IllegalArgumentException(what + " has shape " + format(actual) + " but " + format(expected)
          + " is expected");
    }
  }

  /** The operand's rank, which must be known and at least {@code minRank}. */
  static int requireRank(Operand<?> operand, int minRank, String what) {
    Shape shape = operand.shape();
    if (shape.isUnknown()) {
      throw new IllegalArgumentException(what + " has an unknown rank; give it a static rank of at least "
          + minRank);
    }
    if (shape.numDimensions() < minRank) {
      throw new IllegalArgumentException(what + " has shape " + format(shape) + " but needs rank >= " + minRank);
    }
    return shape.numDimensions();
  }

  /** The last dimension, which must be statically known. */
  static long requireKnownLastDim(Operand<?> operand, String what) {
    Shape shape = operand.shape();
    long last = shape.get(shape.numDimensions() - 1);
    if (last < 0) {
      throw new IllegalArgumentException(what + " has shape " + format(shape)
          + "; its last dimension must be statically known");
    }
    return last;
  }

  /** The factors' shapes {down [in, r], up [r, out]}, which must be static and agree on r. */
  static long[][] requireFactors(LowRankFactors<?> f) {
    long[] down = requireMatrix(f.down(), "down");
    long[] up = requireMatrix(f.up(), "up");
    if (down[1] != up[0]) {
      throw new IllegalArgumentException("factor ranks differ: down " + format(down) + ", up " + format(up)
          + "; down must be [in, r] and up [r, out]");
    }
    return new long[][] {down, up};
  }

  private static long[] requireMatrix(Operand<?> factor, String what) {
    Shape shape = factor.shape();
    if (shape.isUnknown() || shape.numDimensions() != 2 || shape.hasUnknownDimension()) {
      throw new IllegalArgumentException("the " + what + " factor has shape " + format(shape)
          + " but must have a static 2-D shape");
    }
    return shape.asArray();
  }
}
